// Go's encoding/json as docker's `json` template function uses it:
// SetEscapeHTML(false), map keys sorted, struct fields in order, []byte as base64.
import { Float64, GoStruct, isMethod, kindOf, mapEntries, numberValue } from "./values.ts";

export class JsonUnsupportedValue extends Error {}

export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (cp < 0x20) out += "\\u00" + cp.toString(16).padStart(2, "0");
    else if (cp === 0x2028 || cp === 0x2029) out += "\\u" + cp.toString(16);
    else if (cp >= 0xd800 && cp <= 0xdfff) out += "\ufffd"; // lone surrogate: invalid UTF-8 in Go
    else out += ch;
  }
  return out + '"';
}

export function goJson(v: unknown): string {
  switch (kindOf(v)) {
    case "invalid": case "nil": case "func":
      return "null";
    case "bool":
      return String(v);
    case "int":
      return typeof v === "bigint" ? v.toString() : String(numberValue(v));
    case "float": {
      const x = numberValue(v);
      if (!Number.isFinite(x)) throw new JsonUnsupportedValue(`json: unsupported value: ${formatNonFinite(x)}`);
      return v instanceof Float64 || !Number.isInteger(x) ? String(x) : String(x);
    }
    case "string":
      return goJsonString(v as string);
    case "bytes":
      return '"' + Buffer.from(v as Uint8Array).toString("base64") + '"';
    case "slice":
      return "[" + (v as unknown[]).map(goJson).join(",") + "]";
    case "map":
      return "{" + mapEntries(v).map(([k, x]) => goJsonString(String(k)) + ":" + goJson(x)).join(",") + "}";
    case "struct": {
      const st = v as GoStruct;
      if (st.marshalJSON) return goJson(st.marshalJSON());
      return "{" + Object.entries(st.fields)
        .filter(([, x]) => !isMethod(x) && x !== undefined)
        .map(([k, x]) => goJsonString(k) + ":" + goJson(x)).join(",") + "}";
    }
  }
}

function formatNonFinite(x: number): string {
  return Number.isNaN(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf";
}

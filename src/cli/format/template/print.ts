// Go's fmt printing of template values: %v (Print), Sprint, Sprintln, Sprintf.
import { formatFloat } from "../../../shared/go-floats.ts";
import { GoStruct, goTypeName, isMethod, kindOf, mapEntries, numberValue } from "./values.ts";

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
}
const plain: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };

/** strconv.Quote (ascii: QuoteToASCII). */
export function goQuote(s: string, ascii = false): string {
  let out = '"';
  for (const ch of s) {
    let cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate becomes U+FFFD in UTF-8
    const c = String.fromCodePoint(cp);
    if (cp === 0x22 || cp === 0x5c) out += "\\" + c;
    else if (ascii ? cp >= 0x20 && cp < 0x7f : isPrint(cp)) out += c;
    else out += escapeRune(cp);
  }
  return out + '"';
}

function isPrint(cp: number): boolean {
  return cp === 0x20 || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(cp));
}

function escapeRune(cp: number): string {
  const named: Record<number, string> = { 7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v" };
  if (named[cp]) return named[cp]!;
  if (cp < 0x20 || cp === 0x7f) return "\\x" + cp.toString(16).padStart(2, "0");
  if (cp < 0x10000) return "\\u" + cp.toString(16).padStart(4, "0");
  return "\\U" + cp.toString(16).padStart(8, "0");
}

function pad(s: string, spec: Spec, numeric = false): string {
  const w = spec.width ?? 0;
  const len = [...s].length;
  if (len >= w) return s;
  if (spec.minus) return s + " ".repeat(w - len);
  if (spec.zero && numeric) {
    const signLen = /^[+\- ]/.test(s) ? 1 : 0;
    return s.slice(0, signLen) + "0".repeat(w - len) + s.slice(signLen);
  }
  return " ".repeat(w - len) + s;
}

function signed(s: string, spec: Spec): string {
  if (s.startsWith("-")) return s;
  return spec.plus ? "+" + s : spec.space ? " " + s : s;
}

function badVerb(verb: string, v: unknown): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatValue(v, "v", plain)})`;
}

function formatInt(v: bigint, verb: string, spec: Spec): string | undefined {
  const neg = v < 0n;
  const abs = neg ? -v : v;
  let digits: string;
  switch (verb) {
    case "v": case "d": digits = abs.toString(); break;
    case "b": digits = abs.toString(2); break;
    case "o": digits = (spec.sharp ? "0" : "") + abs.toString(8); break;
    case "O": digits = "0o" + abs.toString(8); break;
    case "x": digits = (spec.sharp ? "0x" : "") + abs.toString(16); break;
    case "X": digits = (spec.sharp ? "0X" : "") + abs.toString(16).toUpperCase(); break;
    case "c": return pad(String.fromCodePoint(Number(v)), spec);
    case "q": return pad("'" + goQuote(String.fromCodePoint(Number(v))).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'") + "'", spec);
    case "U": return pad("U+" + abs.toString(16).toUpperCase().padStart(4, "0"), spec);
    case "e": case "E": case "f": case "F": case "g": case "G": return undefined;
    default: return undefined;
  }
  if (spec.prec !== undefined) digits = digits.padStart(spec.prec, "0");
  return pad(signed((neg ? "-" : "") + digits, spec), spec, spec.prec === undefined);
}

function formatFloatVerb(x: number, verb: string, spec: Spec): string | undefined {
  const map: Record<string, "e" | "E" | "f" | "F" | "g" | "G"> = { v: "g", e: "e", E: "E", f: "f", F: "f", g: "g", G: "G" };
  const f = map[verb];
  if (!f) return undefined;
  const prec = spec.prec ?? (f === "g" || f === "G" ? -1 : 6);
  let s = formatFloat(x, f, prec);
  if (s === "+Inf" && !spec.plus) s = "Inf";
  return pad(signed(s, spec), spec, Number.isFinite(x));
}

function formatString(s: string, verb: string, spec: Spec): string | undefined {
  switch (verb) {
    case "v": case "s":
      return pad(spec.prec !== undefined ? [...s].slice(0, spec.prec).join("") : s, spec);
    case "q":
      return pad(spec.sharp && !/[`\p{Cc}]/u.test(s) ? "`" + s + "`" : goQuote(s, spec.plus), spec);
    case "x": case "X": {
      const hex = [...Buffer.from(s, "utf8")].map((b) => b.toString(16).padStart(2, "0")).join(spec.space ? " " : "");
      return pad(verb === "X" ? hex.toUpperCase() : hex, spec);
    }
  }
  return undefined;
}

/** Formats one value for one verb, like fmt does (composites apply the verb to each element). */
export function formatValue(v: unknown, verb: string, spec: Spec = plain, depth = 0): string {
  if (verb === "T") return pad(goTypeName(v), spec);
  const kind = kindOf(v);
  if (kind === "struct") {
    const st = v as GoStruct;
    const str = st.fields.String ?? st.fields.Error;
    if ((verb === "v" || verb === "s" || verb === "q") && isMethod(str) && str.length === 0) {
      return formatValue(String(str()), verb, spec, depth);
    }
  }
  let out: string | undefined;
  switch (kind) {
    case "invalid": case "nil":
      out = verb === "v" ? pad("<nil>", spec) : undefined;
      break;
    case "bool":
      out = verb === "v" || verb === "t" ? pad(String(v), spec) : undefined;
      break;
    case "int":
      out = formatInt(BigInt(v as number | bigint), verb, spec);
      break;
    case "float":
      out = formatFloatVerb(numberValue(v), verb, spec);
      break;
    case "string":
      out = formatString(v as string, verb, spec);
      break;
    case "bytes":
      if (verb === "s" || verb === "q" || verb === "x" || verb === "X") out = formatString(Buffer.from(v as Uint8Array).toString("utf8"), verb, spec);
      else out = "[" + [...(v as Uint8Array)].map((b) => formatValue(b, verb, spec, depth + 1)).join(" ") + "]";
      break;
    case "slice":
      out = "[" + (v as unknown[]).map((x) => formatValue(x, verb, spec, depth + 1)).join(" ") + "]";
      break;
    case "map":
      out = "map[" + mapEntries(v).map(([k, x]) => formatValue(k, verb, spec, depth + 1) + ":" + formatValue(x, verb, spec, depth + 1)).join(" ") + "]";
      break;
    case "struct": {
      const st = v as GoStruct;
      const parts = Object.entries(st.fields)
        .filter(([, x]) => !isMethod(x))
        .map(([k, x]) => (spec.plus ? k + ":" : "") + formatValue(x, verb, spec, depth + 1));
      out = (depth === 0 && st.typeName.startsWith("*") ? "&" : "") + "{" + parts.join(" ") + "}";
      break;
    }
    case "func":
      out = verb === "v" || verb === "p" ? pad("0x0", spec) : undefined;
      break;
  }
  return out ?? badVerb(verb, v);
}

/** fmt.Sprint: operands in %v, a space between two operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = "";
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += formatValue(a, "v");
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands, then a newline. */
export function sprintln(args: unknown[]): string {
  return args.map((a) => formatValue(a, "v")).join(" ") + "\n";
}

/** fmt.Sprintf with Go's verbs, flags, width, precision, and its %!verb(…) complaints. */
export function sprintf(format: string, args: unknown[]): string {
  let out = "";
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== "%") {
      out += c;
      i++;
      continue;
    }
    i++;
    const spec: Spec = { ...plain };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === "-") spec.minus = true;
      else if (f === "+") spec.plus = true;
      else if (f === "#") spec.sharp = true;
      else if (f === " ") spec.space = true;
      else if (f === "0") spec.zero = !spec.minus;
      else break;
    }
    const num = (): number | undefined => {
      if (format[i] === "*") {
        i++;
        const a = args[argi++];
        return typeof a === "number" ? a : undefined;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    spec.width = num();
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (format[i] === ".") {
      i++;
      spec.prec = num() ?? 0;
    }
    if (i >= format.length) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatValue(args[argi++], verb, spec);
  }
  if (argi < args.length) {
    out += "%!(EXTRA " + args.slice(argi).map((a) => `${goTypeName(a)}=${formatValue(a, "v")}`).join(", ") + ")";
  }
  return out;
}

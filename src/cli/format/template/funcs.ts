// Go's predefined template functions, and the ones the docker CLI adds.
import type { FuncSpec, TemplateFunc } from "./exec.ts";
import { goJson } from "./json.ts";
import { sprint, sprintf, sprintln } from "./print.ts";
import { goTypeName, isTrue, kindOf, mapGet, mapZero, numberValue } from "./values.ts";

const any = (n: number, call: FuncSpec["call"]): FuncSpec => ({ params: Array(n).fill("any"), call });
const variadic = (n: number, call: FuncSpec["call"]): FuncSpec => ({ params: Array(n).fill("any"), variadic: "any", call });

function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

function indexOne(item: unknown, key: unknown): unknown {
  switch (kindOf(item)) {
    case "invalid": case "nil":
      throw new Error("index of untyped nil");
    case "slice": case "bytes": case "string": {
      if (kindOf(key) !== "int") throw new Error(`cannot index slice/array with type ${goTypeName(key)}`);
      const i = numberValue(key);
      const seq = typeof item === "string" ? Buffer.from(item, "utf8") : (item as ArrayLike<unknown>);
      if (i < 0 || i >= seq.length) throw new Error(`index out of range: ${i}`);
      return seq[i];
    }
    case "map": {
      const v = mapGet(item, key);
      return v === undefined ? mapZero(item) : v;
    }
    default:
      throw new Error(`can't index item of type ${goTypeName(item)}`);
  }
}

function sliceOf(item: unknown, idx: unknown[]): unknown {
  const k = kindOf(item);
  if (k !== "string" && k !== "slice" && k !== "bytes") throw new Error(`can't slice item of type ${goTypeName(item)}`);
  if (idx.length > 3) throw new Error(`too many slice indexes: ${idx.length}`);
  if (k === "string" && idx.length === 3) throw new Error("cannot 3-index slice a string");
  const seq = k === "string" ? Buffer.from(item as string, "utf8") : (item as ArrayLike<unknown>);
  const n = idx.map((x) => {
    if (kindOf(x) !== "int") throw new Error(`cannot index slice/array with type ${goTypeName(x)}`);
    return numberValue(x);
  });
  const lo = n[0] ?? 0;
  const hi = n[1] ?? seq.length;
  if (lo < 0 || hi < lo || hi > seq.length) throw new Error(`index out of range: ${hi > seq.length ? hi : lo}`);
  if (k === "string") return (seq as Buffer).subarray(lo, hi).toString("utf8");
  return Array.from(seq).slice(lo, hi);
}

function basicKind(v: unknown): "bool" | "int" | "float" | "string" | "nil" | "other" {
  const k = kindOf(v);
  if (k === "invalid" || k === "nil") return "nil";
  return k === "bool" || k === "int" || k === "float" || k === "string" ? k : "other";
}

function compare(a: unknown, b: unknown, op: string): number {
  const ka = basicKind(a), kb = basicKind(b);
  if (op !== "eq" && (ka === "nil" || ka === "other" || ka === "bool")) throw new Error("invalid type for comparison");
  const numeric = (ka === "int" || ka === "float") && (kb === "int" || kb === "float");
  if (ka !== kb && !(numeric && ka === kb)) {
    if (ka === "nil" || kb === "nil") {
      if (op === "eq") return ka === kb ? 0 : 1;
    }
    throw new Error("incompatible types for comparison");
  }
  if (ka === "other") throw new Error("non-comparable types");
  if (ka === "int" || ka === "float") return Math.sign(numberValue(a) - numberValue(b));
  if (ka === "string") return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  return a === b ? 0 : 1;
}

function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\0": "\ufffd" })[c]!);
}

function jsEscape(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === "\\" || ch === "'" || ch === '"') out += "\\" + ch;
    else if (ch === "<" || ch === ">" || ch === "&" || ch === "=" || cp < 0x20) out += "\\u" + cp.toString(16).toUpperCase().padStart(4, "0");
    else out += ch;
  }
  return out;
}

function queryEscape(s: string): string {
  return [...Buffer.from(s, "utf8")].map((b) => {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
    if (c === " ") return "+";
    return "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }).join("");
}

/** html/js/urlquery take their arguments the way Go's evalArgs does. */
function evalArgs(args: unknown[]): string {
  return args.length === 1 && typeof args[0] === "string" ? args[0] : sprint(args);
}

export const goBuiltins: Record<string, TemplateFunc> = {
  and: { params: ["any"], variadic: "any", lazy: true, call: (...th: (() => unknown)[]) => {
    let v: unknown;
    for (const t of th) if (!isTrue((v = t()))) return v;
    return v;
  } },
  or: { params: ["any"], variadic: "any", lazy: true, call: (...th: (() => unknown)[]) => {
    let v: unknown;
    for (const t of th) if (isTrue((v = t()))) return v;
    return v;
  } },
  not: any(1, (v) => !isTrue(v)),
  len: any(1, (v) => {
    switch (kindOf(v)) {
      case "string": return utf8Length(v as string);
      case "slice": case "bytes": return (v as ArrayLike<unknown>).length;
      case "map": return v instanceof Map ? v.size : Object.keys(v as object).length;
      default: throw new Error(`len of type ${goTypeName(v)}`);
    }
  }),
  index: variadic(1, (item, ...keys) => keys.reduce((acc, k) => indexOne(acc, k), item)),
  slice: variadic(1, (item, ...idx) => sliceOf(item, idx)),
  print: variadic(0, (...a) => sprint(a)),
  println: variadic(0, (...a) => sprintln(a)),
  printf: { params: ["string"], variadic: "any", call: (f: string, ...a: unknown[]) => sprintf(f, a) },
  eq: variadic(1, (a, ...bs) => {
    if (bs.length === 0) throw new Error("missing argument for comparison");
    return bs.some((b) => compare(a, b, "eq") === 0);
  }),
  ne: any(2, (a, b) => compare(a, b, "eq") !== 0),
  lt: any(2, (a, b) => compare(a, b, "lt") < 0),
  le: any(2, (a, b) => compare(a, b, "le") <= 0),
  gt: any(2, (a, b) => compare(a, b, "gt") > 0),
  ge: any(2, (a, b) => compare(a, b, "ge") >= 0),
  html: variadic(0, (...a) => htmlEscape(evalArgs(a))),
  js: variadic(0, (...a) => jsEscape(evalArgs(a))),
  urlquery: variadic(0, (...a) => queryEscape(evalArgs(a))),
  call: variadic(1, (fn, ...a) => {
    if (typeof fn !== "function") throw new Error(`non-function of type ${goTypeName(fn)}`);
    return fn(...a);
  }),
};

/** Go maps case rune by rune (simple case mapping): "ß" stays "ß", unlike JavaScript's "SS". */
function mapRunes(s: string, f: (c: string) => string): string {
  let out = "";
  for (const ch of s) {
    const m = f(ch);
    out += [...m].length === 1 ? m : ch;
  }
  return out;
}
const goUpper = (s: string) => mapRunes(s, (c) => c.toUpperCase());
const goLower = (s: string) => mapRunes(s, (c) => c.toLowerCase());

/** strings.Title: upper-cases the first letter of each word (separators: not letters, digits or _). */
function goTitle(s: string): string {
  let prev = " ";
  let out = "";
  for (const ch of s) {
    const sep = !/[\p{L}\p{Nd}_]/u.test(prev);
    out += sep ? goUpper(ch) : ch;
    prev = ch;
  }
  return out;
}

/** The functions docker's cli/templates adds (basicFunctions). */
export const dockerFunctions: Record<string, TemplateFunc> = {
  json: { params: ["any"], call: (v: unknown) => {
    try {
      return goJson(v);
    } catch {
      return ""; // docker ignores the encoder's error
    }
  } },
  split: { params: ["string", "string"], call: (s: string, sep: string) => (sep === "" ? [...s] : s.split(sep)) },
  join: { params: ["[]string", "string"], call: (a: string[], sep: string) => a.join(sep) },
  title: { params: ["string"], call: goTitle },
  lower: { params: ["string"], call: goLower },
  upper: { params: ["string"], call: goUpper },
  pad: { params: ["string", "int", "int"], call: (s: string, pre: number, post: number) =>
    s === "" ? s : " ".repeat(Math.max(0, pre)) + s + " ".repeat(Math.max(0, post)) },
  truncate: { params: ["string", "int"], call: (s: string, n: number) => {
    const b = Buffer.from(s, "utf8");
    return b.length < n ? s : b.subarray(0, n).toString("utf8");
  } },
};

/** docker's HeaderFunctions: when rendering a table header, these return their input unchanged. */
export const dockerHeaderFunctions: Record<string, TemplateFunc> = {
  json: { params: ["any"], call: (v: unknown) => v },
  split: { params: ["any", "any"], call: (v: unknown) => v },
  join: { params: ["any", "any"], call: (v: unknown) => v },
  title: { params: ["any"], call: (v: unknown) => v },
  lower: { params: ["any"], call: (v: unknown) => v },
  upper: { params: ["any"], call: (v: unknown) => v },
  pad: { params: ["any", "any", "any"], call: (v: unknown) => v },
  truncate: { params: ["any", "any"], call: (v: unknown) => v },
};

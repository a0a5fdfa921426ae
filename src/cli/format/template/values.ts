// How JavaScript values stand for Go values inside templates.
//   undefined            → an invalid reflect.Value (prints "<no value>")
//   null                 → nil
//   string, boolean      → string, bool
//   number               → int when integral, else float64; Float64 forces float64
//   bigint               → int64
//   Array                → slice ([]interface {})
//   Uint8Array           → []byte
//   Map, plain object    → map (keys sorted when printed, ranged or encoded)
//   GoStruct             → a struct (or *struct): fixed fields, methods, Go's errors
//   function             → a func value (as a struct/map member: a method)

/** A float64 that stays a float even when integral (Go prints 1e6 as "1e+06"). */
export class Float64 {
  constructor(readonly value: number) {}
}

/**
 * A Go struct: fields in declaration order, function members are methods
 * (called with the template's arguments). typeName is used in error messages
 * ("can't evaluate field Foo in type *formatter.ContainerContext"); a leading
 * "*" makes %v print "&{…}". marshalJSON stands in for Go's MarshalJSON.
 */
export class GoStruct {
  constructor(
    readonly typeName: string,
    readonly fields: Record<string, unknown>,
    readonly marshalJSON?: () => unknown,
  ) {}
}

export type GoKind = "invalid" | "nil" | "bool" | "int" | "float" | "string" | "slice" | "bytes" | "map" | "struct" | "func";

export function kindOf(v: unknown): GoKind {
  if (v === undefined) return "invalid";
  if (v === null) return "nil";
  switch (typeof v) {
    case "boolean": return "bool";
    case "string": return "string";
    case "bigint": return "int";
    case "number": return Number.isInteger(v) ? "int" : "float";
    case "function": return "func";
  }
  if (v instanceof Float64) return "float";
  if (v instanceof GoStruct) return "struct";
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return "slice";
  return "map";
}

/** Go's type name of a value, for messages like "%!d(string=x)". */
export function goTypeName(v: unknown): string {
  switch (kindOf(v)) {
    case "invalid": case "nil": return "<nil>";
    case "bool": return "bool";
    case "int": return "int";
    case "float": return "float64";
    case "string": return "string";
    case "bytes": return "[]uint8";
    case "slice": return (v as unknown[]).length > 0 && (v as unknown[]).every((x) => typeof x === "string") ? "[]string" : "[]interface {}";
    case "struct": return (v as GoStruct).typeName;
    case "func": return "func()";
    case "map": return mapEntries(v).every(([, x]) => typeof x === "string") && mapEntries(v).length > 0 ? "map[string]string" : "map[string]interface {}";
  }
}

/** A map's entries, keys in Go's sorted order (strings bytewise, numbers numerically). */
export function mapEntries(v: unknown): [string | number, unknown][] {
  const entries: [string | number, unknown][] =
    v instanceof Map ? [...v.entries()] : Object.entries(v as Record<string, unknown>);
  return entries.sort(([a], [b]) =>
    typeof a === "number" && typeof b === "number" ? a - b : compareBytes(String(a), String(b)));
}

export function mapGet(m: unknown, key: unknown): unknown {
  if (m instanceof Map) return m.get(key);
  const o = m as Record<string, unknown>;
  return Object.hasOwn(o, String(key)) ? o[String(key)] : undefined;
}

function compareBytes(a: string, b: string): number {
  // UTF-16 order differs from UTF-8 byte order only for astral vs high BMP; compare code points.
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

export function numberValue(v: unknown): number {
  if (v instanceof Float64) return v.value;
  if (typeof v === "bigint") return Number(v);
  return v as number;
}

/** Go's template truth: false, 0, nil, and empty strings, slices and maps are false. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case "invalid": case "nil": return false;
    case "bool": return v as boolean;
    case "int": case "float": return numberValue(v) !== 0;
    case "string": return (v as string).length > 0;
    case "slice": case "bytes": return (v as ArrayLike<unknown>).length > 0;
    case "map": return v instanceof Map ? v.size > 0 : Object.keys(v as object).length > 0;
    default: return true;
  }
}

/** A map is treated as map[string]string (zero value "") when all its values are strings. */
export function mapZero(m: unknown): unknown {
  if (m === null || m === undefined) return "";
  return mapEntries(m).every(([, x]) => typeof x === "string") ? "" : undefined;
}

/** Methods of a struct's members (and plain functions of a map) get called with the template's arguments. */
export function isMethod(v: unknown): v is (...args: unknown[]) => unknown {
  return typeof v === "function";
}

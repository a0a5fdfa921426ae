// Variable substitution as the Compose Specification defines it: $VAR, ${VAR},
// ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, ${VAR:+alt},
// ${VAR+alt}, defaults that hold substitutions themselves, and $$ for a
// literal dollar. Applied to every string value of a file, never to keys.
import { ComposeError } from "./errors.ts";

export type Lookup = (name: string) => string | undefined;

const namePattern = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Substitutes the variables of one string; `unset` hears each variable used with no value and no default. */
export function interpolate(text: string, lookup: Lookup, unset?: (name: string) => void): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "{") {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new ComposeError(`Invalid template: "${text}"`);
      out += substitute(text.slice(i + 2, end), text, lookup, unset);
      i = end + 1;
    } else {
      const m = namePattern.exec(text.slice(i + 1));
      if (!m) {
        // A lone $ (before a space, a digit, the end) stays as written.
        out += "$";
        i++;
        continue;
      }
      const v = lookup(m[0]);
      if (v === undefined) unset?.(m[0]);
      out += v ?? "";
      i += 1 + m[0].length;
    }
  }
  return out;
}

/** The index of the brace that closes one opened before `from`, counting nested ${…}. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "$" && text[j + 1] === "{") {
      depth++;
      j++;
    } else if (text[j] === "}" && --depth === 0) return j;
  }
  return -1;
}

function substitute(body: string, whole: string, lookup: Lookup, unset?: (name: string) => void): string {
  const m = namePattern.exec(body);
  if (!m) throw new ComposeError(`Invalid template: "${whole}"`);
  const name = m[0];
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === "") {
    if (value === undefined) unset?.(name);
    return value ?? "";
  }
  const op = /^(:?[-?+])/.exec(rest)?.[1];
  if (!op) throw new ComposeError(`Invalid template: "${whole}"`);
  const arg = () => interpolate(rest.slice(op.length), lookup, unset);
  const empty = op.startsWith(":") ? !value : value === undefined;
  switch (op.at(-1)) {
    case "-":
      return empty ? arg() : value!;
    case "+":
      return empty ? "" : arg();
    default: {
      if (!empty) return value!;
      const reason = arg();
      throw new ComposeError(`required variable ${name} is missing a value${reason ? `: ${reason}` : ""}`);
    }
  }
}

/**
 * Every string value in a parsed file, substituted; the error names the key
 * path (services.web.image) as compose does.
 */
export function interpolateTree(node: unknown, lookup: Lookup, unset?: (name: string) => void, path: string[] = []): unknown {
  if (typeof node === "string") {
    try {
      return interpolate(node, lookup, unset);
    } catch (e) {
      throw new ComposeError(`error while interpolating ${path.join(".")}: ${(e as Error).message}`);
    }
  }
  if (Array.isArray(node)) return node.map((x) => interpolateTree(x, lookup, unset, [...path, "[]"]));
  if (node && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, lookup, unset, [...path, k]);
    return out;
  }
  return node;
}

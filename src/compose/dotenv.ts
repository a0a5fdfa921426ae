// .env and env_file files as compose reads them: KEY=VALUE lines, `export`
// prefixes, comments, single quotes taken literally, double quotes with
// escapes, and substitution of variables defined earlier or in the environment.
import { readFileSync } from "node:fs";
import { ComposeError } from "./errors.ts";
import { interpolate, type Lookup } from "./interpolate.ts";

const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", $: "\\$" };

/** The variables of a dotenv text; `outside` supplies variables the file does not define. */
export function parseDotenv(text: string, outside: Lookup = () => undefined, file = ".env"): Record<string, string> {
  const vars: Record<string, string> = {};
  const lookup: Lookup = (n) => vars[n] ?? outside(n);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (!line || line.startsWith("#")) continue;
    line = line.replace(/^export\s+/, "");
    const eq = line.indexOf("=");
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new ComposeError(`failed to read ${file}: line ${i + 1}: unexpected character "${key.match(/[^A-Za-z0-9_.-]/)?.[0] ?? key}" in variable name "${key}"`);
    if (eq < 0) {
      // A bare name takes its value from the environment, or is left out.
      const v = outside(key);
      if (v !== undefined) vars[key] = v;
      continue;
    }
    let raw = line.slice(eq + 1).trimStart();
    const q = raw[0];
    if (q === "'" || q === '"') {
      // A quoted value may go over several lines.
      while (!closed(raw, q) && i + 1 < lines.length) raw += "\n" + lines[++i];
      const end = closingQuote(raw, q);
      if (end < 0) throw new ComposeError(`failed to read ${file}: line ${i + 1}: unterminated quoted value`);
      const inner = raw.slice(1, end);
      vars[key] = q === "'" ? inner : interpolate(inner.replace(/\\(.)/g, (m, c: string) => escapes[c] ?? m), lookup);
    } else {
      vars[key] = interpolate(raw.replace(/\s+#.*$/, "").trimEnd(), lookup);
    }
  }
  return vars;
}

function closingQuote(s: string, q: string): number {
  for (let j = 1; j < s.length; j++) {
    if (q === '"' && s[j] === "\\") j++;
    else if (s[j] === q) return j;
  }
  return -1;
}

function closed(s: string, q: string): boolean {
  return closingQuote(s, q) >= 0;
}

export function readDotenv(path: string, outside?: Lookup): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ComposeError(`couldn't find env file: ${path}`);
  }
  return parseDotenv(text, outside, path);
}

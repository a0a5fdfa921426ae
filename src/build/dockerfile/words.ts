// Splitting an instruction's arguments the ways Docker does: leading
// `--flag=value` words, the JSON (exec) form, whitespace words, and
// quote-aware words that keep their quotes for later expansion (ENV, LABEL).

/** A JSON array of strings, or undefined when `rest` is not one (then it is the shell form). */
export function jsonForm(rest: string): string[] | undefined {
  if (!rest.startsWith("[")) return undefined;
  try {
    const v = JSON.parse(rest);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
  } catch {
    // Not JSON: the shell form.
  }
  return undefined;
}

/** Leading `--name=value` / `--name` words and what follows them. */
export function leadingFlags(rest: string): { flags: { name: string; value?: string }[]; rest: string } {
  const flags: { name: string; value?: string }[] = [];
  let r = rest;
  for (;;) {
    const m = /^--([^\s=]*)(?:=(\S*))?(?:\s+|$)/.exec(r);
    if (!m || m[1] === "") break;
    flags.push({ name: m[1]!, ...(m[2] !== undefined ? { value: m[2] } : {}) });
    r = r.slice(m[0].length);
  }
  return { flags, rest: r };
}

/** Words separated by whitespace, quotes and escapes kept as written (they are removed on expansion). */
export function quotedWords(text: string, escape: string): string[] {
  const words: string[] = [];
  let cur = "";
  let quote = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (!quote && /\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
      continue;
    }
    inWord = true;
    cur += ch;
    if (ch === escape && quote !== "'" && i + 1 < text.length) {
      cur += text[++i];
      continue;
    }
    if (quote && ch === quote) quote = "";
    else if (!quote && (ch === '"' || ch === "'")) quote = ch;
  }
  if (inWord) words.push(cur);
  return words;
}

/** Plain whitespace words (COPY, ADD, VOLUME and EXPOSE shell forms do not group quoted words). */
export function whitespaceWords(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

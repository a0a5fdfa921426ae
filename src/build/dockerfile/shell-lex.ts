// Docker's word processing for the instructions it expands (FROM, COPY, ENV,
// WORKDIR, USER, …): quotes are removed, the escape character escapes, and
// $V, ${V} and the ${V:-x} family are substituted from the build's
// variables. RUN, CMD and ENTRYPOINT are never expanded here: the shell does.

export type Vars = (name: string) => string | undefined;

export class SubstitutionError extends Error {}

interface Scan {
  s: string;
  i: number;
  escape: string;
  vars: Vars;
}

/** One word: quotes removed, variables substituted, whitespace kept. */
export function expandWord(word: string, vars: Vars, escape = "\\"): string {
  return process({ s: word, i: 0, escape, vars }, "", false)[0] ?? "";
}

/** Whitespace-separated words (quotes group), each expanded. */
export function expandWords(text: string, vars: Vars, escape = "\\"): string[] {
  return process({ s: text, i: 0, escape, vars }, "", true);
}

function process(sc: Scan, stopOn: string, split: boolean): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  while (sc.i < sc.s.length) {
    const ch = sc.s[sc.i]!;
    if (stopOn && ch === stopOn) {
      sc.i++;
      return finish();
    }
    if (split && /\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
      sc.i++;
      continue;
    }
    inWord = true;
    if (ch === "'") {
      sc.i++;
      cur += singleQuoted(sc);
    } else if (ch === '"') {
      sc.i++;
      cur += doubleQuoted(sc);
    } else if (ch === "$") {
      cur += dollar(sc);
    } else if (ch === sc.escape) {
      sc.i++;
      if (sc.i < sc.s.length) cur += sc.s[sc.i++];
    } else {
      cur += ch;
      sc.i++;
    }
  }
  if (stopOn) throw new SubstitutionError(`missing '${stopOn === "}" ? "}" : stopOn}'`);
  return finish();

  function finish(): string[] {
    if (inWord || !split) words.push(cur);
    return words;
  }
}

function singleQuoted(sc: Scan): string {
  const end = sc.s.indexOf("'", sc.i);
  if (end < 0) throw new SubstitutionError("unexpected end of statement while looking for matching single-quote");
  const out = sc.s.slice(sc.i, end);
  sc.i = end + 1;
  return out;
}

function doubleQuoted(sc: Scan): string {
  let out = "";
  while (sc.i < sc.s.length) {
    const ch = sc.s[sc.i]!;
    if (ch === '"') {
      sc.i++;
      return out;
    }
    if (ch === "$") {
      out += dollar(sc);
      continue;
    }
    sc.i++;
    if (ch === sc.escape) {
      const next = sc.s[sc.i];
      if (next === undefined) continue; // an escape at the end of the word is dropped
      if (next === '"' || next === "$" || next === sc.escape) {
        out += next;
        sc.i++;
        continue;
      }
    }
    out += ch;
  }
  throw new SubstitutionError("unexpected end of statement while looking for matching double-quote");
}

/** At a `$`: a variable reference, or a literal `$` when no name follows. */
function dollar(sc: Scan): string {
  sc.i++; // the $
  const ch = sc.s[sc.i];
  if (ch === "{") {
    sc.i++;
    return braced(sc);
  }
  const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sc.s.slice(sc.i))?.[0];
  if (name) {
    sc.i += name.length;
    return sc.vars(name) ?? "";
  }
  // Shell specials ($1, $@, $$…) are never set in a Dockerfile: they expand to nothing.
  if (ch !== undefined && /[0-9*#@$?!-]/.test(ch)) {
    sc.i++;
    return "";
  }
  return "$";
}

function braced(sc: Scan): string {
  const name = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9*#@$?!-])/.exec(sc.s.slice(sc.i))?.[0];
  if (!name) throw new SubstitutionError(`bad substitution: \${${sc.s.slice(sc.i)}`);
  sc.i += name.length;
  const value = sc.vars(name);
  const next = sc.s[sc.i];
  if (next === "}") {
    sc.i++;
    return value ?? "";
  }
  let op = next ?? "";
  sc.i++;
  if (op === ":" || ((op === "#" || op === "%") && sc.s[sc.i] === op)) {
    op += sc.s[sc.i] ?? "";
    sc.i++;
  }
  const word = process(sc, "}", false)[0] ?? "";
  const set = value !== undefined;
  const nonEmpty = set && value !== "";
  switch (op) {
    case ":-": return nonEmpty ? value! : word;
    case "-": return set ? value! : word;
    case ":+": return nonEmpty ? word : "";
    case "+": return set ? word : "";
    case ":?":
      if (!nonEmpty) throw new SubstitutionError(`${name}: ${word || "parameter null or not set"}`);
      return value!;
    case "?":
      if (!set) throw new SubstitutionError(`${name}: ${word || "parameter not set"}`);
      return value!;
    case "#": case "##": return set ? trimPrefix(value!, word, op === "##") : "";
    case "%": case "%%": return set ? trimSuffix(value!, word, op === "%%") : "";
    default:
      throw new SubstitutionError(`unsupported modifier (${op}) in substitution`);
  }
}

function globRegex(pattern: string): RegExp {
  let re = "";
  for (const c of pattern) re += c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${re}$`, "s");
}

function trimPrefix(v: string, pattern: string, longest: boolean): string {
  const re = globRegex(pattern);
  const lengths = [...Array(v.length + 1).keys()];
  for (const n of longest ? lengths.reverse() : lengths) if (re.test(v.slice(0, n))) return v.slice(n);
  return v;
}

function trimSuffix(v: string, pattern: string, longest: boolean): string {
  const re = globRegex(pattern);
  const starts = [...Array(v.length + 1).keys()];
  for (const n of longest ? starts : starts.reverse()) if (re.test(v.slice(n))) return v.slice(0, n);
  return v;
}

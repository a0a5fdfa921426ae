// .dockerignore with Docker's rules: one pattern a line, `#` comments, `!`
// re-includes, a leading `/` means the context root, `**` spans directories,
// and a pattern that matches a directory matches everything under it. The
// last matching pattern decides.
import { posix } from "node:path";

interface Pattern {
  re: RegExp;
  exclusion: boolean;
}

export class IgnoreMatcher {
  private patterns: Pattern[];

  constructor(lines: string[]) {
    this.patterns = [];
    for (let raw of lines) {
      raw = raw.trim();
      if (!raw || raw.startsWith("#")) continue;
      const exclusion = raw.startsWith("!");
      let p = exclusion ? raw.slice(1).trim() : raw;
      p = posix.normalize(p).replace(/^\/+/, "").replace(/\/+$/, "");
      if (!p || p === ".") continue;
      this.patterns.push({ re: patternRegex(p), exclusion });
    }
  }

  static parse(text: string): IgnoreMatcher {
    return new IgnoreMatcher(text.split(/\r?\n/));
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether `path` (relative to the context, "/"-separated) is left out of the context. */
  ignores(path: string): boolean {
    const rel = posix.normalize(path).replace(/^\/+/, "").replace(/\/+$/, "");
    const parts = rel.split("/");
    let excluded = false;
    for (const p of this.patterns) {
      if (p.exclusion === excluded) {
        // Only a pattern that could flip the answer needs testing.
        let match = p.re.test(rel);
        // A match on any parent directory covers the path too.
        for (let i = 1; !match && i < parts.length; i++) match = p.re.test(parts.slice(0, i).join("/"));
        if (match) excluded = !p.exclusion;
      }
    }
    return excluded;
  }

  /** Whether a directory may hold something re-included below it (then it must be walked though excluded). */
  mayReinclude(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }
}

/** Go's filepath.Match syntax plus `**`, as a whole-path regex. */
function patternRegex(p: string): RegExp {
  let re = "";
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "*") {
      if (p[i + 1] === "*") {
        i++;
        if (p[i + 1] === "/") {
          i++;
          re += "(?:.*/)?"; // `**/` also matches no directory at all
        } else re += ".*";
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "\\" && i + 1 < p.length) re += escapeRe(p[++i]!);
    else if (c === "[") {
      const end = p.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        let cls = p.slice(i + 1, end);
        if (cls.startsWith("^")) cls = `^${cls.slice(1)}`;
        else if (cls.startsWith("!")) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, "s");
}

function escapeRe(c: string): string {
  return c.replace(/[.+^${}()|[\]\\/]/g, "\\$&");
}

// COPY/ADD sources: patterns resolved inside a source root (the context or
// another stage's filesystem) with Go's filepath.Match wildcards, never
// leaving that root; and a content hash of what they name for the cache —
// names, types, modes, owners, contents and symlink targets, not mtimes.
import { lstatSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { posix } from "node:path";
import { InvalidParameterError } from "../../errors.ts";
import { relativeToRoot, scopedPath } from "../fs/scoped-path.ts";

export interface Source {
  /** Path relative to the source root, as the pattern matched it (for messages and base names). */
  rel: string;
  /** Absolute path on the host, resolved within the root. */
  abs: string;
  /** Fetched from a URL or written from a heredoc: ADD copies it as it is, never extracting it. */
  verbatim?: boolean;
}

const GLOB = /[*?[\\]/;

/** Every path a COPY source pattern names, in sorted order. */
export function resolveSources(root: string, pattern: string, what: string): Source[] {
  const clean = posix.normalize(pattern.replace(/^\/+/, ""));
  if (clean === ".." || clean.startsWith("../")) throw new InvalidParameterError(`${what} failed: forbidden path outside the build context: ${pattern} ()`);
  if (!GLOB.test(clean)) {
    const abs = scopedPath(root, clean);
    try {
      lstatSync(abs);
    } catch {
      throw new InvalidParameterError(`${what} failed: file not found in build context or excluded by .dockerignore: stat ${clean}: file does not exist`);
    }
    return [{ rel: clean === "." ? "" : clean, abs }];
  }
  const parts = clean.split("/");
  let found: string[] = [""];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of found) {
      if (!GLOB.test(part)) {
        next.push(base ? `${base}/${part}` : part);
        continue;
      }
      const dir = scopedPath(root, base);
      let names: string[] = [];
      try {
        if (statSync(dir).isDirectory()) names = readdirSync(dir);
      } catch {
        // No such directory: the pattern matches nothing there.
      }
      const re = globRegex(part);
      for (const n of names.sort()) if (re.test(n)) next.push(base ? `${base}/${n}` : n);
    }
    found = next;
  }
  const out = found.map((rel) => ({ rel, abs: scopedPath(root, rel) })).filter((s) => {
    try {
      lstatSync(s.abs);
      return true;
    } catch {
      return false;
    }
  });
  if (!out.length) throw new InvalidParameterError(`${what} failed: no source files were specified`);
  return out;
}

function globRegex(part: string): RegExp {
  let re = "";
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\" && i + 1 < part.length) re += part[++i]!.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    else if (c === "[") {
      const end = part.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const cls = part.slice(i + 1, end);
        re += `[${cls.startsWith("^") || cls.startsWith("!") ? `^${cls.slice(1)}` : cls}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s");
}

/**
 * Feeds everything a source names into `h`: the source's own entry (followed
 * when it is a symlink, as COPY does) and, for a directory, every entry below.
 */
export async function hashSource(src: Source, h: Bun.CryptoHasher): Promise<void> {
  const walk = async (abs: string, rel: string, follow: boolean) => {
    const st = follow ? statSync(abs) : lstatSync(abs);
    const kind = st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : st.isFile() ? "f" : "o";
    h.update(`${kind}\0${rel}\0${st.mode & 0o7777}\0${st.uid}:${st.gid}\0`);
    if (kind === "l") h.update(`${readlinkSync(abs)}\0`);
    else if (kind === "f") {
      const file = Bun.file(abs);
      h.update(`${st.size}\0`);
      for await (const chunk of file.stream()) h.update(chunk);
    } else if (kind === "d") {
      for (const name of readdirSync(abs).sort()) await walk(`${abs}/${name}`, `${rel}/${name}`, false);
    }
  };
  await walk(src.abs, src.rel, true);
}

export { relativeToRoot };

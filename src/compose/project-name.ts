// The project name compose derives or accepts: -p, COMPOSE_PROJECT_NAME, the
// file's `name:`, else the project directory's name made valid.
import { basename } from "node:path";
import { ComposeError } from "./errors.ts";

/** A directory's name as compose turns it into a project name: lowercase, only [a-z0-9_-], starting with a letter or digit. */
export function normalizeProjectName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]/g, "").replace(/^[^a-z0-9]+/, "");
}

export function checkProjectName(name: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    throw new ComposeError(`invalid project name "${name}": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`);
  }
  return name;
}

export function projectName(opts: { flag?: string; env?: string; fileName?: string; dir: string }): string {
  if (opts.flag) return checkProjectName(opts.flag);
  if (opts.env) return checkProjectName(opts.env);
  if (opts.fileName) return checkProjectName(opts.fileName);
  const derived = normalizeProjectName(basename(opts.dir));
  if (!derived) throw new ComposeError(`project name must not be empty`);
  return derived;
}

// The develop.watch rules of the services watched, and what a changed host path
// means to each: whether a rule takes it (under the rule's path, matching its
// include patterns, matched by none of its ignores) and where it lands in the
// container (the rule's target plus the path below the rule's path). What a rule
// ignores, as compose has it: the rule's `ignore` (relative to its path), the
// service's .dockerignore (relative to the build context, <Dockerfile>.dockerignore
// first), editors' temporary files, and .git.
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, posix, relative, sep } from "node:path";
import { IgnoreMatcher } from "../../../build/context/dockerignore.ts";
import { ComposeError } from "../../../compose/errors.ts";
import type { Project, Service, WatchTrigger } from "../../../compose/types.ts";

export interface WatchRule extends WatchTrigger {
  service: string;
  /** Whether a host path under the rule's path is left alone. */
  ignored(hostPath: string): boolean;
  /** Whether a host path under the rule's path is one the rule's include patterns take (all when it has none). */
  included(hostPath: string): boolean;
}

// GoLand, emacs, vim, kate and go's own temporary files: saved-and-deleted noise, never a change to sync.
const ephemeral = new IgnoreMatcher([
  "**/*___jb_old___", "**/*___jb_tmp___", "**/.idea/**", "**/.#*", "**/#*#", "**/4913", "**/*~", "**/.*.swp", "**/.*.swx", "**/.*.swo", "**/.*.swn",
  "**/.*.kate-swp", "**/*-go-tmp-umask",
]);

/** `path` relative to `root` with "/" separators, or undefined when it is not under `root` ("" for `root` itself). */
export function below(root: string, path: string): string | undefined {
  if (path === root) return "";
  const rel = relative(root, path);
  if (!rel || rel === ".." || rel.startsWith(`..${sep}`) || rel.startsWith(sep)) return undefined;
  return rel.split(sep).join("/");
}

/** Patterns relative to `root`, as a test of absolute paths. */
function matcherUnder(root: string, patterns: string[]): (hostPath: string) => boolean {
  if (!patterns.length) return () => false;
  const m = new IgnoreMatcher(patterns);
  return (hostPath) => {
    const rel = below(root, hostPath);
    return !!rel && m.ignores(rel);
  };
}

/** The service's .dockerignore, as compose reads it for watch: <Dockerfile>.dockerignore first, then the context's. */
function dockerignore(s: Service): (hostPath: string) => boolean {
  const b = s.build;
  if (!b || /^[a-z]+:\/\//.test(b.context)) return () => false;
  for (const f of [`${b.context}/${b.dockerfile ?? "Dockerfile"}.dockerignore`, `${b.context}/.dockerignore`]) {
    if (existsSync(f)) return matcherUnder(b.context, readFileSync(f, "utf8").split(/\r?\n/));
  }
  return () => false;
}

/** A rule's path with its symlinks resolved where it exists, as compose-go resolves it. */
function resolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // not there yet: watched from the nearest directory that is
  }
}

/** Whether a sync rule's path is also bound into the container (compose then leaves the rule out, with a warning). */
function boundAlready(path: string, s: Service): boolean {
  return (s.volumes ?? []).some((v) => v.type === "bind" && v.source !== undefined && below(v.source, path) !== undefined);
}

/** The rules of the services named that have develop.watch, checked as compose checks them. */
export function watchRules(p: Project, services: string[], warn: (s: string) => void, o: { noBuild?: boolean } = {}): WatchRule[] {
  const rules: WatchRule[] = [];
  for (const name of services) {
    const s = p.services[name]!;
    const triggers = s.develop?.watch ?? [];
    const dockerIgnored = dockerignore(s);
    for (const t of triggers) {
      if (t.action === "rebuild") {
        if (!s.build) throw new ComposeError(`can't watch service "${name}" with action rebuild without a build context`);
        if (o.noBuild) throw new ComposeError(`--no-build is incompatible with watch action rebuild in service ${name}`);
      }
      if (t.action === "sync+exec" && !t.exec?.command?.length) throw new ComposeError(`can't watch with action "sync+exec" on service ${name} without a command`);
      const path = resolved(t.path);
      if ((t.action === "sync" || t.action === "sync+restart") && boundAlready(path, s)) {
        warn(`path '${t.path}' also declared by a bind mount volume, this path won't be monitored!`);
        continue;
      }
      const own = matcherUnder(path, t.ignore ?? []);
      const include = t.include?.length ? matcherUnder(path, t.include) : undefined;
      rules.push({
        ...t, path, service: name,
        ignored: (h) => dockerIgnored(h) || ephemeral.ignores(h.replace(/^\/+/, "")) || (below(path, h) ?? "").split("/").includes(".git") || own(h),
        included: (h) => !include || include(h),
      });
    }
  }
  if (!rules.length) throw new ComposeError("none of the selected services is configured for watch, consider setting a 'develop' section");
  return rules;
}

/** Where a changed host path goes for a rule: its container path ("" for rules without a target), or undefined when the rule does not take it. */
export function containerPathFor(rule: WatchRule, hostPath: string): string | undefined {
  const rel = below(rule.path, hostPath);
  if (rel === undefined || !rule.included(hostPath) || rule.ignored(hostPath)) return undefined;
  return rule.target ? posix.join(rule.target, rel) : "";
}

/**
 * What to watch: each directory rule's path, recursively (or, while it does not exist, the nearest
 * directory above it); a file rule's directory alone, so that an editor that saves by renaming a new file
 * over the old one is still seen after its first save.
 */
export function watchedRoots(rules: WatchRule[]): { path: string; recursive: boolean }[] {
  const roots = new Map<string, boolean>();
  for (const r of rules) {
    let d = r.path;
    while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
    const file = d === r.path && !statSync(d).isDirectory();
    const root = file ? dirname(d) : d;
    roots.set(root, (roots.get(root) ?? false) || !file);
  }
  // A root inside a recursive one is seen through it.
  const recursive = [...roots].filter(([, rec]) => rec).map(([p]) => p);
  return [...roots].filter(([p]) => !recursive.some((o) => o !== p && below(o, p) !== undefined)).map(([path, rec]) => ({ path, recursive: rec }));
}

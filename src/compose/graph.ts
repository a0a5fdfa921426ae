// The services' depends_on graph: checked for unknown services and cycles
// with compose's words, and walked in start order (dependencies first) or
// stop order (dependants first).
import { ComposeError } from "./errors.ts";
import type { Service } from "./types.ts";

export function checkDependencies(services: Record<string, Service>, disabled: Record<string, Service> = {}): void {
  for (const [name, s] of Object.entries(services)) {
    for (const [dep, spec] of Object.entries(s.depends_on ?? {})) {
      if (services[dep]) continue;
      if (!spec.required) continue; // an optional dependency may be absent
      if (disabled[dep]) throw new ComposeError(`service "${dep}" was pulled in as a dependency of service "${name}" but is not enabled by the active profiles. You may fix this by adding a common profile to "${dep}" and "${name}".`);
      throw new ComposeError(`service "${name}" depends on undefined service "${dep}": invalid compose project`);
    }
  }
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (n: string) => {
    if (state.get(n) === "done") return;
    if (state.get(n) === "visiting") {
      const cycle = [...path.slice(path.indexOf(n)), n];
      throw new ComposeError(`dependency cycle detected: ${cycle.join(" -> ")}`);
    }
    state.set(n, "visiting");
    path.push(n);
    for (const dep of Object.keys(services[n]?.depends_on ?? {})) if (services[dep]) visit(dep);
    path.pop();
    state.set(n, "done");
  };
  for (const n of Object.keys(services).sort()) visit(n);
}

/** The named services and everything they depend on, transitively. */
export function withDependencies(services: Record<string, Service>, names: string[]): string[] {
  const out = new Set<string>();
  const add = (n: string) => {
    if (out.has(n) || !services[n]) return;
    out.add(n);
    for (const dep of Object.keys(services[n]!.depends_on ?? {})) add(dep);
  };
  names.forEach(add);
  return [...out];
}

/** The services that depend on any of `names`, transitively (not `names` themselves). */
export function dependants(services: Record<string, Service>, names: string[]): string[] {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [n, s] of Object.entries(services)) {
      if (out.has(n) || names.includes(n)) continue;
      if (Object.keys(s.depends_on ?? {}).some((d) => names.includes(d) || out.has(d))) {
        out.add(n);
        grew = true;
      }
    }
  }
  return [...out];
}

/**
 * Runs `fn` for each service once all its dependencies (within `names`) are
 * done, in parallel where the graph allows; the first failure stops new starts
 * and is thrown once the running ones finish.
 */
export async function inDependencyOrder(services: Record<string, Service>, names: string[], fn: (name: string) => Promise<void>, reverse = false): Promise<void> {
  const set = new Set(names);
  const waitsFor = new Map<string, string[]>();
  for (const n of names) {
    const deps = reverse ? names.filter((m) => Object.keys(services[m]?.depends_on ?? {}).includes(n)) : Object.keys(services[n]?.depends_on ?? {}).filter((d) => set.has(d));
    waitsFor.set(n, deps);
  }
  const done = new Map<string, Promise<void>>();
  let failure: unknown;
  const run = (n: string): Promise<void> => {
    if (!done.has(n)) {
      done.set(n, (async () => {
        await Promise.all(waitsFor.get(n)!.map(run));
        if (failure) return;
        try {
          await fn(n);
        } catch (e) {
          failure ??= e;
        }
      })());
    }
    return done.get(n)!;
  };
  await Promise.all(names.map(run));
  if (failure) throw failure;
}

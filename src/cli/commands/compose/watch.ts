// `berth compose watch` and `up --watch`: the services' develop.watch rules
// applied as files change. Changes are gathered by a recursive fs.watch of each
// rule's path and handled in batches once 500 ms have passed without another
// (compose's quiet period): rebuild rules rebuild the image and recreate the
// service, sync rules copy the changed paths in (watch-sync.ts), then restart
// or exec as the rule says. What is printed are compose's own lines.
import { watch as fsWatch, lstatSync, readdirSync, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { ComposeError } from "../../../compose/errors.ts";
import type { Project } from "../../../compose/types.ts";
import type { ComposeContext, ComposeSubcommand } from "./command.ts";
import { converge, startServices } from "./converge.ts";
import { runHook } from "./hooks.ts";
import { buildService } from "./images.ts";
import { projectContainers } from "./project-containers.ts";
import type { Made } from "./resources.ts";
import { containerPathFor, watchedRoots, watchRules, type WatchRule } from "./watch-rules.ts";
import { syncService, type PathMapping } from "./watch-sync.ts";

/** compose's quiet period: a batch is handled once no change has come for this long. */
export const quietPeriodMs = 500;

/** Go's %q of a []string, as compose prints a list of services: ["web" "db"]. */
function goList(names: string[]): string {
  return `[${[...names].sort().map((n) => JSON.stringify(n)).join(" ")}]`;
}

export interface WatchOptions {
  /** Prints one of compose's watch lines. */
  log(line: string): void;
  /** Hides the builder's output on rebuild (watch --quiet). */
  quiet?: boolean;
  /** Removes the project's dangling images after a rebuild (watch --prune). */
  prune?: boolean;
  /** Refuses rebuild rules (up --no-build). */
  noBuild?: boolean;
  /** Ends the watch. */
  signal: AbortSignal;
  /**
   * Attached up: each batch runs inside `hold` (up does not end while containers are replaced), and the
   * containers a batch recreates or restarts are attached again.
   */
  session?: {
    hold<T>(work: () => Promise<T>): Promise<T>;
    reattach(services: string[], how: { recreated: true } | { restartedSince: number }): Promise<void>;
    /** Ctrl+C or an abort is stopping the containers: a batch then starts nothing. */
    stopping(): boolean;
  };
}

/**
 * initial_sync, as compose does it: the files under the rule's path that the rule takes and that were
 * modified after the image of the service's first container was made (older ones are in the image already).
 */
async function initialFiles(c: ComposeContext, p: Project, rule: WatchRule): Promise<PathMapping[]> {
  const client = await c.client();
  const [first] = await projectContainers(client, p.name, { all: true, services: [rule.service] });
  if (!first?.ImageID) throw new ComposeError("could not get created time for service's image");
  const created = Date.parse((await client.json<{ Created: string }>("GET", `/images/${first.ImageID}/json`)).Created);
  const out: PathMapping[] = [];
  const walk = (path: string) => {
    const containerPath = containerPathFor(rule, path);
    if (containerPath === undefined && path !== rule.path) return;
    let st;
    try {
      st = lstatSync(path); // a symlink goes as itself, as in compose's walk, and is never followed into a loop
    } catch {
      return; // gone since it was listed: nothing to copy
    }
    if (st.isDirectory()) for (const n of readdirSync(path)) walk(join(path, n));
    else if (containerPath && st.mtimeMs >= created) out.push({ hostPath: path, containerPath });
  };
  walk(rule.path);
  return out;
}

/** Watches until the signal ends it; each batch's failure is a warning, as compose's. */
export async function watchProject(c: ComposeContext, p: Project, services: string[], o: WatchOptions): Promise<void> {
  const warn = (s: string) => c.ctx.err(`WARN[0000] ${s}`);
  const rules = watchRules(p, services, warn, { noBuild: o.noBuild });
  const client = await c.client();
  for (const r of rules.filter((x) => x.initial_sync && (x.action === "sync" || x.action === "sync+restart"))) {
    await syncService(client, p.name, r.service, await initialFiles(c, p, r));
  }
  let pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy: Promise<void> = Promise.resolve();
  const flush = () => {
    timer = undefined;
    const batch = [...pending];
    pending = new Set();
    // One batch at a time; changes that come meanwhile make the next.
    const work = () => handleBatch(c, p, rules, batch, o);
    busy = busy.then(() => (o.session ? o.session.hold(work) : work())).catch((e) => warn(`Error handling changed files: ${(e as Error).message}`));
  };
  const watchers: FSWatcher[] = [];
  for (const { path: root, recursive } of watchedRoots(rules)) {
    watchers.push(fsWatch(root, { recursive }, (_event, name) => {
      pending.add(name ? join(root, name.toString()) : root);
      clearTimeout(timer);
      timer = setTimeout(flush, quietPeriodMs);
    }));
  }
  o.log("Watch enabled");
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) return resolve();
    o.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  for (const w of watchers) w.close();
  clearTimeout(timer);
  await busy;
  o.log("Watch disabled");
}

/** One batch of changed paths: rebuilds first, then syncs, restarts and execs, as compose orders them. */
async function handleBatch(c: ComposeContext, p: Project, rules: WatchRule[], batch: string[], o: WatchOptions): Promise<void> {
  if (o.session?.stopping()) return;
  const rebuild = new Set<string>();
  const restart = new Set<string>();
  const sync = new Map<string, PathMapping[]>();
  const exec = new Map<string, Set<WatchRule>>();
  for (const hostPath of batch) {
    for (const r of rules) {
      const containerPath = containerPathFor(r, hostPath);
      if (containerPath === undefined) continue;
      if (r.action === "rebuild") rebuild.add(r.service);
      if (r.action === "restart" || r.action === "sync+restart") restart.add(r.service);
      if (r.action.startsWith("sync")) {
        const list = sync.get(r.service) ?? [];
        if (!list.some((m) => m.hostPath === hostPath && m.containerPath === containerPath)) list.push({ hostPath, containerPath });
        sync.set(r.service, list);
      }
      if (r.action === "sync+exec") exec.set(r.service, (exec.get(r.service) ?? new Set()).add(r));
    }
  }
  const client = await c.client();
  if (rebuild.size) await rebuildServices(c, p, [...rebuild], o);
  for (const [service, mappings] of sync) {
    o.log(`Syncing service ${JSON.stringify(service)} after ${mappings.length} changes were detected`);
    await syncService(client, p.name, service, mappings);
  }
  if (restart.size && !o.session?.stopping()) {
    const list = [...restart];
    const since = Date.now() / 1000;
    for (const ct of await projectContainers(client, p.name, { all: true, services: list })) await client.request("POST", `/containers/${ct.Id}/restart`);
    await o.session?.reattach(list, { restartedSince: since });
    o.log(`service(s) ${goList(list)} restarted`);
  }
  await Promise.all([...exec].map(async ([service, set]) => {
    for (const ct of await projectContainers(client, p.name, { all: false, services: [service] })) {
      for (const r of set) await runHook(client, ct.Id, r.exec!, !!p.services[service]!.tty, (l) => c.ctx.out(l));
    }
  }));
}

/** A rebuild rule's work: the image built again, the service's containers recreated with it (anonymous volumes kept) and started. */
async function rebuildServices(c: ComposeContext, p: Project, services: string[], o: WatchOptions): Promise<void> {
  o.log(`Rebuilding service(s) ${goList(services)} after changes were detected...`);
  const client = await c.client();
  try {
    for (const s of services) {
      await buildService(c, p, s, p.services[s]!, { quiet: o.quiet, lines: o.log });
    }
  } catch (e) {
    o.log(`Build failed. Error: ${(e as Error).message}`);
    throw e;
  }
  o.log(`service(s) ${goList(services)} successfully built`);
  if (o.session?.stopping()) return; // Ctrl+C during the build: the containers stay as they are, stopped
  const err = (s: string) => c.ctx.err(s);
  const made: Made = { networks: [], volumes: [], containers: [] };
  try {
    await converge(client, p, services, made, err, { forceRecreate: true, named: services });
    await o.session?.reattach(services, { recreated: true });
  } catch (e) {
    o.log(`Failed to recreate services after update. Error: ${(e as Error).message}`);
    throw e;
  }
  await startServices(client, p, services, err, { stopping: o.session?.stopping }).catch((e) => o.log(`Application failed to start after update. Error: ${(e as Error).message}`));
  // After the recreate: compose prunes before it, while the replaced image is still in use and so stays until the next rebuild.
  if (o.prune) await pruneDangling(c, p);
}

/** watch --prune: the project's images left without a tag by a rebuild are removed (one still in use stays). */
async function pruneDangling(c: ComposeContext, p: Project): Promise<void> {
  const client = await c.client();
  const filters = { dangling: ["true"], label: [`com.docker.compose.project=${p.name}`] };
  for (const img of await client.json<{ Id: string }[]>("GET", "/images/json", { query: { filters: JSON.stringify(filters) } })) {
    await client.request("DELETE", `/images/${img.Id}`).catch(() => {}); // in use by a container: kept, as compose leaves it
  }
}

export const watchSubcommand: ComposeSubcommand = {
  name: "watch",
  synopsis: "[SERVICE...]",
  description: "Watch build context for service and rebuild/refresh containers when files are updated",
  flags: [
    { name: "no-up", type: "bool", help: "Do not build & start services before watching" },
    { name: "prune", type: "bool", default: true, help: "Prune dangling images on rebuild" },
    { name: "quiet", type: "bool", help: "hide build output" },
  ],
  async run(c, f, args) {
    const p = await c.load(args);
    const { projectUp, selectServices } = await import("./up.ts");
    const services = selectServices(p, args);
    if (!f["no-up"]) {
      // As compose: the services with a develop section and a build are built afresh, then brought up detached.
      for (const n of services) {
        const s = p.services[n]!;
        if (s.build && s.develop) s.pull_policy = "build";
      }
      await projectUp(c, p, services, { build: "missing", named: args, quietBuild: f.quiet });
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      await watchProject(c, p, services, { log: (l) => c.ctx.out(l), quiet: f.quiet, prune: f.prune, signal: stop.signal });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    return 0;
  },
};

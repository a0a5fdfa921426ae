// `berth compose up` and `create`: images built or pulled, networks and
// volumes made, containers converged in dependency order; then detached
// (-d, --wait) or attached to the output until the containers exit. A run
// that fails takes away the networks, volumes and containers it made.
import { ComposeError, DependencyFailedError } from "../../../compose/errors.ts";
import { inDependencyOrder, withDependencies } from "../../../compose/graph.ts";
import type { Project } from "../../../compose/types.ts";
import type { ComposeContext, ComposeSubcommand } from "./command.ts";
import { converge, removeContainer, startServices, stopContainer } from "./converge.ts";
import { confirm } from "./prompt.ts";
import { watchProject } from "./watch.ts";
import { watchRules } from "./watch-rules.ts";
import { ensureImages } from "./images.ts";
import { logPrinter, type LogPrinter } from "./log-printer.ts";
import { runHooks } from "./hooks.ts";
import { logName, replicas } from "./names.ts";
import { logNameOf, nameOf, projectContainers, progress, serviceOf, type ProjectContainer } from "./project-containers.ts";
import { ensureNetworks, ensureVolumes, rollBack, type Made } from "./resources.ts";
import { removeOrphans } from "./down.ts";
import { checkEngineSupport, ignoredKeyWarnings } from "./unsupported-keys.ts";
import { stdout } from "../../stdio.ts";

function scaleFlags(list: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of list) {
    const m = /^([^=]+)=(\d+)$/.exec(s);
    if (!m) throw new ComposeError(`invalid --scale option "${s}". Should be SERVICE=NUM`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** The services a command acts on: those named (with their dependencies unless --no-deps), else all. */
export function selectServices(p: Project, names: string[], noDeps = false): string[] {
  for (const n of names) if (!p.services[n]) throw new ComposeError(`no such service: ${n}`);
  if (!names.length) return Object.keys(p.services);
  return noDeps ? names : withDependencies(p.services, names);
}

/** The networks and volumes the services use. */
function resourcesOf(p: Project, services: string[]): { networks: string[]; volumes: string[] } {
  const networks = new Set<string>();
  const volumes = new Set<string>();
  for (const n of services) {
    const s = p.services[n]!;
    for (const k of Object.keys(s.networks ?? {})) networks.add(k);
    for (const v of s.volumes ?? []) if (v.type === "volume" && v.source) volumes.add(v.source);
  }
  return { networks: [...networks], volumes: [...volumes] };
}

export interface ProjectUpOptions {
  build?: "always" | "missing" | "never";
  pull?: "always" | "missing" | "never";
  forceRecreate?: boolean;
  noRecreate?: boolean;
  /** --always-recreate-deps */
  recreateDeps?: boolean;
  /** -V, --renew-anon-volumes */
  renewAnonVolumes?: boolean;
  /** --quiet-build: no builder output, only the Building/Built lines. */
  quietBuild?: boolean;
  /** -y: yes to compose's questions (a volume whose configuration changed is recreated). */
  assumeYes?: boolean;
  /** The services named on the command line (the others are their dependencies). */
  named?: string[];
  noDeps?: boolean;
  scale?: Record<string, number>;
  removeOrphans?: boolean;
  timeout?: number;
  noStart?: boolean;
  /** Attached up: where the hooks print, and what attaches between the creates and the starts. */
  attached?: { printer: LogPrinter; attach(): Promise<void>; stopping(): boolean };
}

/** Brings the services up (or creates them), rolling back what this run made if a step fails. */
export async function projectUp(c: ComposeContext, p: Project, services: string[], o: ProjectUpOptions): Promise<void> {
  const client = await c.client();
  const err = (s: string) => c.ctx.err(s);
  const made: Made = { networks: [], volumes: [], containers: [] };
  checkEngineSupport(p, services);
  for (const w of ignoredKeyWarnings(p, services)) err(`WARN[0000] ${w}`);
  try {
    await ensureImages(c, p, services, { build: o.build, pull: o.pull, quiet: o.quietBuild });
    const { networks, volumes } = resourcesOf(p, services);
    await ensureNetworks(client, p, networks, made, err);
    await ensureVolumes(client, p, volumes, made, err, (key, name) => replaceDivergedVolume(c, p, key, name, !!o.assumeYes, o.timeout));
    if (o.removeOrphans) await removeOrphans(c, p, err, o.timeout);
    // As compose: every container created first, then (attached: once attached to them) the starts.
    await converge(client, p, services, made, err, {
      forceRecreate: o.forceRecreate, noRecreate: o.noRecreate, recreateDeps: o.recreateDeps, renewAnonVolumes: o.renewAnonVolumes, named: o.named,
      scale: o.scale, timeout: o.timeout,
    });
    if (!o.noStart) {
      const attached = o.attached;
      if (attached) await attached.attach();
      const hookOutput = attached && ((name: string) => (line: string) => attached.printer.line(`${name} ->`, line));
      await startServices(client, p, services, attached ? () => {} : err, { noDeps: o.noDeps, hookOutput, stopping: attached?.stopping });
    }
  } catch (e) {
    // A start that fails because Ctrl+C or an abort is stopping the containers is no failure to undo,
    // nor is a dependency that ran and failed its condition: as compose, its containers stay to be looked at.
    if (!o.attached?.stopping() && !(e instanceof DependencyFailedError)) await rollBack(client, made);
    throw e;
  }
}

/**
 * compose's question for a project volume whose configuration changed (-y answers it): on a yes, the
 * containers of the services that mount it are stopped and removed, so that the volume can go.
 */
async function replaceDivergedVolume(c: ComposeContext, p: Project, key: string, name: string, assumeYes: boolean, timeout?: number): Promise<boolean> {
  if (!assumeYes && !(await confirm(`Volume "${name}" exists but doesn't match configuration in compose file. Recreate (data will be lost)?`, false))) return false;
  const client = await c.client();
  const err = (s: string) => c.ctx.err(s);
  const users = Object.keys(p.services).filter((n) => (p.services[n]!.volumes ?? []).some((v) => v.type === "volume" && v.source === key));
  const containers = users.length ? await projectContainers(client, p.name, { all: true, services: users }) : [];
  for (const ct of containers) if (ct.State === "running") await stopContainer(client, ct, err, timeout, p);
  for (const ct of containers) await removeContainer(client, ct, err);
  return true;
}

/** Seconds as Go prints a time.Duration: 90 → "1m30s". */
function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}h${m}m${s}s` : m ? `${m}m${s}s` : `${s}s`;
}

/** --wait: every container of the services running, and healthy where it has a healthcheck; dependencies that were to complete may have exited 0. */
async function waitRunning(c: ComposeContext, p: Project, services: string[], timeoutS?: number): Promise<void> {
  const client = await c.client();
  const deadline = timeoutS ? Date.now() + timeoutS * 1000 : Infinity;
  const completes = new Set(Object.values(p.services).flatMap((s) => Object.entries(s.depends_on ?? {}).filter(([, d]) => d.condition === "service_completed_successfully").map(([n]) => n)));
  for (const ct of await projectContainers(client, p.name, { services })) {
    const name = nameOf(ct);
    let status: string;
    for (;;) {
      const info = await client.json("GET", `/containers/${ct.Id}/json`);
      const health = info.State?.Health?.Status;
      if (!info.State.Running) {
        if (completes.has(serviceOf(ct)) && info.State.ExitCode === 0) {
          status = "Exited";
          break;
        }
        throw new ComposeError(`container ${name} exited (${info.State.ExitCode})`);
      }
      if (health === "unhealthy") throw new ComposeError(`container ${name} is unhealthy`);
      if (!health || health === "healthy") {
        status = health ? "Healthy" : "Running";
        break;
      }
      if (Date.now() > deadline) throw new ComposeError(`application not healthy after ${goDuration(timeoutS!)}`);
      await Bun.sleep(200);
    }
    progress((s) => c.ctx.err(s), "Container", name, status);
  }
}

/** The flags up and create share. */
const createFlags: ComposeSubcommand["flags"] = [
  { name: "build", type: "bool", help: "Build images before starting containers" },
  { name: "no-build", type: "bool", help: "Don't build an image, even if it's policy" },
  { name: "pull", type: "string", default: "policy", help: 'Pull image before running ("always"|"missing"|"never")' },
  { name: "force-recreate", type: "bool", help: "Recreate containers even if their configuration and image haven't changed" },
  { name: "no-recreate", type: "bool", help: "If containers already exist, don't recreate them. Incompatible with --force-recreate." },
  { name: "scale", type: "list", valueName: "scale", help: "Scale SERVICE to NUM instances. Overrides the scale setting in the Compose file if present." },
  { name: "remove-orphans", type: "bool", help: "Remove containers for services not defined in the Compose file" },
  { name: "yes", short: "y", type: "bool", help: 'Assume "yes" as answer to all prompts and run non-interactively' },
];

/** up's and create's flags as projectUp's options. */
function upOptions(f: Record<string, any>): ProjectUpOptions {
  if (f.build && f["no-build"]) throw new ComposeError("--build and --no-build are incompatible");
  if (f["renew-anon-volumes"] && f["no-recreate"]) throw new ComposeError("--no-recreate and --renew-anon-volumes are incompatible");
  if (f["force-recreate"] && f["no-recreate"]) throw new ComposeError("--force-recreate and --no-recreate are incompatible");
  if (f["always-recreate-deps"] && f["no-recreate"]) throw new ComposeError("--always-recreate-deps and --no-recreate are incompatible");
  if (f["no-build"] && f.watch) throw new ComposeError("--no-build and --watch are incompatible");
  return {
    build: f.build ? "always" : f["no-build"] ? "never" : "missing", pull: f.pull === "policy" ? undefined : f.pull,
    forceRecreate: f["force-recreate"], noRecreate: f["no-recreate"], recreateDeps: f["always-recreate-deps"], renewAnonVolumes: f["renew-anon-volumes"],
    quietBuild: f["quiet-build"], assumeYes: f.yes, scale: scaleFlags(f.scale), removeOrphans: f["remove-orphans"],
  };
}

export const upSubcommand: ComposeSubcommand = {
  name: "up",
  synopsis: "[OPTIONS] [SERVICE...]",
  description: "Create and start containers",
  flags: [
    { name: "detach", short: "d", type: "bool", help: "Detached mode: Run containers in the background" },
    ...createFlags,
    { name: "wait", type: "bool", help: "Wait for services to be running|healthy. Implies detached mode." },
    { name: "wait-timeout", type: "number", help: "Maximum duration in seconds to wait for the project to be running|healthy" },
    { name: "no-deps", type: "bool", help: "Don't start linked services" },
    { name: "always-recreate-deps", type: "bool", help: "Recreate dependent containers. Incompatible with --no-recreate." },
    { name: "renew-anon-volumes", short: "V", type: "bool", help: "Recreate anonymous volumes instead of retrieving data from the previous containers" },
    { name: "quiet-build", type: "bool", help: "Suppress the build output" },
    { name: "watch", short: "w", type: "bool", help: "Watch source code and rebuild/refresh containers when files are updated." },
    { name: "menu", type: "bool", help: "Enable interactive shortcuts when running attached. Incompatible with --detach. Can also be enable/disable by setting COMPOSE_MENU environment var." },
    { name: "no-start", type: "bool", help: "Don't start the services after creating them" },
    { name: "abort-on-container-exit", type: "bool", help: "Stops all containers if any container was stopped. Incompatible with -d" },
    { name: "abort-on-container-failure", type: "bool", help: "Stops all containers if any container exited with failure. Incompatible with -d" },
    { name: "attach", type: "list", valueName: "stringArray", help: "Restrict attaching to the specified services. Incompatible with --attach-dependencies." },
    { name: "no-attach", type: "list", valueName: "stringArray", help: "Do not attach (stream logs) to the specified services" },
    { name: "attach-dependencies", type: "bool", help: "Automatically attach to log output of dependent services" },
    { name: "exit-code-from", type: "string", help: "Return the exit code of the selected service container. Implies --abort-on-container-exit" },
    { name: "timeout", short: "t", type: "number", help: "Use this timeout in seconds for container shutdown when attached or when containers are already running" },
    { name: "no-color", type: "bool", help: "Produce monochrome output" },
    { name: "no-log-prefix", type: "bool", help: "Don't print prefix in logs" },
    { name: "timestamps", type: "bool", help: "Show timestamps" },
    { name: "quiet-pull", type: "bool", help: "Pull without printing progress information" },
  ],
  async run(c, f, args) {
    checkAttachFlags(f);
    const p = await c.load(args);
    const services = selectServices(p, args, f["no-deps"]);
    const o = { ...upOptions(f), named: args, noDeps: f["no-deps"], timeout: f.timeout, noStart: f["no-start"] };
    // Attached, the hooks' output is printed among the services' (compose prints it; detached, it doesn't).
    const attached = !f["no-start"] && !f.wait && !f.detach;
    if (!attached) {
      await projectUp(c, p, services, o);
      if (f.wait && !f["no-start"]) await waitRunning(c, p, services, f["wait-timeout"]);
      return 0;
    }
    if (f.watch) {
      // compose's two refusals: no service to watch at all, then a rule it cannot follow (before anything is made here).
      if (!services.some((n) => p.services[n]!.develop?.watch?.length)) throw new ComposeError("none of the selected services is configured for watch, see https://docs.docker.com/compose/how-tos/file-watch/");
      watchRules(p, services, () => {}, { noBuild: f["no-build"] });
    }
    const attachTo = attachedServices(p, args, f);
    const printer = logPrinter(await c.client(), expectedNames(p, attachTo, o.scale), { colour: !f["no-color"] && !!stdout.isTTY, prefix: !f["no-log-prefix"], timestamps: f.timestamps });
    const session = attachedSession(c, p, services, attachTo, f, printer);
    try {
      await projectUp(c, p, services, { ...o, attached: { printer, attach: session.attach, stopping: session.stopping } });
    } catch (e) {
      // compose ignores a start's failure once it is stopping (a dependency stopped while waited for).
      if (!session.stopping()) {
        session.end();
        throw e;
      }
    }
    if (!f.watch) return session.untilExit();
    const stopWatch = new AbortController();
    let watchError: unknown;
    const watched = watchProject(c, p, services, { log: (l) => printer.watch(l), noBuild: f["no-build"], signal: stopWatch.signal, session })
      .catch((e) => void (watchError = e));
    const code = await session.untilExit();
    stopWatch.abort();
    await watched;
    if (watchError) throw watchError;
    return code;
  },
};

/** up's flags that cannot go together, checked in compose's order and words. */
function checkAttachFlags(f: Record<string, any>): void {
  const exitAbort = f["abort-on-container-exit"] || (!!f["exit-code-from"] && !f["abort-on-container-failure"]);
  if (exitAbort && f["abort-on-container-failure"]) throw new ComposeError("--abort-on-container-failure cannot be combined with --abort-on-container-exit");
  const attaching = f["attach-dependencies"] || f.attach.length > 0;
  if (f.wait && (attaching || exitAbort)) throw new ComposeError("--wait cannot be combined with --abort-on-container-exit, --attach or --attach-dependencies");
  if ((f.detach || f.wait) && (attaching || exitAbort || f["abort-on-container-failure"] || f.watch)) {
    throw new ComposeError(`${f.wait ? "--wait" : "--detach"} cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach, --attach-dependencies or --watch`);
  }
  if (f.attach.length && f["attach-dependencies"]) throw new ComposeError("cannot combine --attach and --attach-dependencies");
}

/**
 * The services an attached up prints and waits for, as compose picks them: --attach's, else those
 * named (with their dependencies under --attach-dependencies) or all, less `attach: false` ones;
 * less --no-attach's.
 */
function attachedServices(p: Project, args: string[], f: Record<string, any>): string[] {
  let names: string[];
  if (f.attach.length) {
    const unknown = (f.attach as string[]).filter((n) => !p.services[n]);
    if (unknown.length) throw new ComposeError(`cannot attach to services not included in up: ${unknown.join(", ")}`);
    names = f.attach;
  } else {
    names = (!args.length ? Object.keys(p.services) : f["attach-dependencies"] ? withDependencies(p.services, args) : args).filter((n) => p.services[n]!.attach !== false);
  }
  return [...new Set(names)].filter((n) => !(f["no-attach"] as string[]).includes(n));
}

/** The log names of the containers up leaves for the attached services (the log prefixes' width). */
function expectedNames(p: Project, services: string[], scale?: Record<string, number>): string[] {
  return services
    .flatMap((n) => Array.from({ length: replicas(p.services[n]!, scale, n) }, (_, i) => logName(n, i + 1, p.services[n])));
}

/**
 * Attached up, in compose's order: once the containers are created, "Attaching
 * to ..." and an attachment to each (before anything starts, so a container's
 * first line is not lost and nothing it or a post_start hook prints comes
 * before), then the starts, then every container's output until all have
 * exited (with --abort-on-container-exit, the first; on Ctrl+C, until stopped).
 */
function attachedSession(c: ComposeContext, p: Project, services: string[], attachTo: string[], f: Record<string, any>, printer: LogPrinter) {
  // --abort-on-container-failure: only an exit other than 0 stops the rest (--exit-code-from then picks its code).
  const onFailure = !!f["abort-on-container-failure"];
  const abort = onFailure || f["abort-on-container-exit"] || !!f["exit-code-from"];
  // The daemon holds an attachment to a container that has not started open for its start: one that never
  // starts (a failed start phase, a stop before its turn) has its attachment ended by its controller.
  type Attachment = { ct: ProjectContainer; output: Response; tty: boolean; cut: AbortController };
  let attachedTo: Attachment[] = [];
  // up --watch: containers a rebuild recreates or a restart restarts are attached again while up runs; each
  // container's latest attachment alone reports its exit, and up does not end while a watch batch works.
  const waits: Promise<void>[] = [];
  const latest = new Map<string, number>();
  const streaming = new Set<string>();
  const watching = !!f.watch;
  let holds = 0;
  const holdsEnded: (() => void)[] = [];
  let exitCode = 0;
  let stopped: Promise<void> | undefined;
  let interrupted = false;
  let hookError: unknown;

  /** Stops the services' containers (dependants first) with compose's progress lines, once; pre_stop hooks print where the printer still does. */
  const stopAll = () => {
    requestStop();
    return (stopped ??= stopServices());
  };
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((r) => (requestStop = r));
  const stopServices = async () => {
    const client = await c.client();
    const err = (s: string) => c.ctx.err(s);
    const all = await projectContainers(client, p.name, { all: true, services });
    await inDependencyOrder(p.services, services, async (service) => {
      await Promise.all(all.filter((ct) => serviceOf(ct) === service).map(async (ct) => {
        progress(err, "Container", nameOf(ct), "Stopping");
        // A failing pre_stop still lets the rest stop (its error is up's at the end).
        const running = await client.json("GET", `/containers/${ct.Id}/json`).then((i) => i.State.Running, () => false);
        if (running) await runHooks(client, p, service, ct.Id, "pre_stop", (l) => printer.line(`${logNameOf(ct)} ->`, l)).catch((e) => (hookError ??= e));
        await client.request("POST", `/containers/${ct.Id}/stop`, { query: { t: f.timeout } }).catch(() => {}); // one gone or stopped already needs no stop
        progress(err, "Container", nameOf(ct), "Stopped");
      }));
    }, true);
  };
  // Ctrl+C: compose's notice on stdout, no more of the containers' output or exits, a graceful stop and
  // status 130; a second Ctrl+C kills them.
  const onSignal = () => {
    printer.silence();
    if (!interrupted) {
      interrupted = true;
      c.ctx.out("Gracefully Stopping... press Ctrl+C again to force");
      void stopAll();
      return;
    }
    void killAll().catch(() => {}); // a daemon gone now leaves nothing to kill
  };
  const killAll = async () => {
    const client = await c.client();
    for (const ct of await projectContainers(client, p.name, { services })) {
      void client.request("POST", `/containers/${ct.Id}/kill`).catch(() => {}); // one that has stopped already needs no kill
    }
  };
  /** Once the stop is done, whether the container never started (then its attachment would wait forever). */
  const neverStarted = async (id: string): Promise<boolean> => {
    await stopRequested;
    await stopped!.catch(() => {}); // a failed stop is untilExit's to report; here only its end matters
    const client = await c.client();
    const info = await client.json("GET", `/containers/${id}/json`).catch(() => undefined); // removed: it will not start either
    return !info || info.State.StartedAt.startsWith("0001-");
  };
  /** An attachment to each container, made before it starts when it has not (the daemon holds it open until then). */
  const attachments = async (containers: ProjectContainer[]): Promise<Attachment[]> => {
    const client = await c.client();
    return Promise.all(containers.map(async (ct) => {
      const info = await client.json("GET", `/containers/${ct.Id}/json`);
      const cut = new AbortController();
      const output = await client.request("POST", `/containers/${ct.Id}/attach`, { query: { stream: true, stdout: true, stderr: true }, signal: cut.signal });
      return { ct, output, tty: !!info.Config?.Tty, cut };
    }));
  };
  /** A container's output until it ends, then its exit (unless a later attachment to it has taken over, or it is gone). */
  const follow = (a: Attachment) => {
    const turn = (latest.get(a.ct.Id) ?? 0) + 1;
    latest.set(a.ct.Id, turn);
    streaming.add(a.ct.Id);
    waits.push((async () => {
      const { ct, output, tty, cut } = a;
      const client = await c.client();
      const printed = printer.attached(output, tty, logNameOf(ct)).catch(() => {}).finally(() => latest.get(ct.Id) === turn && streaming.delete(ct.Id)); // a stream cut short still leaves the exit to report
      const never = neverStarted(ct.Id).then((yes) => yes || printed.then(() => false));
      if (await Promise.race([printed.then(() => false), never])) {
        cut.abort();
        return; // compose reports no exit of a container that never ran
      }
      const waited = await client.json<{ StatusCode: number }>("POST", `/containers/${ct.Id}/wait`, { query: { condition: "not-running" } })
        .catch((e) => (watching ? undefined : Promise.reject(e))); // under watch, a container a rebuild has replaced is gone
      if (!waited || latest.get(ct.Id) !== turn) return;
      const { StatusCode } = waited;
      // compose (2.39 on) reports every exit, also those of its own stop, but none once Ctrl+C was pressed.
      printer.status(logNameOf(ct), `exited with code ${StatusCode}`);
      const aborting = abort && !stopped && (!onFailure || StatusCode !== 0);
      if (f["exit-code-from"] ? serviceOf(ct) === f["exit-code-from"] : aborting) exitCode = StatusCode;
      if (aborting) {
        c.ctx.err("Aborting on container exit...");
        await stopAll();
      }
    })());
  };
  const end = () => {
    for (const a of attachedTo) a.cut.abort();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };

  return {
    /** Between the creates and the starts: "Attaching to ...", each attachment in place, Ctrl+C handled from here on. */
    async attach(): Promise<void> {
      const client = await c.client();
      // The others run without their output or their exits followed.
      const containers = (await projectContainers(client, p.name, { services: attachTo })).filter((ct) => attachTo.includes(serviceOf(ct)))
        .sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      // compose's words and streams: "Attaching to web-1, db-1" on stdout (none when nothing is attached), its notices on stderr.
      if (containers.length) c.ctx.out(`Attaching to ${containers.map(logNameOf).join(", ")}`);
      // The daemon has an attachment in place once its answer's head is here.
      attachedTo = await attachments(containers);
    },
    /**
     * up --watch: a watch batch runs inside `hold` (up does not end while containers are being replaced), and
     * `reattach` follows again the attached services' containers that have no attachment now: after a
     * rebuild's recreate (compose's "has been recreated") an attachment before they start; after a restart,
     * which has started them already, their log from the moment the restart was asked for, so that nothing
     * they printed since is lost.
     */
    async hold<T>(work: () => Promise<T>): Promise<T> {
      holds++;
      try {
        return await work();
      } finally {
        if (--holds === 0) for (const r of holdsEnded.splice(0)) r();
      }
    },
    async reattach(services: string[], how: { recreated: true } | { restartedSince: number }): Promise<void> {
      const client = await c.client();
      const mine = services.filter((n) => attachTo.includes(n));
      const containers = await projectContainers(client, p.name, { all: true, services: mine });
      // A restarted container's old attachment ends as its process does: a moment after the restart's answer.
      for (const end = Date.now() + 3000; "restartedSince" in how && containers.some((ct) => streaming.has(ct.Id)) && Date.now() < end;) await Bun.sleep(50);
      const fresh = containers.filter((ct) => !streaming.has(ct.Id));
      let more: Attachment[];
      if ("recreated" in how) {
        for (const ct of fresh) printer.status(logNameOf(ct), "has been recreated");
        more = await attachments(fresh);
      } else {
        more = await Promise.all(fresh.map(async (ct) => {
          const info = await client.json("GET", `/containers/${ct.Id}/json`);
          const cut = new AbortController();
          const query = { follow: true, stdout: true, stderr: true, since: how.restartedSince };
          const output = await client.request("GET", `/containers/${ct.Id}/logs`, { query, signal: cut.signal }).catch(() => undefined); // no log kept (log driver none): attach
          return output ? { ct, output, tty: !!info.Config?.Tty, cut } : (await attachments([ct]))[0]!;
        }));
      }
      attachedTo.push(...more);
      for (const a of more) follow(a);
    },
    /** After a failed start phase: no attachment is left waiting for a start that will not come. */
    end,
    /** Whether the containers are being stopped (Ctrl+C, an abort): the start phase starts no more. */
    stopping: () => !!stopped,
    /** The output until the containers have exited; up's exit status. */
    async untilExit(): Promise<number> {
      try {
        for (const a of attachedTo) follow(a);
        // Until every attachment has reported; one a watch batch adds meanwhile counts too.
        for (let seen = 0; ;) {
          while (seen < waits.length) {
            const now = waits.slice(seen);
            seen = waits.length;
            await Promise.all(now);
          }
          if (!holds) break;
          await new Promise<void>((r) => holdsEnded.push(r));
        }
        // Every stop's progress is out before up returns (a container may have ended before its stop did).
        await stopped;
      } finally {
        end();
      }
      if (hookError) throw hookError;
      return interrupted ? 130 : exitCode;
    },
  };
}

export const createSubcommand: ComposeSubcommand = {
  name: "create",
  synopsis: "[OPTIONS] [SERVICE...]",
  description: "Creates containers for a service",
  flags: createFlags,
  async run(c, f, args) {
    const p = await c.load(args);
    await projectUp(c, p, selectServices(p, args), { ...upOptions(f), named: args, noStart: true });
    return 0;
  },
};

// The container engine: create, inspect, list, start, stop, kill, wait, logs,
// rename, remove, prune. Metadata lives in the store's database; everything a
// running container needs lives in its directory, which the runtime's shim
// owns while the container runs (so containers outlive the daemon).
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { availableParallelism, hostname as hostHostname } from "node:os";
import { ConflictError, InvalidParameterError, NotFoundError, messageOf } from "../../errors.ts";
import { checkSignal } from "./signals.ts";
import type { Store } from "../../store/index.ts";
import type { Digest } from "../../store/digest.ts";
import { withoutSync } from "../../store/db.ts";
import type { LocalImageService } from "../images.ts";
import { imageConfig } from "../images/views.ts";
import { rfc3339Nano } from "../../image/config.ts";
import { mergeConfig, normalizeHostConfig } from "./config.ts";
import { checkStorageOpt, checkUtsHostname, memorySettingWarnings } from "./host-settings.ts";
import { blockIOWarnings } from "./block-io.ts";
import { generateName, validateName } from "./names.ts";
import { ContainerRecords, hasProcess, initialState, type ContainerRecord, type ContainerState } from "./records.ts";
import { inspectView, statusText, summaryView, type ContainerPaths } from "./views.ts";
import { keepMountPrivate, releaseReadViews, remappedRoot, type Runtime, type RuntimeExit } from "../../runtime/index.ts";
import { buildSpec } from "./spec.ts";
import { joinAtCreate, joinAtStart } from "./network-mode.ts";
import { checkPidMode, pidNamespaceAtStart } from "./pid-mode.ts";
import { checkIpcMode, ipcAtStart, releaseShm } from "./ipc-mode.ts";
import { matchesFilters } from "./filters.ts";
import { pruneFilter } from "../prune-filter.ts";
import type { Socket } from "node:net";
import { bridgeAttach, replayLog, type AttachOptions } from "./attach.ts";
import { checkLogConfig, logsDisabled } from "./log-config.ts";
import { Waiters } from "./waiters.ts";
import { restartingError, restartsAtDaemonStart, shouldRestart } from "./restart-policy.ts";
import { PolicyRestarts } from "./restarts.ts";
import { duBytes, etcFilesAtCreate } from "./files.ts";
import { flattenLayers } from "./flatten.ts";
import type { EventSink } from "./events.ts";
import { ContainerMounts } from "../volumes/container-mounts.ts";
import { VolumeService } from "../volumes/service.ts";
import { defaultModeWithoutNetworks, type ContainerNetworking } from "./network-hooks.ts";
import type { HealthMonitors } from "./health/monitor.ts";
import { checkHealthcheck } from "./health/config.ts";
import { debugLog, skipped } from "../../shared/debug-log.ts";
import { builtinSecurity, type SecurityDefaults } from "./seccomp.ts";
import { applyUserns, checkUsernsMode, copiedRootOwner, layerCopyName, makeLayerCopies } from "./userns.ts";

export class ContainerEngine {
  readonly records: ContainerRecords;
  readonly dir: string;
  /** Volumes, binds and tmpfs mounts of containers. */
  readonly mounts: ContainerMounts;
  /** Containers being removed or started right now, to refuse overlapping operations. */
  private busy = new Set<string>();
  /** Attach requests waiting for the container's next start (`docker run` attaches first). */
  /** Clients attached before the start, each with what connects it to the shim once there is one. */
  private pendingAttach = new Map<string, { client: Socket; connect: (sock: Socket) => void }[]>();
  /** Attached clients' streams joined to a container's run, until the client has the last of its output. */
  private attached = new Map<string, Set<Promise<void>>>();
  /** Containers stopped or killed through the API: their restart policy does not apply. */
  private stoppedByUser = new Set<string>();
  /** Restarts their policy has scheduled: the container shows as restarting until then. */
  private restarts = new PolicyRestarts((id) => this.start(id, { restarting: true }));
  /** Callers of `wait` waiting for a container's next exit. */
  private exits = new Waiters<ContainerState>();
  private removals = new Waiters<void>();
  /** Bridge networks and endpoints (src/daemon/networks), plugged in by the daemon. */
  networks?: ContainerNetworking;
  /** Health probes of running containers (src/daemon/containers/health), plugged in by the daemon. */
  health?: HealthMonitors;
  /** The daemon's --seccomp-profile and --no-new-privileges, for containers that name neither. */
  security: SecurityDefaults = builtinSecurity;
  /** The IpcMode of a container that names none (the daemon's --default-ipc-mode). */
  defaultIpcMode = "private";

  constructor(
    readonly store: Store,
    readonly images: LocalImageService,
    readonly runtime: Runtime,
    readonly events: EventSink,
    readonly humanDuration: (ms: number) => string,
  ) {
    this.records = new ContainerRecords(store.db);
    const volumeOwner = runtime.userns && remappedRoot(runtime.userns);
    this.mounts = new ContainerMounts(new VolumeService(store.db, store.root, events, volumeOwner));
    this.dir = join(store.root, "containers");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    images.isImageInUse = (imageId) => this.records.idsUsingImage(imageId);
  }

  /** The container's directory, which the runtime's calls take: paths() without the look-up of the image's layers. */
  dirOf(c: { id: string }): string {
    return join(this.dir, c.id);
  }

  paths(c: ContainerRecord): ContainerPaths {
    const root = this.dirOf(c);
    const copy = layerCopyName(this.runtime, c.hostConfig);
    const lowerDirs = this.store.images
      .layersOf(c.imageId)
      .map((l) => (copy ? this.store.snapshots.copyPath(l.chain_id, copy) : this.store.snapshots.diffPath(l.chain_id)))
      .reverse();
    return {
      root,
      logPath: this.logPath(c),
      hostnamePath: join(root, "hostname"),
      hostsPath: join(root, "hosts"),
      resolvConfPath: join(root, "resolv.conf"),
      lowerDirs,
      upperDir: join(root, "upper"),
      workDir: join(root, "work"),
      mergedDir: join(root, "merged"),
    };
  }

  /** The container as it is now (see current); a read: nothing is written, no event is raised. */
  find(ref: string): ContainerRecord {
    return this.current(this.records.find(ref));
  }

  /** The stored record with what its shim has recorded since folded in (the shim is the truth). */
  private current(c: ContainerRecord): ContainerRecord {
    const observed = this.observedState(c);
    const state: ContainerState = { ...(observed ?? c.state) };
    // Health is the monitors' (a copy stored with the state may be stale): only theirs is shown.
    delete state.Health;
    const health = this.health?.view(c);
    if (health) state.Health = health;
    return { ...c, state };
  }

  /** The state the shim's record gives the container, when it differs from the stored one. */
  private observedState(c: ContainerRecord): ContainerState | undefined {
    const st = this.runtime.status(this.dirOf(c));
    if (c.state.Status !== "running" && c.state.Status !== "paused") {
      // A run not stored yet: its start is being recorded, or the daemon that started it was killed first.
      if (!st?.running || st.startedAt === c.state.StartedAt) return undefined;
      return { ...initialState(), Status: "running", Running: true, Pid: st.pid, StartedAt: st.startedAt };
    }
    const next: ContainerState = { ...c.state };
    if (!st) {
      Object.assign(next, { Status: "exited", Running: false, Paused: false, Pid: 0, ExitCode: 255, Error: "container state lost" });
    } else if (st.exit) {
      this.applyExit(next, st.exit);
    }
    return JSON.stringify(next) !== JSON.stringify(c.state) ? next : undefined;
  }

  /**
   * The exit path: stores what the shim recorded and, for a run that ended, raises its events,
   * wakes its waiters and removes (--rm) or restarts the container. It runs when the runtime
   * reports the exit (monitor), at adoption after a daemon restart (whose shims may have exited
   * meanwhile), and before an operation that changes the container acts on it.
   */
  private settle(c: ContainerRecord): ContainerRecord {
    const next = this.observedState(c);
    if (!next) return c;
    this.records.saveState(c.id, next);
    const state = !next.Running && c.state.Running ? this.onExited(c, next) : next;
    return { ...c, state };
  }

  /** For an operation that changes the container: found, with its last run's exit handled first. */
  private settled(ref: string): ContainerRecord {
    return this.settle(this.records.find(ref));
  }

  /** How many containers there are, running and paused (`info`). */
  counts(): { total: number; running: number; paused: number } {
    const states = this.records.list().map((c) => this.current(c).state);
    return {
      total: states.length,
      running: states.filter((s) => hasProcess(s) && !s.Paused).length,
      paused: states.filter((s) => s.Paused).length,
    };
  }

  private applyExit(s: ContainerState, exit: RuntimeExit): void {
    Object.assign(s, {
      Status: "exited", Running: false, Paused: false, Restarting: false, Pid: 0,
      ExitCode: exit.exitCode, OOMKilled: exit.oomKilled, FinishedAt: exit.finishedAt, Error: exit.error ?? "",
    });
  }

  /**
   * What follows an exit (and a failed start): events, waiters, volumes released, and the
   * container removed (--rm) or, by its restart policy, left restarting. Returns the state stored.
   */
  private onExited(c: ContainerRecord, s: ContainerState, opts: { noRestart?: boolean } = {}): ContainerState {
    this.health?.stop(c.id);
    try {
      this.networks?.atStop(c);
    } catch (e) {
      debugLog("releasing a stopped container's network endpoints", e);
    }
    // Waiters hear of the exit once the attached clients have all the output (run, dockerode's run).
    void this.streamsDrained(c.id).then(() => this.exits.notify(c.id, s));
    this.mounts.announce(c.id, "unmount");
    if (c.hostConfig.IpcMode === "shareable") releaseShm(this.dirOf(c));
    // A container starting (busy) or running still holds the volumes' filesystems it shares.
    this.mounts.release(c.id, (id) => this.busy.has(id) || !!this.records.get(id)?.state.Running);
    if (s.OOMKilled) this.events.emit("container", "oom", c.id, this.eventAttrs(c));
    this.events.emit("container", "die", c.id, { ...this.eventAttrs(c), exitCode: String(s.ExitCode) });
    let stored = s;
    if (c.hostConfig.AutoRemove) queueMicrotask(() => this.remove(c.id, { force: true }).catch(skipped("removing an --rm container after its exit")));
    else if (!opts.noRestart && !this.stoppedByUser.has(c.id) && shouldRestart(c, s)) stored = this.restartLater(c, s);
    this.stoppedByUser.delete(c.id);
    return stored;
  }

  /**
   * dockerd's restarting state until the policy's delay is over: Running and Restarting, with no
   * process. The restart is counted now, as dockerd counts it.
   */
  private restartLater(c: ContainerRecord, exit: ContainerState): ContainerState {
    const state: ContainerState = { ...exit, Status: "restarting", Running: true, Restarting: true, Paused: false, Pid: 0 };
    withoutSync(this.store.db, () => this.store.db.transaction(() => {
      this.records.saveState(c.id, state);
      this.store.db.query("UPDATE containers SET restart_count = restart_count + 1 WHERE id = ?").run(c.id);
    })());
    this.restarts.schedule(c.id, exit);
    return state;
  }

  /** A stop or kill through the API: this exit is not restarted, nor (unless-stopped) at the daemon's next start. */
  private stoppedByHand(id: string): void {
    this.stoppedByUser.add(id);
    this.records.setManuallyStopped(id, true);
  }

  /**
   * Calls off a restart the policy has scheduled; the container is left exited as its last run
   * ended. A restart whose start is under way is waited for: the caller then acts on the new run.
   */
  private async callOffRestart(c: ContainerRecord): Promise<ContainerRecord> {
    if (this.restarts.cancel(c.id) || !this.restarts.inProgress(c.id)) {
      this.records.setManuallyStopped(c.id, true);
      const current = this.records.find(c.id);
      if (!current.state.Restarting) return this.current(current);
      const state: ContainerState = { ...current.state, Status: "exited", Running: false, Restarting: false };
      this.records.saveState(c.id, state);
      return { ...current, state };
    }
    await this.restarts.inProgress(c.id);
    return this.settled(c.id);
  }

  eventAttrs(c: ContainerRecord): Record<string, string> {
    return { image: c.image, name: c.name, ...(c.config.Labels ?? {}) };
  }

  async create(body: Record<string, any>, name?: string): Promise<{ Id: string; Warnings: string[] }> {
    if (!body || typeof body !== "object") throw new InvalidParameterError("invalid JSON body");
    if (!body.Image) throw new InvalidParameterError("No image specified");
    const imageId = this.images.resolve(String(body.Image));
    const image = await imageConfig(this.store, imageId as Digest);
    const config = mergeConfig(image.config ?? {}, body);
    if (!config.Cmd && !config.Entrypoint) throw new InvalidParameterError("no command specified");
    const hostConfig = normalizeHostConfig(body.HostConfig ?? {}, availableParallelism());
    const warnings = [...memorySettingWarnings(hostConfig, this.runtime.cgroupVersion), ...blockIOWarnings(hostConfig)];
    checkLogConfig(hostConfig.LogConfig);
    checkStorageOpt(hostConfig, this.runtime.storageDriver);
    checkUsernsMode(hostConfig, !!this.runtime.userns);
    checkUtsHostname(hostConfig, !!body.Hostname);
    checkPidMode(hostConfig, (ref) => this.find(ref));
    // Stored as dockerd stores it: the daemon's default (--default-ipc-mode) in place of none.
    hostConfig.IpcMode ||= this.defaultIpcMode;
    checkIpcMode(hostConfig, (ref) => this.find(ref));
    checkHealthcheck(config.Healthcheck);
    joinAtCreate(hostConfig, config, !!body.Hostname, (ref) => this.find(ref));
    const plan = this.networks?.planCreate(hostConfig, config, body.NetworkingConfig);
    if (!plan) defaultModeWithoutNetworks(hostConfig);
    const finalName = name ? validateName(name) : generateName(this.records.nameTaken);
    if (name && this.records.nameTaken(finalName)) throw this.records.nameConflict(finalName);

    const id = crypto.getRandomValues(new Uint8Array(32)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "");
    // In the host's UTS namespace the container's name is the host's.
    config.Hostname ||= hostConfig.UTSMode === "host" ? hostHostname() : id.slice(0, 12);
    const record: ContainerRecord = {
      id, name: finalName, imageId, image: String(body.Image), created: rfc3339Nano(),
      config, hostConfig, state: initialState(), restartCount: 0, manuallyStopped: false,
    };
    const p = this.paths(record);
    const { mounts, created } = this.mounts.resolve(hostConfig, config.Volumes, (ref) => this.find(ref).id);
    try {
      mkdirSync(p.root, { mode: 0o700 });
      mkdirSync(p.upperDir);
      mkdirSync(p.workDir);
      mkdirSync(p.mergedDir);
      makeLayerCopies(this.runtime, hostConfig, this.store.snapshots, this.store.images.layersOf(imageId).map((l) => l.chain_id));
      writeFileSync(p.hostnamePath, `${config.Hostname}\n`);
      const etc = etcFilesAtCreate(config.Hostname, hostConfig, this.networks?.hostGateway());
      writeFileSync(p.hostsPath, etc.hosts);
      writeFileSync(p.resolvConfPath, etc.resolvConf);
      // Without overlayfs the container's root is a full copy of the image (Docker's vfs driver).
      if (this.runtime.storageDriver === "vfs") flattenLayers([...p.lowerDirs].reverse(), p.upperDir, copiedRootOwner(this.runtime, hostConfig));
      this.store.db.transaction(() => {
        this.records.insert(record);
        this.mounts.record(id, mounts);
        plan?.attach(id);
      })();
    } catch (e) {
      rmSync(p.root, { recursive: true, force: true });
      this.mounts.discard(created);
      throw e;
    }
    this.events.emit("container", "create", id, this.eventAttrs(record));
    return { Id: id, Warnings: [...warnings, ...(plan?.warnings ?? [])] };
  }

  async inspect(ref: string): Promise<Record<string, unknown>> {
    const c = this.find(ref);
    const view = { ...inspectView(c, this.paths(c), this.runtime.storageDriver), Mounts: this.mounts.view(c.id) };
    return this.networks ? { ...view, NetworkSettings: this.networks.settings(c) } : view;
  }

  list(opts: { all?: boolean; limit?: number; size?: boolean; filters?: Record<string, string[]> }): Record<string, unknown>[] {
    let rows = this.records.list().map((c) => this.current(c));
    if (!opts.all && !(opts.limit && opts.limit > 0)) rows = rows.filter((c) => c.state.Running);
    rows = rows.filter((c) => matchesFilters(c, opts.filters ?? {}, (r) => this.records.find(r), (id) => this.mounts.of(id)));
    if (opts.limit && opts.limit > 0) rows = rows.slice(0, opts.limit);
    return rows.map((c) => {
      const view = {
        ...summaryView(c, this.displayImage(c), statusText(c, this.humanDuration), opts.size ? this.sizes(c) : undefined),
        Mounts: this.mounts.view(c.id),
      };
      return this.networks ? { ...view, ...this.networks.summary(c) } : view;
    });
  }

  private displayImage(c: ContainerRecord): string {
    // Docker shows the name the user gave while it still names the same image, else the ID.
    try {
      if (this.images.resolve(c.image) === c.imageId) return c.image;
    } catch {
      // The name no longer resolves: the ID is shown, as Docker does.
    }
    return c.imageId;
  }

  private sizes(c: ContainerRecord): { rw: number; rootFs: number } {
    const rw = duBytes(this.paths(c).upperDir);
    const image = this.store.images.get(c.imageId)?.size ?? 0;
    return { rw, rootFs: rw + image };
  }

  async start(ref: string, opts: { restarting?: boolean } = {}): Promise<"started" | "already"> {
    const c = this.settled(ref);
    // A restarting container counts as running (dockerd's 304); the policy's own restart starts it.
    if (opts.restarting ? !c.state.Restarting : c.state.Running) return "already";
    if (this.busy.has(c.id)) throw new ConflictError(`Container ${c.id} is busy`);
    // Never a second copy beside processes a run left that no shim records (adoption clears them).
    if (this.runtime.pids(this.dirOf(c)).length) throw new ConflictError(`Container ${c.id} still has processes from an earlier start; try again shortly`);
    this.busy.add(c.id);
    try {
      const p = this.paths(c);
      for (const l of this.store.images.layersOf(c.imageId)) {
        if (!this.store.snapshots.isReady(l.chain_id)) throw new NotFoundError(`layer ${l.chain_id} of image ${c.imageId} is missing`);
      }
      makeLayerCopies(this.runtime, c.hostConfig, this.store.snapshots, this.store.images.layersOf(c.imageId).map((l) => l.chain_id));
      const joined = joinAtStart(c, (ref) => this.find(ref), (o) => this.paths(o)) ?? (await this.networks?.atStart(c, p));
      let st;
      const attachments = this.pendingAttach.get(c.id) ?? [];
      this.pendingAttach.delete(c.id);
      let handedOver = false;
      try {
        // Inside the try: a spec that cannot be built (a --device gone from the host) is a failed start too.
        const spec = buildSpec(c, this.runtime.storageDriver === "vfs" ? { ...p, lowerDirs: [] } : p, joined, this.security);
        spec.pidNamespace = pidNamespaceAtStart(c, (ref) => this.find(ref));
        Object.assign(spec, ipcAtStart(c, (o) => this.dirOf(o), (ref) => this.find(ref)));
        Object.assign(spec, this.mounts.runtimeMounts(c.id));
        // An rshared bind's source stays a peer of the host's mount only if the roots are on a private one.
        if (spec.binds.some((b) => b.propagation?.endsWith("shared"))) keepMountPrivate(this.dir);
        applyUserns(spec, c.hostConfig, this.runtime, p.root, join(this.store.root, "volumes"));
        handedOver = true;
        st = await this.runtime.start(p.root, spec, attachments.map((a) => a.connect));
      } catch (e) {
        // No shim ever had the attached clients: their streams end here.
        if (!handedOver) for (const a of attachments) a.client.end();
        const failed = (e as { exitCode?: unknown } | null)?.exitCode;
        const exitCode = typeof failed === "number" ? failed : 128;
        const state: ContainerState = {
          ...c.state, Status: c.state.Status === "created" ? "created" : "exited", Running: false, Restarting: false, Paused: false, Pid: 0,
          ExitCode: exitCode, Error: messageOf(e),
        };
        this.records.saveState(c.id, state);
        // As in dockerd, a start that failed is not retried by the restart policy.
        this.onExited({ ...c, state }, state, { noRestart: true });
        throw e;
      }
      const state: ContainerState = {
        ...initialState(), Status: "running", Running: true, Pid: st.pid, StartedAt: st.startedAt,
      };
      if (st.exit) this.applyExit(state, st.exit);
      this.records.saveState(c.id, { ...state, ...(st.exit ? { Status: "running", Running: true } : {}) });
      // A start by hand begins the count and the back-off again, and forgets a stop by hand, as in dockerd.
      if (!opts.restarting) {
        this.restarts.forget(c.id);
        if (c.restartCount || c.manuallyStopped) {
          withoutSync(this.store.db, () => this.store.db.query("UPDATE containers SET restart_count = 0, manually_stopped = 0 WHERE id = ?").run(c.id));
        }
      }
      this.mounts.announce(c.id, "mount");
      this.events.emit("container", "start", c.id, this.eventAttrs(c));
      this.monitor({ ...c, state });
      return "started";
    } finally {
      this.busy.delete(c.id);
    }
  }

  /**
   * Streams a container's stdio over a hijacked client connection. A container
   * not running yet is attached at its next start, before its program runs, so
   * no output is missed. Resolves when the stream ends.
   */
  async attach(c: ContainerRecord, client: Socket, opts: AttachOptions): Promise<void> {
    const tty = !!c.config.Tty;
    if (opts.logs && (opts.stdout || opts.stderr) && !logsDisabled(c.hostConfig)) await replayLog(this.logPath(c), client, opts, tty);
    if (opts.stream === false) {
      client.end();
      return;
    }
    return this.streamAttach(c, client, opts, tty);
  }

  /** Counts a stream joined to the container's run until it ended (one still waiting for a start does not hold up an exit). */
  private track(id: string, stream: Promise<void>): Promise<void> {
    const set = this.attached.get(id) ?? new Set<Promise<void>>();
    set.add(stream);
    this.attached.set(id, set);
    return stream.finally(() => {
      set.delete(stream);
      if (set.size === 0 && this.attached.get(id) === set) this.attached.delete(id);
    });
  }

  /** Waits (a little at most) for the attached clients' streams to end, as dockerd does before it reports an exit. */
  private async streamsDrained(id: string): Promise<void> {
    const set = this.attached.get(id);
    if (!set?.size) return;
    await Promise.race([Promise.allSettled([...set]), Bun.sleep(2000)]);
  }

  private streamAttach(c: ContainerRecord, client: Socket, opts: AttachOptions, tty: boolean): Promise<void> {
    return new Promise((resolve) => {
      const connect = (shim: Socket) => this.track(c.id, bridgeAttach(shim, client, opts, tty, () => this.runtime.connect(this.dirOf(c)))).then(resolve);
      if (this.isRunning(c.id)) connect(this.runtime.connect(this.dirOf(c)));
      else {
        const list = this.pendingAttach.get(c.id) ?? [];
        list.push({ client, connect });
        this.pendingAttach.set(c.id, list);
        client.once("close", () => {
          const l = this.pendingAttach.get(c.id);
          if (l) this.pendingAttach.set(c.id, l.filter((a) => a.connect !== connect));
          resolve();
        });
      }
    });
  }

  /** Forwards a resize to the container's PTY. */
  resize(ref: string, h: number, w: number): void {
    const c = this.find(ref);
    if (c.state.Restarting) throw restartingError(c.id);
    if (!c.state.Running) throw new ConflictError(`Container ${c.id} is not running`);
    this.runtime.resize(this.dirOf(c), h, w);
  }

  async kill(ref: string, signal = "SIGKILL"): Promise<void> {
    checkSignal(signal);
    let c = this.find(ref);
    // Waiting to restart, there is no process to signal: the restart is called off, as in dockerd.
    if (c.state.Restarting) {
      c = await this.callOffRestart(c);
      if (!hasProcess(c.state)) return;
    }
    if (!c.state.Running) throw new ConflictError(`Cannot kill container: ${ref}: Container ${c.id} is not running`);
    if (/^(SIG)?(KILL|TERM|INT|9|15|2)$/i.test(signal)) this.stoppedByHand(c.id);
    this.runtime.kill(this.dirOf(c), signal);
    this.events.emit("container", "kill", c.id, { ...this.eventAttrs(c), signal });
  }

  /** Sends the stop signal, waits `timeout` seconds, then SIGKILL, as `docker stop` does. */
  async stop(ref: string, timeout?: number, signal?: string): Promise<"stopped" | "already"> {
    let c = this.find(ref);
    if (c.state.Restarting) {
      c = await this.callOffRestart(c);
      if (!hasProcess(c.state)) {
        this.events.emit("container", "stop", c.id, this.eventAttrs(c));
        return "stopped";
      }
    }
    if (!c.state.Running) return "already";
    this.stoppedByHand(c.id);
    await this.runtime.stop(this.dirOf(c), signal || c.config.StopSignal || "SIGTERM", timeout ?? c.config.StopTimeout ?? 10);
    this.settled(c.id); // its die event comes before the stop event, as in dockerd
    this.events.emit("container", "stop", c.id, this.eventAttrs(c));
    return "stopped";
  }

  /** `POST /containers/{id}/wait`: the exit of the current or next run. */
  async wait(ref: string, condition = "not-running", abort?: AbortSignal): Promise<{ StatusCode: number; Error: { Message: string } | null }> {
    if (!["not-running", "next-exit", "removed"].includes(condition)) {
      throw new InvalidParameterError(`invalid condition: "${condition}"`);
    }
    const c = this.find(ref);
    let final = c.state;
    if (condition === "next-exit" || c.state.Running || (condition === "removed" && c.state.Status === "created")) {
      final = await this.nextExit(c.id, abort);
    } else {
      // The shim records the exit before the daemon has passed its last output on to the attached clients.
      await this.streamsDrained(c.id);
    }
    if (condition === "removed") {
      if (this.records.get(c.id)) await this.removal(c.id, abort);
      // dockerd's Error here is the removal's, not the run's: a failed start of a --rm container is reported once, by its start.
      return { StatusCode: final.ExitCode, Error: null };
    }
    return { StatusCode: final.ExitCode, Error: final.Error ? { Message: final.Error } : null };
  }

  /** Resolves when the container's record is gone (or the caller goes away). */
  private removal(id: string, abort?: AbortSignal): Promise<void> {
    return this.removals.wait(id, abort, () => undefined);
  }

  private nextExit(id: string, abort?: AbortSignal): Promise<ContainerState> {
    // A caller that went away gets the state as it is; it no longer matters.
    return this.exits.wait(id, abort, () => this.records.get(id)?.state ?? initialState());
  }

  /** Watches a running container so its exit is noticed at once (events, waiters, --rm). */
  private monitor(c: ContainerRecord): void {
    if (!c.state.Paused) this.health?.start(c);
    this.runtime
      .waitExit(this.dirOf(c))
      // A run with no state left is settled as lost below.
      .catch(() => {})
      .then(() => {
        const r = this.records.get(c.id);
        if (r) this.settle(r);
      });
  }

  /**
   * At daemon start: a container directory without a record is what a create
   * left when the daemon died in it (the record is written last); it goes.
   */
  sweepHalfCreated(): void {
    for (const name of readdirSync(this.dir)) {
      if (!/^[0-9a-f]{64}$/.test(name) || this.records.get(name)) continue;
      discardDir(join(this.dir, name), join(this.store.root, "tmp", `removed-${name}`));
    }
  }

  /**
   * After a daemon restart: makes every container's state match its shim and cgroup, and keeps
   * watching those that run. A start that the killed daemon did not get to record left a running
   * shim (adopted: the container is running), a run that ended meanwhile (stored as exited), or,
   * cut short before its shim recorded anything, processes in the container's cgroup (killed once
   * no shim has claimed them within a grace period).
   */
  async adoptRunning(claimGraceMs = 2000): Promise<void> {
    const unclaimed: ContainerRecord[] = [];
    for (const c of this.records.list()) {
      const r = this.settle(c);
      // A daemon stopped during a restart's delay: the restart is scheduled again.
      if (r.state.Restarting) this.restarts.schedule(r.id, r.state);
      else if (r.state.Running) this.monitor(r);
      else if (this.settleUnrecordedExit(r)) continue;
      else if (!this.runtime.status(this.dirOf(r)) && this.runtime.pids(this.dirOf(r)).length) unclaimed.push(r);
    }
    for (const deadline = Date.now() + claimGraceMs; unclaimed.length && Date.now() < deadline; ) {
      await Bun.sleep(50);
      for (const r of unclaimed.filter((x) => this.runtime.status(this.dirOf(x)))) {
        unclaimed.splice(unclaimed.indexOf(r), 1);
        const s = this.settle(this.records.get(r.id) ?? r);
        if (s.state.Running) this.monitor(s);
        else this.settleUnrecordedExit(s);
      }
    }
    for (const r of unclaimed) this.runtime.discardLeftovers(this.dirOf(r));
  }

  /** At daemon start, once adopted containers and networks are back: what dockerd starts by restart policy. */
  startByRestartPolicy(): void {
    for (const r of this.records.list().filter(restartsAtDaemonStart)) {
      this.start(r.id).catch(skipped("starting a container by its restart policy at the daemon's start"));
    }
  }

  /** A run that started and ended while no daemon recorded it: stored as exited, with its die event (and --rm). */
  private settleUnrecordedExit(c: ContainerRecord): boolean {
    const st = this.runtime.status(this.dirOf(c));
    const exit = st?.exit;
    if (!st || !exit || st.startedAt === c.state.StartedAt) return false;
    // A start that failed was stored as it failed (a created container stays created, as in dockerd).
    if (c.state.Error && c.state.Error === exit.error) return false;
    const ran: ContainerState = { ...initialState(), Status: "running", Running: true, StartedAt: st.startedAt };
    const next: ContainerState = { ...ran };
    this.applyExit(next, exit);
    this.records.saveState(c.id, next);
    this.onExited({ ...c, state: ran }, next);
    return true;
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    let c = this.settled(ref);
    if (c.state.Running) {
      if (!opts.force) {
        const procedure = c.state.Paused ? "Unpause and then stop" : "Stop";
        throw new ConflictError(
          `You cannot remove a ${c.state.Status} container ${c.id}. ${procedure} the container before attempting removal or force remove`,
        );
      }
      if (c.state.Restarting) c = await this.callOffRestart(c);
      if (hasProcess(c.state)) {
        this.stoppedByUser.add(c.id);
        // Its exit, or no state left to wait on: either way it runs no more.
        await this.runtime.stop(this.dirOf(c), "SIGKILL", 0).catch(() => {});
        c = this.settled(c.id);
      }
    }
    if (this.busy.has(c.id)) throw new ConflictError(`removal of container ${c.id} is already in progress`);
    this.busy.add(c.id);
    try {
      const anonymous = opts.volumes || c.hostConfig.AutoRemove ? this.mounts.of(c.id) : [];
      this.records.remove(c.id);
      this.mounts.removeAnonymous(anonymous);
      // A cp or export still reading keeps its open files; the directory can then be deleted.
      releaseReadViews(this.dirOf(c));
      releaseShm(this.dirOf(c));
      discardDir(this.dirOf(c), join(this.store.root, "tmp", `removed-${c.id}`));
      this.runtime.discardLeftovers(this.dirOf(c));
      this.restarts.forget(c.id);
    } finally {
      this.busy.delete(c.id);
    }
    this.events.emit("container", "destroy", c.id, this.eventAttrs(c));
    this.removals.notify(c.id, undefined);
  }

  rename(ref: string, newName: string): void {
    const c = this.find(ref);
    const name = validateName(newName);
    if (name === c.name) throw new ConflictError(`Renaming a container with the same name as its current name`);
    try {
      this.records.rename(c.id, name);
    } catch (e) {
      // dockerd words a taken name here as the allocation of the new one that failed.
      if (e instanceof ConflictError) throw new ConflictError(`Error when allocating new name: ${e.message}`);
      throw e;
    }
    this.events.emit("container", "rename", c.id, { ...this.eventAttrs(c), name, oldName: `/${c.name}` });
  }

  async prune(filters: Record<string, string[]> = {}): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    // dockerd's container prune takes label, label! and until, and no other filter.
    const filter = pruneFilter(filters, ["label", "label!", "until"]);
    const deleted: string[] = [];
    let space = 0;
    for (const c of this.records.list().map((r) => this.settle(r))) {
      if (c.state.Running || !filter.matches(Date.parse(c.created) / 1000, c.config.Labels)) continue;
      space += duBytes(this.paths(c).upperDir);
      await this.remove(c.id, {});
      deleted.push(c.id);
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: space };
  }

  logPath(c: ContainerRecord): string {
    return join(this.dirOf(c), `${c.id}-json.log`);
  }

  /** Whether a process runs for the container now (one waiting to restart has none). */
  isRunning(id: string): boolean {
    const r = this.records.get(id);
    return !!r && hasProcess(this.current(r).state);
  }

  /** dockerd refuses to attach to a container that waits to restart. */
  checkAttachable(c: ContainerRecord): void {
    if (c.state.Restarting) throw new ConflictError(`container ${c.id} is restarting, wait until the container is running`);
  }
}

/**
 * Takes a directory out of sight at once (a rename) and deletes it in the
 * background, so a removal (`run --rm`) does not wait for the files to go.
 * What an interrupted deletion leaves in tmp/ goes at the next daemon start.
 */
function discardDir(dir: string, trash: string): void {
  try {
    renameSync(dir, trash);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  void rm(trash, { recursive: true, force: true }).catch(skipped("removing a container's discarded directory"));
}

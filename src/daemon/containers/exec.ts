// Exec sessions: `POST /containers/{id}/exec` records one, `/exec/{id}/start`
// runs it through the runtime's two exec stages and streams its stdio, and
// `/exec/{id}/json` reports it. Sessions are kept in the store (exec-records.ts).
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Socket } from "node:net";
import { ConflictError, InvalidParameterError, NotFoundError, SystemError } from "../../errors.ts";
import type { ContainerEngine } from "./engine.ts";
import { buildSpec, consoleSize, containerEnv } from "./spec.ts";
import { EXEC_NOT_STARTED, type ExecConfig, type ExecProcess } from "../../runtime/index.ts";
import { frame } from "./logs.ts";
import { ExecRecords, type ExecRecord } from "./exec-records.ts";
import { restartingError } from "./restart-policy.ts";
import { DetachMatcher, parseDetachKeys } from "../../shared/detach-keys.ts";

type ExecSession = ExecRecord;

export class ExecManager {
  private records: ExecRecords;
  /** The sessions running now, for resizes of their terminal. */
  private running = new Map<string, ExecProcess>();

  constructor(private engine: ContainerEngine) {
    this.records = new ExecRecords(engine.store.db);
    this.records.markOrphansStopped();
  }

  create(containerRef: string, body: Record<string, any>): string {
    const c = this.engine.find(containerRef);
    if (c.state.Restarting) throw restartingError(c.id);
    if (!c.state.Running) throw new ConflictError(`Container ${c.id} is not running`);
    if (c.state.Paused) throw new ConflictError(`Container ${c.id} is paused, unpause the container before exec`);
    if (!Array.isArray(body?.Cmd) || body.Cmd.length === 0) throw new InvalidParameterError("No exec command specified");
    parseDetachKeys(body.DetachKeys || undefined);
    const id = crypto.getRandomValues(new Uint8Array(32)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "");
    this.records.insert({ id, containerId: c.id, body, running: false, exitCode: null, pid: 0 });
    // Its start (next, from every client) moves the program into the container's cgroup.
    this.engine.runtime.execs.prepare();
    this.engine.events.emit("container", `exec_create: ${body.Cmd.join(" ")}`, c.id, { ...this.engine.eventAttrs(c), execID: id });
    return id;
  }

  get(id: string): ExecSession {
    const s = this.records.get(id);
    if (!s) throw new NotFoundError(`No such exec instance: ${id}`);
    return s;
  }

  inspect(id: string): Record<string, unknown> {
    const s = this.get(id);
    return {
      ID: s.id, Running: s.running, ExitCode: s.exitCode, ProcessConfig: {
        tty: !!s.body.Tty, entrypoint: s.body.Cmd[0], arguments: s.body.Cmd.slice(1), privileged: !!s.body.Privileged, user: s.body.User ?? "",
      },
      OpenStdin: !!s.body.AttachStdin, OpenStderr: !!s.body.AttachStderr, OpenStdout: !!s.body.AttachStdout,
      CanRemove: false, ContainerID: s.containerId, DetachKeys: s.body.DetachKeys ?? "", Pid: s.pid,
    };
  }

  /**
   * Starts the session; with a client socket its stdio is streamed until the program exits.
   * The daemon's own sessions (health probes) take the output through `output` and end the
   * program early through `abort`.
   */
  start(id: string, client?: Socket, own: { output?: (data: Buffer) => void; abort?: AbortSignal } = {}): Promise<void> {
    const s = this.get(id);
    if (s.running || s.exitCode !== null) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const c = this.engine.find(s.containerId);
    if (c.state.Restarting) throw restartingError(c.id);
    if (!c.state.Running) throw new ConflictError(`Container ${c.id} is not running`);
    const spec = buildSpec(c, this.engine.paths(c), undefined, this.engine.security);
    const b = s.body;
    // As at the start: the links' variables under the container's own (dockerd gives an exec both).
    const env = containerEnv(c.config, this.engine.networks?.linkEnv(c) ?? []);
    for (const e of b.Env ?? []) {
      const k = String(e).split("=", 1)[0];
      const i = env.findIndex((x) => x.split("=", 1)[0] === k);
      if (i >= 0) env[i] = e;
      else env.push(e);
    }
    const cfg: ExecConfig = {
      pid: c.state.Pid, args: b.Cmd, env, user: b.User || c.config.User || "", cwd: b.WorkingDir || c.config.WorkingDir || "/",
      tty: !!b.Tty, consoleSize: consoleSize(b.ConsoleSize), privileged: !!b.Privileged || spec.privileged, capabilities: spec.capabilities, noNewPrivileges: spec.noNewPrivileges,
      seccomp: spec.seccomp, rlimits: spec.rlimits, groupAdd: spec.groupAdd, oomScoreAdj: spec.oomScoreAdj,
      cgroupPath: spec.cgroupPath, detached: !client && !own.output,
    };
    const file = join(this.engine.dirOf(c), `exec-${id}.json`);
    const exec = this.engine.runtime.execs.start(cfg, file);
    // Without attached stdin the program reads an immediate end of input.
    if (!(client && b.AttachStdin)) exec.stdin?.end();
    this.running.set(id, exec);
    s.running = true;
    s.pid = exec.pid;
    this.records.save(s);
    this.engine.events.emit("container", `exec_start: ${b.Cmd.join(" ")}`, c.id, { ...this.engine.eventAttrs(c), execID: id });
    const tty = !!b.Tty;
    const send = (stream: 1 | 2, data: Buffer) => {
      if (stream === 1 ? b.AttachStdout : b.AttachStderr) own.output?.(data);
      if (!client || client.destroyed || client.writableEnded) return;
      if (stream === 1 ? !b.AttachStdout : !b.AttachStderr) return;
      client.write(tty ? data : frame(stream, data));
    };
    exec.stdout?.on("data", (d: Buffer) => send(1, d));
    exec.stderr?.on("data", (d: Buffer) => send(2, d));
    const stdin = exec.stdin;
    if (client && stdin) {
      // The detach keys leave the program running and end this client's stream.
      const detach = new DetachMatcher(parseDetachKeys(b.DetachKeys || undefined));
      let detached = false;
      client.on("data", (d: Buffer) => {
        if (detached) return;
        const r = detach.push(d);
        if (r.forward.length) stdin.write(r.forward);
        if (r.detached) {
          detached = true;
          client.end();
        }
      });
      client.on("end", () => !detached && stdin.end());
      stdin.on("error", () => {});
    }
    client?.on("error", () => {});
    own.abort?.addEventListener("abort", () => exec.kill(), { once: true });
    return new Promise((resolve) => {
      void exec.exited.then(({ exitCode, failure }) => {
        // A program that never ran: the runtime's reason, where the program's errors would have come.
        if (failure) send(2, Buffer.from(`OCI runtime exec failed: ${failure.message}\n`));
        this.running.delete(id);
        s.running = false;
        s.exitCode = failure ? EXEC_NOT_STARTED : exitCode;
        // The container (and with it the session) may be gone already.
        this.records.save(s);
        rmSync(file, { force: true });
        this.engine.events.emit("container", "exec_die", c.id, { ...this.engine.eventAttrs(c), execID: id, exitCode: String(s.exitCode) });
        client?.end();
        resolve();
      });
    });
  }

  /** Drops a finished session the daemon ran for itself (a health probe), so probes do not pile up in the store. */
  forget(id: string): void {
    this.records.remove(id);
  }

  /**
   * `POST /exec/{id}/resize`: the PTY size, passed to stage 1, which holds the
   * terminal. Like dockerd, a session that has not started yet gets a moment to.
   */
  async resize(id: string, h: number, w: number): Promise<void> {
    this.get(id); // 404 for an unknown session
    const deadline = Date.now() + 1000;
    while (!this.running.has(id) && this.get(id).exitCode === null && Date.now() < deadline) await Bun.sleep(10);
    const exec = this.running.get(id);
    if (!exec) {
      if (this.get(id).exitCode !== null) throw new ConflictError(`Exec ${id} is not running`);
      throw new SystemError("timeout waiting for exec session ready");
    }
    exec.resize(h, w);
  }
}

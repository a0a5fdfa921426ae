// The runtime's API for the daemon. A container is a directory holding
// config.json (a RuntimeSpec); the runtime adds state.json, attach.sock, the
// json-file log and, per exec, exec-<id>.{config.json,json,sock}. Every call
// works from the directory alone, so a restarted daemon finds its containers.
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import type net from "node:net";
import { nodeNet } from "../builtins.ts";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { selfCommand } from "../self.ts";
import * as c from "./libc.ts";
import { openCgroup, cgroupVersion, type CgroupStats } from "./cgroups/index.ts";
import { resolveSpec, type RuntimeSpec } from "./spec.ts";
import { readState as readStateRaw, readStateFile, statePath, type ShimState } from "./shim/state.ts";
import { shortSocketPath } from "./shim/socket.ts";
import { execPaths } from "./shim/exec.ts";
import { signalNumber } from "./shim/session.ts";
import type { ExecConfig } from "./exec/config.ts";

export type { RuntimeSpec, ContainerSpec, BindMount } from "./spec.ts";
export { containerSpec, defaultCapabilities, defaultMaskedPaths, defaultReadonlyPaths } from "./spec.ts";
export type { ShimState } from "./shim/state.ts";
export type { ExecConfig } from "./exec/config.ts";
export type { CgroupStats } from "./cgroups/index.ts";
export { cgroupVersion, openCgroup } from "./cgroups/index.ts";
export { applyCapChanges } from "./capabilities.ts";

/** A program that could not start; `exitCode` is Docker's (125 runtime, 126 cannot run, 127 not found). */
export class ContainerStartError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export interface ShimOptions {
  /** How to run berth (default: this executable, or bun + the entry script when run from source). */
  command?: string[];
  /** The attach socket (default `<dir>/attach.sock`, or `<dir>/exec-<id>.sock`). */
  socketPath?: string;
  /** Called with connections opened before the program starts: they see all its output. */
  attachments?: ((sock: net.Socket) => void)[];
}

export function configPath(dir: string): string {
  return join(dir, "config.json");
}

export function writeSpec(dir: string, spec: RuntimeSpec): void {
  writeFileSync(configPath(dir), JSON.stringify(spec));
}

/** Spawns a detached shim and resolves once it reports "started" (or throws with its failure). */
async function spawnShim(args: string[], dir: string, o: ShimOptions, socketPath: string): Promise<{ shimPid: number; pid: number }> {
  const errLog = openSync(join(dir, "shim.log"), "a");
  const shim = Bun.spawn([...(o.command ?? selfCommand()), "__shim", ...args, socketPath, String(o.attachments?.length ?? 0)], {
    stdio: ["ignore", "pipe", errLog],
    detached: true,
    cwd: "/",
    env: {},
  });
  closeSync(errLog);
  const lines = readLines(shim.stdout as ReadableStream<Uint8Array>);
  try {
    const first = await lines.next();
    if (first.value !== "listening") throw new ContainerStartError(`container shim failed to start (${first.value || "no answer"})`, 125);
    for (const attach of o.attachments ?? []) attach(nodeNet().connect({ path: shortSocketPath(socketPath), allowHalfOpen: true }));
    const line = (await lines.next()).value ?? "";
    if (line.startsWith("failed ")) {
      const err = JSON.parse(line.slice(7)) as { code: number; message: string };
      throw new ContainerStartError(err.message, err.code);
    }
    const m = /^started (\d+)$/.exec(line);
    if (!m) throw new ContainerStartError(`container shim failed: ${line || "no answer"}`, 125);
    return { shimPid: shim.pid, pid: Number(m[1]) };
  } finally {
    await lines.return(undefined);
    shim.unref();
  }
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string, void> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let buf = "";
  try {
    for (;;) {
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        yield buf.slice(0, i);
        buf = buf.slice(i + 1);
      }
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
    }
    if (buf) yield buf;
  } finally {
    reader.releaseLock();
    stream.cancel().catch(() => {});
  }
}

/**
 * Runs the container of `dir` (its config.json, or `spec` written there first).
 * Resolves once the user's program runs; throws ContainerStartError otherwise.
 */
export async function startContainer(dir: string, o: ShimOptions & { spec?: RuntimeSpec } = {}): Promise<{ shimPid: number; pid: number }> {
  if (o.spec) writeSpec(dir, o.spec);
  rmSync(statePath(dir), { force: true });
  return spawnShim([dir], dir, o, o.socketPath ?? join(dir, "attach.sock"));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: any) {
    return e?.code === "EPERM";
  }
}

/** The recorded state; a "running" record whose shim died is reported as exited (137, with an error). */
export function readState(dir: string): ShimState | undefined {
  const s = readStateRaw(dir);
  if (s?.status === "running" && !alive(s.shimPid)) {
    const again = readStateRaw(dir); // it may have finished between the two reads
    if (again?.status === "exited") return again;
    return { ...s, status: "exited", exitCode: 137, finishedAt: s.finishedAt ?? new Date().toISOString(), error: "container shim exited unexpectedly" };
  }
  return s;
}

/** Resolves with the final state once the container has exited. */
export async function waitContainer(dir: string, abort?: AbortSignal): Promise<ShimState> {
  for (;;) {
    const s = readState(dir);
    if (!s) throw new Error("container has no runtime state");
    if (s.status === "exited") return s;
    if (abort?.aborted) throw new Error("aborted");
    await new Promise<void>((resolve) => {
      let w: ReturnType<typeof watch> | undefined;
      const done = () => {
        clearTimeout(t);
        w?.close();
        resolve();
      };
      const t = setTimeout(done, 100);
      try {
        w = watch(dir, done);
      } catch {}
      abort?.addEventListener("abort", done, { once: true });
    });
  }
}

function running(dir: string): ShimState {
  const s = readState(dir);
  if (!s || s.status !== "running") throw new Error("container is not running");
  return s;
}

/** Sends a signal to the container's PID 1 ("SIGTERM", "KILL", 9). */
export function signalContainer(dir: string, signal: string | number): void {
  c.kill(running(dir).pid, signalNumber(signal));
}

/** One JSON request on a shim socket, one JSON answer. */
function request(socketPath: string, body: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const sock = nodeNet().connect({ path: shortSocketPath(socketPath) });
    let got = "";
    sock.on("connect", () => sock.write(JSON.stringify(body) + "\n"));
    sock.on("data", (b) => (got += b.toString()));
    sock.on("error", reject);
    sock.on("close", () => {
      try {
        const answer = JSON.parse(got);
        if (answer.error) reject(new Error(answer.error));
        else resolve(answer);
      } catch {
        reject(new Error(`no answer from the shim${got ? `: ${got}` : ""}`));
      }
    });
  });
}

/** Stops like `docker stop`: the signal, then SIGKILL after `timeoutSec`. Resolves with the exit code. */
export async function stopContainer(dir: string, o: { signal?: string; timeoutSec?: number; socketPath?: string } = {}): Promise<number> {
  const s = readState(dir);
  if (!s || s.status === "exited") return s?.exitCode ?? 0;
  const answer = await request(o.socketPath ?? join(dir, "attach.sock"), { stop: { signal: o.signal ?? "", timeout: o.timeoutSec ?? 10 } });
  return answer.exitCode;
}

/** Resizes the container's (or an exec's) TTY. */
export async function resizeTty(socketPath: string, rows: number, cols: number): Promise<void> {
  await request(socketPath, { resize: [rows, cols] });
}

export interface AttachStreams {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Unframed output (TTY containers); else Docker stream frames. */
  raw?: boolean;
}

/** A connection to the attach socket, already past its hello line. */
export function attach(dir: string, streams: AttachStreams = { stdout: true, stderr: true }, socketPath = join(dir, "attach.sock")): net.Socket {
  const sock = nodeNet().connect({ path: shortSocketPath(socketPath), allowHalfOpen: true });
  sock.write(JSON.stringify(streams) + "\n");
  return sock;
}

export interface ExecHandle {
  shimPid: number;
  pid: number;
  socketPath: string;
  statePath: string;
}

/** Starts `cfg` in the running container of `dir`, supervised by its own detached shim. */
export async function execInContainer(dir: string, id: string, cfg: Partial<ExecConfig> & Pick<ExecConfig, "args">, o: ShimOptions = {}): Promise<ExecHandle> {
  const state = running(dir);
  const spec = resolveSpec(dir, JSON.parse(await Bun.file(configPath(dir)).text()));
  const full: ExecConfig = {
    id, pid: state.pid, env: spec.env, user: spec.user, cwd: spec.cwd, tty: false, privileged: spec.privileged,
    capabilities: spec.capabilities, noNewPrivileges: spec.noNewPrivileges, seccomp: spec.seccomp, cgroupPath: spec.cgroupPath, ...cfg,
  };
  const p = execPaths(dir, id);
  writeFileSync(p.config, JSON.stringify(full));
  rmSync(p.state, { force: true });
  const socketPath = o.socketPath ?? p.socket;
  const r = await spawnShim(["exec", dir, p.config], dir, o, socketPath);
  return { ...r, socketPath, statePath: p.state };
}

export function readExecState(dir: string, id: string): ShimState | undefined {
  return readStateFile(execPaths(dir, id).state);
}

export async function waitExec(dir: string, id: string): Promise<ShimState> {
  for (;;) {
    const s = readExecState(dir, id);
    if (s?.status === "exited") return s;
    if (s && !alive(s.shimPid)) return { ...s, status: "exited", exitCode: 137, error: "exec shim exited unexpectedly" };
    await Bun.sleep(10);
  }
}

function cgroupOf(dir: string) {
  const spec = resolveSpec(dir, JSON.parse(readFileSync(configPath(dir), "utf8")));
  return openCgroup(spec.cgroupPath, spec.resources);
}

export function stats(dir: string): CgroupStats {
  return cgroupOf(dir).stats();
}

export function pause(dir: string): void {
  running(dir);
  cgroupOf(dir).freeze(true);
}

export function unpause(dir: string): void {
  cgroupOf(dir).freeze(false);
}

export function isPaused(dir: string): boolean {
  return cgroupOf(dir).frozen();
}

/** Applies new limits to a running container (docker update). */
export function updateResources(dir: string, resources: RuntimeSpec["resources"]): void {
  const spec = resolveSpec(dir, JSON.parse(readFileSync(configPath(dir), "utf8")));
  openCgroup(spec.cgroupPath, resources).create();
}

/**
 * Removes what a run leaves behind, also after a crash: kills a shim and
 * program still alive, removes the cgroup, the sockets and state files
 * (the config and the log stay).
 */
export function cleanup(dir: string): void {
  const s = readStateRaw(dir);
  if (s?.status === "running") {
    for (const pid of [s.pid, s.shimPid]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  }
  if (existsSync(configPath(dir))) cgroupOf(dir).remove();
  for (const f of new Bun.Glob("{attach.sock,state.json,state.json.tmp,exec-*}").scanSync({ cwd: dir, onlyFiles: false })) {
    rmSync(join(dir, f), { force: true });
  }
}

let overlayCache: boolean | undefined;

/** Whether this kernel mounts overlayfs here (else the daemon copies layers into a plain rootfs). */
export function overlaySupported(scratch = tmpdir()): boolean {
  if (overlayCache !== undefined) return overlayCache;
  mkdirSync(scratch, { recursive: true });
  const base = mkdtempSync(join(scratch, "berth-overlay-check-"));
  const dirs = ["lower", "upper", "work", "merged"].map((d) => join(base, d));
  for (const d of dirs) mkdirSync(d);
  try {
    c.mount("overlay", dirs[3]!, "overlay", 0, `lowerdir=${dirs[0]},upperdir=${dirs[1]},workdir=${dirs[2]}`);
    c.umount2(dirs[3]!, 2);
    overlayCache = true;
  } catch {
    overlayCache = false;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return overlayCache;
}


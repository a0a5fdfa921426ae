// The last steps before a container process becomes the user's program,
// shared by a container's init and by exec: finding the program as Docker
// does, dropping identity and capabilities, and reporting failures to the
// parent over the control descriptor (fd 3).
import { readFileSync, constants, writeSync, readSync, openSync, closeSync, fchownSync } from "node:fs";
import * as c from "./libc.ts";
import { capabilityMask, lastCapability } from "./capabilities.ts";
import { installFilter, type SeccompProgram } from "./seccomp/install.ts";
import { StartError } from "./start-error.ts";
import { ownFiles, type FileView } from "./file-view.ts";
import { errnoCode } from "../errors.ts";

export const CONTROL_FD = 3;


/** In the child: blocks until the parent says "go[ ARG]" on the control fd and returns the line (exits if the parent is gone). */
export function waitForGo(): string {
  // Byte by byte: nothing after the line may be consumed here (the terminal exchange follows).
  const buf = Buffer.alloc(1);
  const got: number[] = [];
  for (;;) {
    const n = readSync(CONTROL_FD, buf, 0, 1, null);
    if (n <= 0) process.exit(1);
    if (buf[0] === 10) return Buffer.from(got).toString("utf8");
    got.push(buf[0]!);
  }
}

/**
 * One read of `fd` into `chunk` that waits for data: a non-blocking descriptor
 * is made blocking (wait in the kernel, not in steps of a sleep: the answer is
 * on a start's critical path) and EINTR is retried. 0 at the end or on an error.
 */
export function readWaiting(fd: number, chunk: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      if (errnoCode(e) === "EAGAIN") c.setBlocking(fd);
      else if (errnoCode(e) !== "EINTR") return 0;
    }
  }
}

function readLineSync(fd: number, pending: { buf: string }): string | undefined {
  const chunk = Buffer.alloc(4096);
  for (;;) {
    const nl = pending.buf.indexOf("\n");
    if (nl >= 0) {
      const line = pending.buf.slice(0, nl);
      pending.buf = pending.buf.slice(nl + 1);
      return line;
    }
    const n = readWaiting(fd, chunk);
    if (n <= 0) {
      const rest = pending.buf;
      pending.buf = "";
      return rest || undefined;
    }
    pending.buf += chunk.toString("utf8", 0, n);
  }
}

/** The parent's answer to the child's "tty": the terminal's path, or why there is none. */
function answerTty(fd: number, onTty?: () => string): void {
  let reply: string;
  try {
    reply = `pts ${onTty ? onTty() : ""}`;
  } catch (e) {
    reply = `error ${(e as Error).message}`;
  }
  writeSync(fd, reply + "\n");
}

/**
 * In the parent: serves the child's requests on the control channel until it
 * closes. EOF without a failure means the execve succeeded (the fd was
 * close-on-exec). A "tty" request is answered with "pts PATH", the terminal
 * the parent made in the container's own devpts.
 */
export function superviseStart(fd: number, onTty?: () => string): StartError | undefined {
  const pending = { buf: "" };
  for (;;) {
    const line = readLineSync(fd, pending);
    if (line === undefined) return undefined;
    if (line === "tty") {
      answerTty(fd, onTty);
      continue;
    }
    if (line.trim()) return StartError.fromReport(line);
  }
}

/**
 * superviseStart through the event loop, for a shim that runs several starts at once: the
 * control socket is read as a stream to its end (stage 2 exits right after a failure it
 * reports, or closes the descriptor with its execve), so nothing reads it after it is closed.
 * The descriptor stays open: the caller closes it.
 */
export async function superviseStartAsync(fd: number, onTty?: () => string): Promise<StartError | undefined> {
  const decoder = new TextDecoder();
  let pending = "";
  let failure: StartError | undefined;
  const take = (line: string) => {
    if (failure) return;
    if (line === "tty") answerTty(fd, onTty);
    else if (line.trim()) failure = StartError.fromReport(line);
  };
  try {
    for await (const chunk of Bun.file(fd).stream()) {
      pending += decoder.decode(chunk, { stream: true });
      for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        take(line);
      }
    }
  } catch {
    // A read error ends the channel as its end does (as readWaiting's 0).
  }
  if (pending) take(pending);
  return failure;
}

/**
 * In the child, after its /dev/pts is mounted: asks the parent for a terminal
 * and makes it this process's stdio and controlling terminal.
 */
export function takeTerminal(owner?: { uid: number; gid: number }): void {
  writeSync(CONTROL_FD, "tty\n");
  const line = readLineSync(CONTROL_FD, { buf: "" }) ?? "";
  if (!line.startsWith("pts ")) throw new Error(`no terminal: ${line.replace(/^error /, "")}`);
  const fd = openSync(line.slice(4), constants.O_RDWR | constants.O_NOCTTY);
  if (owner) fchownSync(fd, owner.uid, 5);
  for (const std of [0, 1, 2]) c.dup2(fd, std);
  if (fd > 2) closeSync(fd);
  c.setsid();
  c.setControllingTty(0);
}

/** Writes `{code, message}` on the control fd and exits with the code. */
export function reportFailure(e: unknown, context: string): never {
  const failure = e instanceof StartError ? e : new StartError(`${context}: ${(e as Error).message}`, 126);
  try {
    writeSync(CONTROL_FD, failure.toReport() + "\n");
  } catch {
    // The control pipe is gone with the shim: the exit code below still tells.
  }
  process.exit(failure.exitCode);
}

export function lookPath(file: string, env: string[], files: FileView = ownFiles()): string {
  const notFound = () => new StartError(`exec: "${file}": executable file not found in $PATH`, 127);
  const check = (p: string) => {
    const kind = files.kind(p);
    if (!kind) return false;
    if (kind === "dir") throw new StartError(`exec: "${file}": is a directory`, 126);
    if (!files.executable(p)) throw new StartError(`exec: "${file}": permission denied`, 126);
    return true;
  };
  if (file.includes("/")) {
    if (!files.kind(file)) throw new StartError(`exec: "${file}": stat ${file}: no such file or directory`, 127);
    check(file);
    return file;
  }
  const path = env.find((e) => e.startsWith("PATH="))?.slice(5) ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const dir of path.split(":")) {
    const p = `${dir || "."}/${file}`;
    if (check(p)) return p;
  }
  throw notFound();
}

/** The capabilities this process holds (CapPrm): what it can pass on, at most. */
function ownCapabilities(): bigint {
  const hex = /^CapPrm:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  return hex ? BigInt(`0x${hex}`) : 0n;
}

/** The capabilities a process keeps and those it drops from its bounding set; refused when root would need more than this process holds. */
export function capabilityPlan(capabilities: string[], privileged: boolean, uid: number): { keep: bigint; boundingDrops: number[] } {
  const own = ownCapabilities();
  const keep = privileged ? own : capabilityMask(capabilities);
  const missing = uid === 0 ? keep & ~own : 0n;
  if (missing) {
    const names = capabilities.filter((n) => missing & capabilityMask([n])).map((n) => `CAP_${n.toUpperCase().replace(/^CAP_/, "")}`);
    throw new StartError(`the engine does not hold ${names.join(", ")} itself, so it cannot give it to the container`, 125);
  }
  const boundingDrops: number[] = [];
  if (!privileged) {
    const last = lastCapability((p) => readFileSync(p, "utf8"));
    for (let cap = 0; cap <= last; cap++) if (!(keep & (1n << BigInt(cap)))) boundingDrops.push(cap);
  }
  return { keep, boundingDrops };
}

/**
 * Bounding set, groups, gid, uid, then capabilities (root keeps only
 * `capabilities`; --privileged keeps all this process has, which on a host that
 * withholds some is fewer than the kernel knows). The inheritable set is left
 * empty, as Docker leaves it. The seccomp filter goes on as runc puts it: last,
 * after no_new_privs, when that is asked for; otherwise while this process
 * still holds CAP_SYS_ADMIN, which seccomp(2) then requires.
 */
export function dropPrivileges(capabilities: string[], privileged: boolean, noNewPrivileges: boolean, uid: number, gid: number, groups: number[], seccomp?: SeccompProgram): void {
  const { keep, boundingDrops } = capabilityPlan(capabilities, privileged, uid);
  for (const cap of boundingDrops) c.prctl(c.PR.CAPBSET_DROP, cap);
  if (seccomp && !noNewPrivileges) installFilter(seccomp);
  c.setgroups(groups);
  c.setresgid(gid);
  c.setresuid(uid);
  if (uid === 0) c.capset(keep, keep, 0n);
  if (noNewPrivileges) c.prctl(c.PR.SET_NO_NEW_PRIVS, 1);
  if (seccomp && noNewPrivileges) installFilter(seccomp);
}


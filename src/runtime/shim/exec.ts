// `berth __shim exec DIR EXEC_CONFIG [SOCKET [ATTACH_COUNT]]`: a process
// started inside a running container, supervised like the container itself
// (detached, its stdio served on its own socket, its exit recorded), for
// callers that must not hold the process's pipes. Socket and state default to
// <dir>/exec-<id>.sock and <dir>/exec-<id>.json.
import { readFileSync, writeFileSync, closeSync } from "node:fs";
import { basename, join } from "node:path";
import type { ExecConfig } from "../exec/config.ts";
import { spawnExec } from "../exec/spawn.ts";
import { readState, writeStateFile, nowRfc3339, type ShimState } from "./state.ts";
import { resolveSpec } from "../spec.ts";
import { Session, relay, drain, ptyDrainCapMs, exitCodeOf, report, signalNumber } from "./session.ts";
import * as c from "../libc.ts";

export function execPaths(dir: string, id: string): { socket: string; state: string; config: string } {
  return { socket: join(dir, `exec-${id}.sock`), state: join(dir, `exec-${id}.json`), config: join(dir, `exec-${id}.config.json`) };
}

export async function execShimMain(argv: string[]): Promise<void> {
  const [dir, file, socketArg, attachCountRaw] = argv as [string, string, string?, string?];
  const cfg: ExecConfig = JSON.parse(readFileSync(file, "utf8"));
  const id = cfg.id || basename(file).replace(/(\.config)?\.json$/, "").replace(/^exec-/, "");
  const paths = execPaths(dir, id);
  const container = readState(dir);
  if (!cfg.pid) {
    if (!container || container.status !== "running") {
      report(`failed ${JSON.stringify({ code: 125, message: "container is not running" })}`);
      process.exit(1);
    }
    cfg.pid = container.pid;
  }
  if (!cfg.cgroupPath) {
    const spec = resolveSpec(dir, JSON.parse(readFileSync(join(dir, "config.json"), "utf8")));
    cfg.cgroupPath = spec.cgroupPath;
  }
  writeFileSync(file, JSON.stringify(cfg)); // stage 2 reads the resolved pid
  const session = await Session.open(socketArg || paths.socket, cfg.tty, Number(attachCountRaw) || 0);
  const { proc, ptyMaster, failure } = spawnExec(cfg, file, [cfg.openStdin ? "pipe" : "ignore", "pipe", "pipe"]);
  const state: ShimState = { shimPid: process.pid, pid: proc.pid, status: "running", startedAt: nowRfc3339() };
  if (failure) {
    await proc.exited;
    Object.assign(state, { status: "exited", finishedAt: nowRfc3339(), exitCode: failure.code, error: failure.message });
    writeStateFile(paths.state, state);
    report(`failed ${JSON.stringify(failure)}`);
    await session.close({ waitForAnnounced: false });
    process.exit(0);
  }
  writeStateFile(paths.state, state);
  report(`started ${proc.pid}`);
  process.on("SIGHUP", () => {}); // as in container.ts
  const output = relay(session.hub, proc, { ptyMaster, openStdin: !!cfg.openStdin, stdinOnce: true });
  session.hub.onSignal = (sig) => {
    try {
      c.kill(proc.pid, signalNumber(sig));
    } catch {}
  };
  const code = await proc.exited;
  await drain(output, ptyMaster !== undefined, ptyDrainCapMs.exec);
  if (ptyMaster !== undefined) closeSync(ptyMaster);
  await session.close();
  Object.assign(state, { status: "exited", finishedAt: nowRfc3339(), exitCode: exitCodeOf(proc, code) });
  writeStateFile(paths.state, state);
  report("exited");
  process.exit(0);
}

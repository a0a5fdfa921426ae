// One health probe: an exec session in the container (the same path as
// `docker exec`, so it raises exec_create/exec_start/exec_die as dockerd's
// probes do), its output kept up to Docker's 4096 bytes, killed at its timeout.
import { formatDuration } from "../../../shared/duration.ts";

/** What a probe needs of the engine's exec sessions (src/daemon/containers/exec.ts). */
export interface ExecSessions {
  create(containerId: string, body: Record<string, unknown>): string;
  start(id: string, client: undefined, own: { output?: (data: Buffer) => void; abort?: AbortSignal }): Promise<void>;
  get(id: string): { exitCode: number | null };
  forget(id: string): void;
}

const maxOutput = 4096;

/** Keeps the first 4096 bytes, and says with "..." that more was cut, as dockerd does. */
class BoundedOutput {
  private chunks: Buffer[] = [];
  private size = 0;
  private cut = false;

  write(data: Buffer): void {
    const room = maxOutput - this.size;
    if (data.length > room) this.cut = true;
    if (room <= 0) return;
    const kept = data.subarray(0, room);
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8") + (this.cut ? "..." : "");
  }
}

/**
 * Runs `argv` in the container; resolves with its exit code and output, -1 and dockerd's
 * message when it ran past `timeoutMs` (killed then) or could not run. `cancel` (the
 * container stopped) kills it too; the result then no longer matters.
 */
export async function runProbe(
  execs: ExecSessions, containerId: string, argv: string[], timeoutMs: number, cancel: AbortSignal,
): Promise<{ ExitCode: number; Output: string }> {
  let id: string;
  try {
    id = execs.create(containerId, { Cmd: argv, AttachStdout: true, AttachStderr: true, Tty: false, Privileged: false });
  } catch (e) {
    return { ExitCode: -1, Output: (e as Error).message };
  }
  const out = new BoundedOutput();
  const kill = new AbortController();
  const onCancel = () => kill.abort();
  cancel.addEventListener("abort", onCancel, { once: true });
  try {
    const done = execs.start(id, undefined, { output: (d) => out.write(d), abort: kill.signal });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
    const late = await Promise.race([done.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      kill.abort();
      await done;
      const text = out.text();
      return { ExitCode: -1, Output: `Health check exceeded timeout (${formatDuration(timeoutMs * 1e6)})${text ? `: ${text}` : ""}` };
    }
    const code = execs.get(id).exitCode;
    return code === null ? { ExitCode: -1, Output: `healthcheck for container ${containerId} has no exit code` } : { ExitCode: code, Output: out.text() };
  } catch (e) {
    return { ExitCode: -1, Output: (e as Error).message };
  } finally {
    cancel.removeEventListener("abort", onCancel);
    execs.forget(id);
  }
}

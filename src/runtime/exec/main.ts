// `berth __exec FILE` (or `__exec --standby`, FILE then coming on fd 3),
// stage 1 of an exec for a caller that holds its stdio (the daemon spawns it
// with pipes): starts stage 2 in the container, relays a PTY when asked, and
// exits with the program's exit code.
import { readFileSync, readSync, writeSync, createReadStream } from "node:fs";
import type { ExecConfig } from "./config.ts";
import { spawnExec } from "./spawn.ts";
import { sealSelf } from "./sealed-self.ts";
import { drain, exitCodeOf, ptyDrainCapMs } from "../shim/session.ts";
import { setWindowSize } from "../libc.ts";
import { errnoCode } from "../../errors.ts";
import { EXEC_NOT_STARTED } from "../start-error.ts";

export async function execMain(argv: string[]): Promise<void> {
  // A standby seals the executable while it waits, off the exec's path (spawnExec would do it otherwise).
  sealSelf();
  // A standby (started ahead by the daemon) learns its config file as the first control line.
  const file = argv[0] === "--standby" ? firstControlLine() : argv[0]!;
  const cfg: ExecConfig = JSON.parse(readFileSync(file, "utf8"));
  const { proc, ptyMaster, failure } = spawnExec(cfg, file, ["inherit", "inherit", "inherit"]);
  if (failure) {
    process.stderr.write(`OCI runtime exec failed: ${failure.message}\n`);
    await proc?.exited;
    process.exit(EXEC_NOT_STARTED);
  }
  let output: Promise<unknown> = Promise.resolve();
  if (ptyMaster !== undefined) {
    process.stdin.on("data", (b: Buffer) => {
      try {
        writeSync(ptyMaster, b);
      } catch {
        // The terminal closed with the program: typed input has nowhere to go.
      }
    });
    followResizes(ptyMaster);
    const out = createReadStream("", { fd: ptyMaster, autoClose: false, highWaterMark: 65536 });
    // Each chunk is handed to the pipe before the next is read, so none is pending at exit.
    output = (async () => {
      for await (const b of out as AsyncIterable<Uint8Array>) await new Promise<void>((done) => process.stdout.write(b, () => done()));
    })().catch(() => {}); // EIO: the terminal's other side is closed and its data read
  }
  const code = await proc!.exited;
  await drain(output, ptyMaster !== undefined, ptyDrainCapMs.exec);
  process.exit(exitCodeOf(proc!, code));
}

/** Control lines on fd 3 from the daemon: `{"resize":[rows,cols]}` sets the terminal's size. */
function followResizes(ptyMaster: number): void {
  let buf = "";
  let control;
  try {
    control = createReadStream("", { fd: 3, autoClose: true });
  } catch {
    return; // started without a control pipe
  }
  control.on("error", () => {});
  control.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const m = JSON.parse(line) as { resize?: [number, number] };
        if (m.resize) setWindowSize(ptyMaster, m.resize[0], m.resize[1]);
      } catch {
        // not ours, or the terminal is gone
      }
    }
  });
}

/** Blocks for one line on fd 3, byte by byte so that nothing after it is taken; EOF means no work came. */
function firstControlLine(): string {
  const one = Buffer.alloc(1);
  const got: number[] = [];
  for (;;) {
    let n = 0;
    try {
      n = readSync(3, one, 0, 1, null);
    } catch (e) {
      if (errnoCode(e) === "EAGAIN" || errnoCode(e) === "EINTR") continue;
      process.exit(0);
    }
    if (n === 0) process.exit(0);
    if (one[0] === 10) return Buffer.from(got).toString("utf8");
    got.push(one[0]!);
  }
}

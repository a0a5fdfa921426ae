// `berth __exec FILE`, stage 1 of an exec for a caller that holds its stdio
// (the daemon spawns it with pipes): starts stage 2 in the container, relays
// a PTY when asked, and exits with the program's exit code.
import { readFileSync, writeSync, createReadStream } from "node:fs";
import type { ExecConfig } from "./config.ts";
import { spawnExec } from "./spawn.ts";
import { exitCodeOf } from "../shim/session.ts";

export async function execMain(argv: string[]): Promise<void> {
  const file = argv[0]!;
  const cfg: ExecConfig = JSON.parse(readFileSync(file, "utf8"));
  const { proc, ptyMaster, failure } = spawnExec(cfg, file, ["inherit", "inherit", "inherit"]);
  if (failure) {
    process.stderr.write(`OCI runtime exec failed: ${failure.message}\n`);
    await proc.exited;
    process.exit(failure.code);
  }
  if (ptyMaster !== undefined) {
    process.stdin.on("data", (b: Buffer) => {
      try {
        writeSync(ptyMaster, b);
      } catch {}
    });
    const out = createReadStream("", { fd: ptyMaster, autoClose: false, highWaterMark: 65536 });
    out.on("data", (b) => process.stdout.write(b));
    out.on("error", () => {});
  }
  const code = await proc.exited;
  if (ptyMaster !== undefined) await Bun.sleep(50);
  process.exit(exitCodeOf(proc, code));
}

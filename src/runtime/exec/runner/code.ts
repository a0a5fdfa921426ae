// The exec runner's machine code, assembled from runner.s (the bytes are
// committed so that building berth needs no assembler; a test reassembles
// runner.s and demands these bytes), and where the runtime installed it.
import { memfdWith } from "./memfd.ts";
import { installExecutable, staticElf, staticElfSupported } from "../../static-elf.ts";

export const runnerCode = Buffer.from(
  "31ffbe00000001ba0300000041ba0200000041b8040000004531c9b8090000000f05483d00f0ffff0f87930000004889c3488b0b4c8d" +
    "63104885c97411498b042448011c034983c40848ffc9ebea4531ed4c8b73084d39f57367498b0424498b7c2408498b742410498b54" +
    "24184d8b5424204d8b4424284d8b4c24300f054885c0781c498b4c24384885c978054839c875094983c44049ffc5ebba31c0eb02f7" +
    "d84883ec1044892c2489442404bf030000004889e6ba08000000b8010000000f05bf7e000000b8e70000000f05",
  "hex",
);

/** Writes the runner at `path` (root's only) when this machine runs it, and remembers where; false when it does not. */
export function installRunner(path: string): boolean {
  if (!staticElfSupported()) return false;
  installExecutable(path, staticElf(runnerCode));
  installed = path;
  return true;
}

let installed: string | undefined;

/** The runner this daemon installed, unless BERTH_EXEC_STAGE2=typescript asks for the TypeScript stage 2 (the tests' cross-check). */
export function runnerPath(): string | undefined {
  return process.env.BERTH_EXEC_STAGE2 === "typescript" ? undefined : installed;
}

let image: string | undefined;

/**
 * The runner as this process's sealed memfd, for execs the daemon starts
 * itself (direct.ts): a container that opens the runner through
 * /proc/PID/exe while it runs in its PID namespace gets a file no one can
 * write (runc answers CVE-2019-5736 with the same kind of copy). Its path,
 * /proc/<daemon>/fd/N, works from any child that sees the host's /proc.
 */
export function runnerImage(): string | undefined {
  if (image || !installed || process.env.BERTH_EXEC_STAGE2 === "typescript") return image;
  image = `/proc/${process.pid}/fd/${memfdWith("berth-exec-runner", staticElf(runnerCode), { sealed: true, executable: true })}`;
  return image;
}

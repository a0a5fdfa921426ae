// The user namespace starter's bytes (src/runtime/userns/trampoline.ts) are
// what its assembly source (starter.s) assembles to: GNU as and objcopy
// (binutils) make the code again here, and the executable the runtime writes
// must hold exactly that after its ELF headers.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { installStarter } from "../../src/runtime/userns/trampoline.ts";

const source = join(import.meta.dir, "../../src/runtime/userns/starter.s");
/** The ELF header (64 bytes) and the one program header (56) come before the code. */
const HEADERS = 64 + 56;

function tools(): boolean {
  const missing = ["as", "objcopy"].filter((t) => !Bun.which(t));
  if (!missing.length) return true;
  const why = `starter bytes: ${missing.join(", ")} not installed (Debian binutils)`;
  if (process.env.CI === "true") throw new Error(why);
  console.warn(`skipped: ${why}`);
  return false;
}

describe.if(tools())("the user namespace starter", () => {
  const dir = mkdtempSync("/tmp/berth-starter-bytes-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("its code is starter.s assembled, byte for byte", () => {
    const object = join(dir, "starter.o"), code = join(dir, "starter.bin");
    for (const cmd of [["as", "--64", "-o", object, source], ["objcopy", "-O", "binary", "-j", ".text", object, code]]) {
      const r = Bun.spawnSync(cmd);
      expect(r.stderr.toString()).toBe("");
      expect(r.exitCode).toBe(0);
    }
    const assembled = readFileSync(code);
    expect(assembled.length).toBeGreaterThan(300);
    const starter = join(dir, "starter");
    installStarter(starter);
    const written = readFileSync(starter);
    expect(written.subarray(HEADERS).toString("hex")).toBe(assembled.toString("hex"));
    expect(written.readBigUInt64LE(24)).toBe(0x400000n + BigInt(HEADERS)); // the entry is the code's first byte
  });
});

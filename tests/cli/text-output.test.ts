// The CLI's text output (src/cli/stdio.ts TextQueue): written through Bun.write, in order across
// stdout and stderr and with the bytes written after it, all of it even when the reader is slow,
// 141 when the reader of stdout is gone, and an error (not a silent 0) when stdout cannot be written.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { berthCmd } from "../fixtures/daemon.ts";

const root = join(import.meta.dir, "../..");
const script = (body: string) => [
  process.execPath, "-e",
  `import { stdout, stderr, flushed } from ${JSON.stringify(join(root, "src/cli/stdio.ts"))};\n${body}`,
];

test("text and bytes keep their order across stdout and stderr", () => {
  const r = Bun.spawnSync(["sh", "-c", '"$@" 2>&1', "sh", ...script(`
    for (let i = 0; i < 20; i++) (i % 2 ? stderr : stdout).write(i + "\\n");
    stdout.write(Buffer.from("bytes after text\\n")); // queued behind the text, not written ahead of it
    stderr.write("last\\n");
    await flushed();`)]);
  expect(r.exitCode).toBe(0);
  expect(r.stdout.toString()).toBe(Array.from({ length: 20 }, (_, i) => `${i}\n`).join("") + "bytes after text\nlast\n");
});

test("text for a slow reader arrives whole, though nobody awaits it", () => {
  const r = Bun.spawnSync(["sh", "-c", '"$@" | (sleep 0.5; wc -c)', "sh", ...script(`
    for (let i = 0; i < 6; i++) stdout.write("x".repeat(1 << 20));`)]);
  expect(r.stdout.toString().trim()).toBe(String(6 << 20));
});

test("stdout's reader gone while text is queued: the process ends with 141", () => {
  const r = Bun.spawnSync(["bash", "-c", '"$@" | head -c 1 >/dev/null; echo ${PIPESTATUS[0]}', "bash", ...script(`
    for (let i = 0; i < 200; i++) stdout.write("a".repeat(1 << 16));
    await flushed();
    process.exit(3);`)]);
  expect(r.stdout.toString().trim()).toBe("141");
});

test("output that cannot be written is an error with exit 1, not a silent 0", () => {
  // /dev/full answers every write with ENOSPC.
  const r = Bun.spawnSync(["sh", "-c", '"$@" >/dev/full', "sh", ...berthCmd, "--help"], { stdin: "ignore" });
  expect(r.exitCode).toBe(1);
  expect(r.stderr.toString()).toContain("berth: writing the output:");
});

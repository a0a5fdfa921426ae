// The writer exec, run and attach relay a container's output through
// (src/cli/stdio.ts OrderedWriter): Bun.write instead of node:fs, in order
// across stdout and stderr, all of it, and 141 when the reader of stdout is gone.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const script = (body: string) => [
  process.execPath, "-e",
  `import { OrderedWriter, stdout, stderr, flushed } from ${JSON.stringify(join(root, "src/cli/stdio.ts"))};\nconst w = new OrderedWriter();\n${body}`,
];

test("writes keep their order across stdout and stderr, and a large output arrives whole", () => {
  const r = Bun.spawnSync(["sh", "-c", '"$@" 2>&1', "sh", ...script(`
    for (let i = 0; i < 50; i++) w.write(i % 2 ? stderr : stdout, Buffer.from(i + "\\n"));
    w.write(stdout, new Uint8Array(3 << 20).fill(120));
    await flushed();`)]);
  expect(r.exitCode).toBe(0);
  const out = r.stdout.toString();
  expect(out.slice(0, out.indexOf("x"))).toBe(Array.from({ length: 50 }, (_, i) => `${i}\n`).join(""));
  expect(out.length - out.indexOf("x")).toBe(3 << 20);
});

test("stdout's reader gone: the process ends with 141, as a Go program on SIGPIPE", () => {
  const r = Bun.spawnSync(["bash", "-c", '"$@" | head -c 1 >/dev/null; echo ${PIPESTATUS[0]}', "bash", ...script(`
    for (let i = 0; i < 200; i++) { w.write(stdout, new Uint8Array(1 << 16).fill(97)); await w.ready(); }
    process.exit(3);`)]);
  expect(r.stdout.toString().trim()).toBe("141");
});

test("into a file, writes follow each other (and >> appends), not each at offset 0", () => {
  const dir = mkdtempSync("/tmp/berth-test-writer-");
  try {
    const file = join(dir, "out");
    writeFileSync(file, "before\n");
    const r = Bun.spawnSync(["sh", "-c", '"$@" >> "$0"', file, ...script(`
      for (const l of ["one\\n", "two\\n", "three\\n"]) { w.write(stdout, Buffer.from(l)); await flushed(); }`)]);
    expect(r.exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("before\none\ntwo\nthree\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { helloWorldImageConfig, helloWorldMessage, helloWorldProgram } from "../../src/image/hello-world/program.ts";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync("/tmp/berth-test-hello-");
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function writeExecutable(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  chmodSync(path, 0o755);
  return path;
}

/** Cannot run: say why, and fail under CI where the tool is installed by scripts/test. */
function cannotRun(why: string): void {
  if (process.env.CI === "true") throw new Error(why);
  console.warn(`skipped: ${why}`);
}

interface ElfFacts {
  machine: number;
  entry: bigint;
  loads: { offset: bigint; vaddr: bigint; filesz: bigint; memsz: bigint; align: bigint; flags: number }[];
  phnum: number;
}

function parseElf(b: Uint8Array): ElfFacts {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  expect([...b.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
  expect(b[4]).toBe(2); // ELFCLASS64
  expect(b[5]).toBe(1); // little-endian
  expect(b[6]).toBe(1); // EV_CURRENT
  expect(v.getUint16(16, true)).toBe(2); // ET_EXEC
  expect(v.getUint32(20, true)).toBe(1);
  expect(v.getUint16(52, true)).toBe(64); // e_ehsize
  expect(v.getUint16(54, true)).toBe(56); // e_phentsize
  const phoff = Number(v.getBigUint64(32, true));
  const phnum = v.getUint16(56, true);
  const loads: ElfFacts["loads"] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * 56;
    if (v.getUint32(p, true) !== 1) continue;
    loads.push({
      flags: v.getUint32(p + 4, true),
      offset: v.getBigUint64(p + 8, true),
      vaddr: v.getBigUint64(p + 16, true),
      filesz: v.getBigUint64(p + 32, true),
      memsz: v.getBigUint64(p + 40, true),
      align: v.getBigUint64(p + 48, true),
    });
  }
  return { machine: v.getUint16(18, true), entry: v.getBigUint64(24, true), loads, phnum };
}

function checkLayout(bytes: Uint8Array, machine: number, align: bigint): void {
  const elf = parseElf(bytes);
  expect(elf.machine).toBe(machine);
  expect(elf.loads.length).toBe(1);
  const load = elf.loads[0]!;
  expect(load.offset).toBe(0n);
  expect(load.align).toBe(align);
  expect(load.vaddr % align).toBe(0n);
  expect(load.filesz).toBe(BigInt(bytes.length));
  expect(load.memsz).toBe(load.filesz);
  expect(load.flags & 5).toBe(5); // R and X
  expect(load.flags & 2).toBe(0); // not writable
  // Entry lies inside the mapped file, past the headers.
  expect(elf.entry).toBeGreaterThanOrEqual(load.vaddr + 64n + BigInt(elf.phnum) * 56n);
  expect(elf.entry).toBeLessThan(load.vaddr + load.filesz);
  // The message sits in the file verbatim.
  expect(Buffer.from(bytes).includes(Buffer.from(helloWorldMessage))).toBe(true);
}

describe("hello-world message", () => {
  test("tells the story in berth's words and suggests next steps", () => {
    expect(helloWorldMessage).toContain("Hello from berth!");
    for (const s of ["client", "daemon", "local store", "namespaces", "overlay", "PID 1", "terminal"]) {
      expect(helloWorldMessage).toContain(s);
    }
    for (const cmd of ["berth run -it busybox sh", "berth images", "berth ps -a"]) expect(helloWorldMessage).toContain(cmd);
    expect(helloWorldMessage).not.toContain("Docker");
    expect(helloWorldMessage.endsWith("\n")).toBe(true);
  });
});

describe("amd64 program", () => {
  const bytes = helloWorldProgram("amd64");

  test("is a small static x86_64 ELF with one PT_LOAD", () => {
    expect(bytes.length).toBeLessThan(4096);
    checkLayout(bytes, 62, 0x1000n);
  });

  test("runs on this host: prints the message and exits 0", () => {
    if (process.arch !== "x64") return cannotRun(`host is ${process.arch}, cannot run an x86_64 binary natively`);
    const path = writeExecutable("hello-amd64", bytes);
    const r = Bun.spawnSync([path], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe(helloWorldMessage);
    expect(r.stderr.length).toBe(0);
  });

  test("exits 1 when stdout is closed", () => {
    if (process.arch !== "x64") return cannotRun(`host is ${process.arch}`);
    const path = writeExecutable("hello-amd64-closed", bytes);
    const r = Bun.spawnSync(["sh", "-c", `"${path}" >&-`]);
    expect(r.exitCode).toBe(1);
  });

  test("loops over short writes (a long message through a pipe)", () => {
    if (process.arch !== "x64") return cannotRun(`host is ${process.arch}`);
    const long = "berth ".repeat(20000) + "\n"; // 120 kB: more than one pipe buffer
    const path = writeExecutable("hello-amd64-long", helloWorldProgram("amd64", long));
    const r = Bun.spawnSync([path], { stdout: "pipe" });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe(long);
  });
});

describe("arm64 program", () => {
  const bytes = helloWorldProgram("arm64");

  test("is a small static aarch64 ELF with one PT_LOAD, code word-aligned", () => {
    expect(bytes.length).toBeLessThan(4096);
    checkLayout(bytes, 183, 0x10000n);
    expect(parseElf(bytes).entry % 4n).toBe(0n);
  });

  test("runs under qemu-aarch64: same output, exit 0", () => {
    const qemu = Bun.which("qemu-aarch64-static") ?? Bun.which("qemu-aarch64");
    if (!qemu) return cannotRun("qemu-aarch64 not found: install Debian's qemu-user (scripts/test does)");
    const path = writeExecutable("hello-arm64", bytes);
    const r = Bun.spawnSync([qemu, path], { stdout: "pipe", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe(helloWorldMessage);
    const closed = Bun.spawnSync(["sh", "-c", `"${qemu}" "${path}" >&-`]);
    expect(closed.exitCode).toBe(1);
  });
});

describe("image config", () => {
  test("amd64 and arm64 skeletons", () => {
    for (const arch of ["amd64", "arm64"] as const) {
      const c = helloWorldImageConfig(arch);
      expect(c.architecture).toBe(arch);
      expect(c.os).toBe("linux");
      expect(c.config?.Cmd).toEqual(["/hello"]);
      expect(c.config?.Env?.some((e) => e.startsWith("PATH=/"))).toBe(true);
      expect(c.rootfs).toEqual({ type: "layers", diff_ids: [] });
      expect(c.history?.filter((h) => !h.empty_layer).length).toBe(1);
      expect(Date.parse(c.created!)).not.toBeNaN();
    }
    expect(helloWorldImageConfig("arm64").variant).toBe("v8");
    // Stable: the same config every time, so the image ID never changes.
    expect(JSON.stringify(helloWorldImageConfig("amd64"))).toBe(JSON.stringify(helloWorldImageConfig("amd64")));
  });
});

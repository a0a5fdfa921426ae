// The shim's json-file writer: records, and rotation by max-size / max-file.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { LogWriter } from "../../src/runtime/shim/log.ts";
import { logRotation } from "../../src/daemon/containers/log-config.ts";

const dir = mkdtempSync("/tmp/berth-log-writer-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = new TextEncoder();
const logs = (path: string) => readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).log as string);

describe("LogWriter", () => {
  test("one record per line, partial lines held until their newline", () => {
    const path = join(dir, "plain.log");
    const w = new LogWriter(path);
    w.write("stdout", enc.encode("a\nb"));
    w.write("stderr", enc.encode("err\n"));
    w.write("stdout", enc.encode("c\n"));
    w.flush();
    expect(logs(path)).toEqual(["a\n", "err\n", "bc\n"]);
  });

  test("with max-file 1 the old file goes; no file passes max-size", () => {
    const path = join(dir, "one.log");
    const w = new LogWriter(path, { maxSize: 300, maxFiles: 1 });
    for (let i = 0; i < 40; i++) w.write("stdout", enc.encode(`line${i}\n`));
    w.flush();
    expect(existsSync(`${path}.1`)).toBe(false);
    expect(readFileSync(path).length).toBeLessThanOrEqual(300);
    expect(logs(path).at(-1)).toBe("line39\n");
  });

  test("max-file 3 keeps two rotated files, newest in .1; a record larger than max-size goes whole into a file of its own", () => {
    const path = join(dir, "three.log");
    const w = new LogWriter(path, { maxSize: 200, maxFiles: 3 });
    for (let i = 0; i < 30; i++) w.write("stdout", enc.encode(`l${i}\n`));
    const big = "x".repeat(500) + "\n";
    w.write("stdout", enc.encode(big));
    w.write("stdout", enc.encode("after\n"));
    w.flush();
    expect(logs(path)).toEqual(["after\n"]);
    expect(logs(`${path}.1`)).toEqual([big]);
    expect(logs(`${path}.2`).at(-1)).toBe("l29\n");
    expect(existsSync(`${path}.3`)).toBe(false);
  });

  test("with compress the rotated files are gzipped, newest in .1.gz", () => {
    const path = join(dir, "gz.log");
    const w = new LogWriter(path, { maxSize: 200, maxFiles: 3, compress: true });
    for (let i = 0; i < 30; i++) w.write("stdout", enc.encode(`l${i}\n`));
    w.flush();
    const gunzipped = (f: string) => Buffer.from(Bun.gunzipSync(readFileSync(f))).toString().split("\n").filter(Boolean).map((l) => JSON.parse(l).log);
    const older = gunzipped(`${path}.2.gz`);
    const newer = gunzipped(`${path}.1.gz`);
    expect(existsSync(`${path}.1`)).toBe(false);
    expect(existsSync(`${path}.3.gz`)).toBe(false);
    const all = [...older, ...newer, ...logs(path)];
    const first = Number(all[0].slice(1, -1));
    expect(all).toEqual(Array.from({ length: 30 - first }, (_, k) => `l${first + k}\n`));
  });
});

describe("json-file rotation options", () => {
  test("sizes read as dockerd's FromHumanSize does (decimal units)", () => {
    expect(logRotation({ "max-size": "10m" })).toEqual({ maxSize: 10_000_000, maxFiles: 1, compress: false });
    expect(logRotation({ "max-size": "1.5k", "max-file": "4", compress: "true" })).toEqual({ maxSize: 1500, maxFiles: 4, compress: true });
    expect(logRotation({ "max-size": "2KiB" }).maxSize).toBe(2000);
    expect(logRotation({})).toEqual({ maxSize: undefined, maxFiles: 1, compress: false });
  });

  test("bad values get dockerd's messages", () => {
    expect(() => logRotation({ "max-size": "ten" })).toThrow("invalid size: 'ten'");
    expect(() => logRotation({ "max-size": "0" })).toThrow("max-size must be a positive number");
    expect(() => logRotation({ "max-file": "x" })).toThrow('strconv.Atoi: parsing "x": invalid syntax');
    expect(() => logRotation({ "max-file": "0" })).toThrow("max-file cannot be less than 1");
    expect(() => logRotation({ "max-size": "1k", compress: "true" })).toThrow("compress cannot be true when max-file is less than 2 or max-size is not set");
    expect(() => logRotation({ "max-size": "1k", "max-file": "2", compress: "maybe" })).toThrow('strconv.ParseBool: parsing "maybe": invalid syntax');
  });
});

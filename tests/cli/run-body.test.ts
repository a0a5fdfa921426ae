// What `berth run`/`create` send, built from the flags without a daemon: the
// files the CLI reads itself (--env-file, seccomp=FILE), now loaded only when
// named, and the terminal size, which only -t asks the terminal for.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseFlags } from "../../src/cli/flags.ts";
import { containerConfigFlags, createBody } from "../../src/cli/commands/run-flags.ts";

const tmp = mkdtempSync("/tmp/berth-test-run-body-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const body = (argv: string[]) => {
  const p = parseFlags(argv, containerConfigFlags, true);
  return createBody(p.flags, p.args) as Record<string, any>;
};

test("--env-file lines and a seccomp profile file are read and sent", () => {
  const env = join(tmp, "env");
  writeFileSync(env, "# comment\nA=1\n\nB=two words\n");
  const profile = join(tmp, "profile.json");
  writeFileSync(profile, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW" }, null, 2));
  const b = body(["--env-file", env, "-e", "C=3", "--security-opt", `seccomp=${profile}`, "busybox", "true"]);
  expect(b.Env).toEqual(["A=1", "B=two words", "C=3"]);
  expect(b.HostConfig.SecurityOpt).toEqual([`seccomp=${JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW" })}`]);
  expect(() => body(["--env-file", join(tmp, "missing"), "busybox"])).toThrow(/ENOENT|no such file/i);
});

test("without -t the console size is docker's zero size, not the terminal's", () => {
  expect(body(["busybox", "true"]).HostConfig.ConsoleSize).toEqual([0, 0]);
});

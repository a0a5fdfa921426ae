// A column in local time (images' and history's CreatedAt) wakes ICU's time zone data: ~450 page
// faults and ~10 ms of a CLI process that prints a table without it. It is computed only when a
// format shows it. ICU finds the host's zone by reading the /etc/localtime link, which strace sees.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, busyboxDaemonForFile } from "../fixtures/daemon.ts";

const daemon = busyboxDaemonForFile();

/** Runs the CLI under strace; true when it looked up the host's time zone. */
function readsTimeZone(args: string[]): { out: string; tz: boolean } {
  const dir = mkdtempSync("/tmp/berth-test-tz-");
  try {
    const log = join(dir, "strace.log");
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.TZ; // with TZ set, ICU takes the zone from it and never reads the link
    const r = Bun.spawnSync(["strace", "-f", "-e", "trace=readlink,readlinkat", "-o", log, ...berthCmd, "-H", daemon.d.host, ...args], { env, stdin: "ignore" });
    expect(r.exitCode).toBe(0);
    return { out: r.stdout.toString(), tz: /readlink(at)?\([^)]*"\/etc\/localtime"/.test(readFileSync(log, "utf8")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function straceUnavailable(): string | undefined {
  if (Bun.spawnSync(["strace", "-V"], { stdout: "ignore", stderr: "ignore" }).exitCode !== 0) return "strace is not installed";
  return undefined;
}

test("images and history compute their local-time CreatedAt only when the format shows it", () => {
  if (!daemon.ok) return;
  const why = straceUnavailable();
  if (why) {
    if (process.env.CI === "true") throw new Error(why);
    return console.warn(`skipping: ${why}`);
  }
  // The control: a format that shows the column does read the zone, so its absence below means something.
  const shown = readsTimeZone(["images", "--format", "{{.Repository}} {{.CreatedAt}}"]);
  expect(shown.out).toMatch(/^busybox \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$/m);
  if (!shown.tz) {
    const why = "this host's time zone is not found through /etc/localtime (not a link?)";
    if (process.env.CI === "true") throw new Error(why);
    return console.warn(`skipping: ${why}`);
  }
  for (const args of [["images"], ["images", "-q"], ["images", "--format", "{{.ID}} {{.CreatedSince}}"], ["history", "busybox"]]) {
    const r = readsTimeZone(args);
    expect(r.out).not.toBe("");
    expect({ args, tz: r.tz }).toEqual({ args, tz: false });
  }
  expect(readsTimeZone(["history", "--format", "{{.CreatedAt}}", "busybox"]).tz).toBe(true);
  // {{json .}} has every field, the computed one included, in the same place.
  const json = JSON.parse(readsTimeZone(["images", "--format", "{{json .}}", "busybox"]).out);
  expect(json.CreatedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$/);
});

test("ps's CreatedAt is docker's, Go's time.String() in local time, and computed only when a format shows it", async () => {
  if (!daemon.ok) return;
  const why = straceUnavailable();
  if (why) {
    if (process.env.CI === "true") throw new Error(why);
    return console.warn(`skipping: ${why}`);
  }
  const created = await daemon.d.cli(["create", "--name", "lazy-created-at", "busybox", "true"]);
  expect(created.code).toBe(0);
  const shown = readsTimeZone(["ps", "-a", "--filter", "name=lazy-created-at", "--format", "{{.CreatedAt}}"]);
  expect(shown.out).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+\n$/); // was an ISO string
  expect(shown.tz).toBe(true);
  expect(readsTimeZone(["ps", "-a"]).tz).toBe(false);
  // The docker CLI against the same daemon prints the same.
  const docker = Bun.which("docker") ?? "/usr/local/bin/docker";
  const d = Bun.spawnSync([docker, "ps", "-a", "--filter", "name=lazy-created-at", "--format", "{{.CreatedAt}}"], { env: { ...process.env, DOCKER_HOST: daemon.d.host }, stdin: "ignore" });
  if (d.exitCode !== 0 || !d.stdout.length) {
    const why = `the docker CLI did not run: ${d.stderr?.toString().slice(0, 200)}`;
    if (process.env.CI === "true") throw new Error(why);
    return console.warn(`skipping the comparison: ${why}`);
  }
  expect(shown.out).toBe(d.stdout.toString());
});

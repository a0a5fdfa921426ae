// The prunes' filters as dockerd takes them: until (a time or a duration before now), label and
// label!, and no other key; a bad until in dockerd's words.
import { describe, expect, test } from "bun:test";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";
import { timestampSeconds } from "../../src/shared/timestamp.ts";

const f = busyboxDaemonForFile();

test("a timestamp is Unix seconds, an RFC 3339 date or a Go duration before now", () => {
  const now = Date.parse("2026-06-01T12:00:00Z");
  expect(timestampSeconds("1700000000.5", now)).toBe(1700000000.5);
  expect(timestampSeconds("90m", now)).toBe(now / 1000 - 5400);
  expect(timestampSeconds("1h30m", now)).toBe(now / 1000 - 5400);
  expect(timestampSeconds("2026-01-01T00:00:00Z", now)).toBe(Date.parse("2026-01-01T00:00:00Z") / 1000);
  expect(() => timestampSeconds("whenever", now)).toThrow('failed to parse value as time or duration: "whenever"');
});

describe.if(f.ok)("prune filters", () => {
  const names = async () => (await f.d.cli(["ps", "-a", "--format", "{{.Names}}"])).stdout.trim().split("\n").filter(Boolean).sort();

  test("container prune: until, label and label! choose what goes; other keys and a bad until are refused", async () => {
    for (const [name, label] of [["old-keep", "keep=1"], ["old-tmp", "tmp=1"], ["old-plain", "x=1"]]) {
      expect((await f.d.cli(["create", "--name", name!, "--label", label!, "busybox", "true"])).code).toBe(0);
    }
    await Bun.sleep(1100);
    const cut = Math.floor(Date.now() / 1000);
    await Bun.sleep(1100);
    expect((await f.d.cli(["create", "--name", "new-tmp", "--label", "tmp=1", "busybox", "true"])).code).toBe(0);

    const refused = await f.d.cli(["container", "prune", "-f", "--filter", "status=exited"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("invalid filter 'status'");
    const bad = await f.d.cli(["container", "prune", "-f", "--filter", "until=whenever"]);
    expect(bad.stderr).toContain('failed to parse value as time or duration: "whenever"');
    const two = await f.d.cli(["container", "prune", "-f", "--filter", "until=1h", "--filter", "until=2h"]);
    expect(two.stderr).toContain("more than one until filter specified");
    expect(await names()).toEqual(["new-tmp", "old-keep", "old-plain", "old-tmp"]);

    // Created before the cut and labelled tmp: only old-tmp.
    const r = await f.d.cli(["container", "prune", "-f", "--filter", `until=${cut}`, "--filter", "label=tmp"]);
    expect(r.code).toBe(0);
    expect(await names()).toEqual(["new-tmp", "old-keep", "old-plain"]);
    // A duration: everything older than 1 s, but not what is labelled keep.
    await Bun.sleep(1100);
    expect((await f.d.cli(["container", "prune", "-f", "--filter", "until=1s", "--filter", "label!=keep"])).code).toBe(0);
    expect(await names()).toEqual(["old-keep"]);
    expect((await f.d.cli(["rm", "old-keep"])).code).toBe(0);
  });

  test("network prune honours until and labels", async () => {
    expect((await f.d.cli(["network", "create", "--label", "tmp=1", "net-old"])).code).toBe(0);
    await Bun.sleep(1100);
    const cut = Math.floor(Date.now() / 1000);
    await Bun.sleep(1100);
    expect((await f.d.cli(["network", "create", "--label", "tmp=1", "net-new"])).code).toBe(0);
    expect((await f.d.cli(["network", "prune", "-f", "--filter", `until=${cut}`])).stdout).toContain("net-old");
    const left = (await f.d.cli(["network", "ls", "--format", "{{.Name}}"])).stdout;
    expect(left).toContain("net-new");
    expect(left).not.toContain("net-old");
    expect((await f.d.cli(["network", "prune", "-f", "--filter", "label!=tmp"])).stdout).not.toContain("net-new");
    expect((await f.d.cli(["network", "prune", "-f", "--filter", "label=tmp"])).stdout).toContain("net-new");
  });
});

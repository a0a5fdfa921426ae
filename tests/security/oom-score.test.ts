// The OOM killer's order, as Docker sets it: the daemon at --oom-score-adjust
// (-500 by default, or "oom-score-adjust" in daemon.json), each shim at its
// daemon's plus one (containerd's shims), and a container's processes — its
// first, an --init's child, an exec — at the container's own OomScoreAdj
// (0 by default), never at the lowered score of the shim they come from.
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxDaemonForFile, startDaemon } from "../fixtures/daemon.ts";
import { daemonJsonFile } from "../fixtures/daemon-config.ts";

const score = (pid: number | string) => readFileSync(`/proc/${pid}/oom_score_adj`, "utf8").trim();
const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[1]);
/** Lowering a score takes CAP_SYS_RESOURCE (bit 24), which some hosts withhold even from root (this sandbox does); raising one never does. */
const canLower = (BigInt(`0x${readFileSync("/proc/self/status", "utf8").match(/^CapEff:\s*([0-9a-f]+)/m)![1]}`) >> 24n) & 1n;
const childrenOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);

describe("daemon config: oom-score-adjust", () => {
  const { file, cfg } = daemonJsonFile("oom-config");

  test("-500 unless the flag or daemon.json says otherwise, within the kernel's range", () => {
    writeFileSync(file, "{}");
    expect(cfg([]).oomScoreAdjust).toBe(-500);
    expect(cfg(["--oom-score-adjust", "-300"]).oomScoreAdjust).toBe(-300);
    expect(cfg(["--oom-score-adjust=0"]).oomScoreAdjust).toBe(0);
    expect(() => cfg(["--oom-score-adjust", "-1001"])).toThrow("invalid oom-score-adjust: -1001 (an integer from -1000 to 1000)");
    writeFileSync(file, JSON.stringify({ "oom-score-adjust": -200 }));
    expect(cfg([]).oomScoreAdjust).toBe(-200);
    expect(() => cfg(["--oom-score-adjust", "-100"])).toThrow("oom-score-adjust: (from flag: -100, from file: -200)");
    writeFileSync(file, JSON.stringify({ "oom-score-adjust": "-200" }));
    expect(() => cfg([])).toThrow('"oom-score-adjust" must be an integer');
  });
});

const f = busyboxDaemonForFile();

describe.if(f.ok)("oom_score_adj of the engine and of containers", () => {
  const runDetached = async (d: typeof f.d, flags: string[]) => {
    const r = await d.cli(["run", "-d", ...flags, "busybox", "sleep", "600"]);
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    const pid = Number((await d.cli(["inspect", "-f", "{{.State.Pid}}", id])).stdout.trim());
    expect(pid).toBeGreaterThan(0);
    return { id, pid };
  };

  test("daemon -500, its shim -499, a container's first process and an exec 0", async () => {
    const d = f.d;
    // Without the right to lower it, the daemon keeps the score it was started with (this process's), as dockerd does.
    const daemon = canLower ? -500 : Number(score(process.pid));
    expect(score(d.pid)).toBe(String(daemon));
    const { id, pid } = await runDetached(d, []);
    try {
      const shim = parentOf(pid);
      expect(readFileSync(`/proc/${shim}/cmdline`, "utf8")).toContain("__shim");
      expect(score(shim)).toBe(String(daemon + 1));
      expect(score(pid)).toBe("0");
      const exec = await d.cli(["exec", id, "cat", "/proc/self/oom_score_adj"]);
      expect([exec.code, exec.stdout]).toEqual([0, "0\n"]);
      const execTty = await d.cli(["exec", "-t", id, "cat", "/proc/self/oom_score_adj"]);
      expect([execTty.code, execTty.stdout.trim()]).toEqual([0, "0"]);
    } finally {
      await d.cli(["rm", "-f", id]);
    }
  });

  test("--oom-score-adj is the container's first process's, an exec's, and under --init its program's", async () => {
    const d = f.d;
    const { id, pid } = await runDetached(d, ["--oom-score-adj", "300"]);
    const init = await runDetached(d, ["--init", "--oom-score-adj", "200"]);
    try {
      expect(score(pid)).toBe("300");
      expect((await d.cli(["exec", id, "cat", "/proc/self/oom_score_adj"])).stdout).toBe("300\n");
      expect(score(init.pid)).toBe("200");
      const [program] = childrenOf(init.pid);
      expect(readFileSync(`/proc/${program}/cmdline`, "utf8").split("\0")[0]).toBe("sleep");
      expect(score(program!)).toBe("200");
    } finally {
      await d.cli(["rm", "-f", id, init.id]);
    }
  });

  // A raised score is what any host allows: it shows the shim's score and the containers' own on every host.
  test("a daemon started with --oom-score-adjust=300: its shims 301, its containers and execs their own", async () => {
    const other = await startDaemon({ args: ["--oom-score-adjust=300"] });
    try {
      expect(score(other.pid)).toBe("300");
      expect((await other.cli(["import", join(f.d.dir, "busybox.tar"), "busybox"])).code).toBe(0);
      const { id, pid } = await runDetached(other, []);
      expect(score(parentOf(pid))).toBe("301");
      expect(score(pid)).toBe("0");
      expect((await other.cli(["exec", id, "cat", "/proc/self/oom_score_adj"])).stdout).toBe("0\n");
      const raised = await runDetached(other, ["--oom-score-adj", "500"]);
      expect(score(raised.pid)).toBe("500");
      expect((await other.cli(["exec", raised.id, "cat", "/proc/self/oom_score_adj"])).stdout).toBe("500\n");
    } finally {
      await other.stop();
    }
  });
});

// Containers share shims (src/runtime/shim/group.ts): a shim runs ten at most; one
// container's end, kill or removal leaves the others of its shim as they were; a shim that
// dies takes its own containers along (each reported as exited 137), and no other shim's; a
// start with binds takes only a shim whose prepared stage 2 sees their sources as they are.
// Starts that come at once land in one shim, which makes them side by side; one that fails
// there leaves the others running.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";

const daemon = busyboxDaemonForFile();

const parentOf = (pid: number) => Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);

function alive(pid: number): boolean {
  try {
    return !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

describe.if(daemon.ok)("shims shared by containers", () => {
  /** Container ID → its shim's PID. */
  const shimOf = new Map<string, number>();

  test("twelve detached containers share a few shims, ten at most in one", async () => {
    const d = daemon.d;
    for (let i = 0; i < 12; i++) {
      const r = await d.cli(["run", "-d", "busybox", "sh", "-c", `echo up-${i}; exec sleep 300`]);
      expect(r.code).toBe(0);
      const id = r.stdout.trim();
      const pid = Number((await d.cli(["inspect", "-f", "{{.State.Pid}}", id])).stdout.trim());
      shimOf.set(id, parentOf(pid));
    }
    const counts = new Map<number, number>();
    for (const shim of shimOf.values()) counts.set(shim, (counts.get(shim) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(10);
    // One shim each would be twelve; the daemon keeps at most four waiting for work.
    expect(counts.size).toBeLessThanOrEqual(5);
    for (const shim of counts.keys()) expect(readFileSync(`/proc/${shim}/cmdline`, "utf8")).toContain("__shim");
  });

  test("one container's exit, kill and removal leave the others of its shim running, their logs and exec working", async () => {
    const d = daemon.d;
    const byShim = new Map<number, string[]>();
    for (const [id, shim] of shimOf) byShim.set(shim, [...(byShim.get(shim) ?? []), id]);
    const [shim, ids] = [...byShim].sort((a, b) => b[1].length - a[1].length)[0]!;
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const [killed, stopped, kept] = ids as [string, string, string];
    expect((await d.cli(["kill", killed])).code).toBe(0);
    expect((await d.cli(["wait", killed])).stdout.trim()).toBe("137");
    expect((await d.cli(["stop", "-t", "0", stopped])).code).toBe(0);
    expect((await d.cli(["rm", "-f", killed, stopped])).code).toBe(0);
    shimOf.delete(killed);
    shimOf.delete(stopped);
    expect(alive(shim)).toBe(true);
    for (const id of ids.slice(2)) expect((await d.cli(["inspect", "-f", "{{.State.Status}}", id])).stdout.trim()).toBe("running");
    expect((await d.cli(["exec", kept, "echo", "still"])).stdout).toBe("still\n");
    const i = (await d.cli(["inspect", "-f", "{{.Config.Cmd}}", kept])).stdout.match(/up-(\d+)/)![1];
    expect((await d.cli(["logs", kept])).stdout).toBe(`up-${i}\n`);
  });

  test("a shim killed takes its own containers along, each exited 137, and no other shim's", async () => {
    const d = daemon.d;
    const shims = [...new Set(shimOf.values())];
    expect(shims.length).toBeGreaterThanOrEqual(2); // twelve, ten at most in one
    // The one with room has prepared its next stage 2, listening under the standby's name: that socket goes with the shim.
    const standbySocket = (pid: number) => join(d.dir, "exec", "s", `standby-${pid}.sock`);
    for (const end = Date.now() + 15_000; Date.now() < end && !shims.some((s) => existsSync(standbySocket(s))); ) await Bun.sleep(20);
    const victim = shims.find((s) => existsSync(standbySocket(s)))!;
    expect(victim).toBeDefined();
    const others = shims.filter((s) => s !== victim);
    const lost = [...shimOf].filter(([, s]) => s === victim).map(([id]) => id);
    const kept = [...shimOf].filter(([, s]) => s !== victim).map(([id]) => id);
    process.kill(victim, "SIGKILL");
    for (const end = Date.now() + 15_000; Date.now() < end && alive(victim); ) await Bun.sleep(20);
    for (const id of lost) {
      let st = "";
      for (const end = Date.now() + 15_000; Date.now() < end && st !== "exited 137"; await Bun.sleep(50)) st = (await d.cli(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id])).stdout.trim();
      expect(st).toBe("exited 137");
    }
    for (const id of kept) expect((await d.cli(["inspect", "-f", "{{.State.Status}}", id])).stdout.trim()).toBe("running");
    for (const s of others) expect(alive(s)).toBe(true);
    for (const end = Date.now() + 15_000; Date.now() < end && existsSync(standbySocket(victim)); ) await Bun.sleep(20);
    expect(existsSync(standbySocket(victim))).toBe(false);
    expect((await d.cli(["rm", "-f", ...shimOf.keys()])).code).toBe(0);
  });

  test("a bind whose source got a mount after a shim prepared its stage 2 shows that mount: the start does not use that stage 2", async () => {
    const d = daemon.d;
    const src = join(d.dir, "bind-src");
    mkdirSync(join(src, "sub"), { recursive: true });
    // A shim waits with its stage 2 prepared (its mount namespace copied) before the mount below.
    // (The shim killed above may have been the one waiting: a start makes the daemon keep one again.)
    expect((await d.cli(["run", "--rm", "busybox", "true"])).code).toBe(0);
    const waiting = () => readdirSync(join(d.dir, "exec", "s")).some((n) => /^standby-\d+\.sock$/.test(n));
    for (const end = Date.now() + 15_000; Date.now() < end && !waiting(); ) await Bun.sleep(20);
    expect(waiting()).toBe(true);
    expect(Bun.spawnSync(["mount", "-t", "tmpfs", "tmpfs", join(src, "sub")]).exitCode).toBe(0);
    try {
      writeFileSync(join(src, "sub", "f"), "fresh\n");
      const r = await d.cli(["run", "--rm", "-v", `${src}:/x`, "busybox", "cat", "/x/sub/f"]);
      expect(r.stdout).toBe("fresh\n");
      // And again, from the shim that took it (it prepared its next stage 2 after the mount).
      await Bun.sleep(500);
      expect((await d.cli(["run", "--rm", "-v", `${src}:/x`, "busybox", "cat", "/x/sub/f"])).stdout).toBe("fresh\n");
    } finally {
      Bun.spawnSync(["umount", "-l", join(src, "sub")]);
    }
  });

  test("ten starts at once land in one shim, side by side; the one that fails leaves the nine others running", async () => {
    const d = daemon.d;
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const cmd = i === 4 ? ["/no/such/program"] : ["sleep", "300"];
      const r = await d.cli(["create", "busybox", ...cmd]);
      expect(r.code).toBe(0);
      ids.push(r.stdout.trim());
    }
    // A pause without starts brings the daemon back to one waiting shim (standbyIdleMs), its stage 2 prepared.
    expect((await d.cli(["run", "--rm", "busybox", "true"])).code).toBe(0);
    const waiting = () => readdirSync(join(d.dir, "exec", "s")).filter((n) => /^standby-\d+\.sock$/.test(n)).length;
    await Bun.sleep(1500);
    for (const end = Date.now() + 15_000; Date.now() < end && waiting() !== 1; ) await Bun.sleep(50);
    expect(waiting()).toBe(1);
    const starts = await Promise.all(ids.map((id) => fetch(`http://localhost/containers/${id}/start`, { method: "POST", unix: d.socket } as RequestInit)));
    const bad = ids[4]!;
    for (const [i, r] of starts.entries()) expect([i, r.status < 300]).toEqual([i, ids[i] !== bad]);
    expect(await starts[4]!.text()).toContain("/no/such/program");
    const good = ids.filter((id) => id !== bad);
    const shims = new Set<number>();
    for (const id of good) {
      const [status, pid] = (await d.cli(["inspect", "-f", "{{.State.Status}} {{.State.Pid}}", id])).stdout.trim().split(" ");
      expect(status).toBe("running");
      shims.add(parentOf(Number(pid)));
    }
    // One shim process for the nine (the tenth start was given to it too, and failed there).
    expect(shims.size).toBe(1);
    const [shim] = shims as unknown as [number];
    expect(readFileSync(`/proc/${shim}/cmdline`, "utf8")).toContain("--standby");
    expect((await d.cli(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", bad])).stdout.trim()).toMatch(/^(created|exited) 127$/);
    expect((await d.cli(["exec", good[8]!, "echo", "still"])).stdout).toBe("still\n");
    expect((await d.cli(["rm", "-f", ...ids])).code).toBe(0);
  });
});

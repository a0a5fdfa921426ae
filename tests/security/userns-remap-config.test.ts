// --userns-remap's value: who is remapped (dockerd's lookups and messages), the
// `default` user made in /etc files as dockerd makes dockremap (here in a
// private copy of /etc), and a daemon that stops before making anything when
// the value cannot work.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, requireDaemon } from "../fixtures/daemon.ts";
import { resolveRemap } from "../../src/runtime/userns/remap.ts";
import { addRemapUser } from "../../src/runtime/userns/remap-user.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function etcWith(files: Record<string, string>): string {
  const etc = mkdtempSync("/tmp/berth-userns-etc-");
  dirs.push(etc);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(etc, name), text);
  return etc;
}

const basePasswd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbob:x:1000:1000::/home/bob:/bin/sh\n";
const baseGroup = "root:x:0:\ndaemon:x:1:\nbob:x:1000:\nstaff:x:50:\n";

describe("resolving --userns-remap", () => {
  test("default makes berth-remap: a system user and group, 65536 ids past the ranges already given", () => {
    const etc = etcWith({
      passwd: basePasswd, group: baseGroup, shadow: "root:*:1::::::\n", gshadow: "root:*::\n",
      subuid: "bob:100000:65536\n", subgid: "bob:100000:100000\n",
    });
    chmodSync(join(etc, "shadow"), 0o640);
    const r = resolveRemap("default", etc)!;
    expect(r.user).toBe("berth-remap");
    expect(r.group).toBe("berth-remap");
    // Each file finds its own free start, as dockerd does for uids and gids.
    expect(r.uidMap).toEqual([{ containerId: 0, hostId: 165536, size: 65536 }]);
    expect(r.gidMap).toEqual([{ containerId: 0, hostId: 200000, size: 65536 }]);
    const passwd = readFileSync(join(etc, "passwd"), "utf8").trim().split("\n");
    expect(passwd.slice(0, 3).join("\n") + "\n").toBe(basePasswd);
    expect(passwd[3]).toBe("berth-remap:x:999:999::/nonexistent:/bin/false");
    expect(readFileSync(join(etc, "group"), "utf8")).toEndWith("berth-remap:x:999:\n");
    expect(readFileSync(join(etc, "shadow"), "utf8")).toMatch(/\nberth-remap:!:\d+::::::\n$/);
    expect(readFileSync(join(etc, "gshadow"), "utf8")).toEndWith("berth-remap:!::\n");
    expect(statSync(join(etc, "shadow")).mode & 0o777).toBe(0o640);
    // No lock left behind; a second resolve finds the user and changes nothing.
    for (const f of ["passwd", "group", "shadow", "gshadow", "subuid", "subgid"]) expect(existsSync(join(etc, `${f}.lock`))).toBe(false);
    const before = ["passwd", "group", "subuid", "subgid"].map((f) => readFileSync(join(etc, f), "utf8"));
    expect(resolveRemap("default", etc)).toEqual(r);
    expect(["passwd", "group", "subuid", "subgid"].map((f) => readFileSync(join(etc, f), "utf8"))).toEqual(before);
  });

  test("a file locked by another editor (shadow-utils' FILE.lock) stops the edit: nothing written", () => {
    const etc = etcWith({ passwd: basePasswd, group: baseGroup, "passwd.lock": "123\n" });
    expect(() => addRemapUser("berth-remap", etc)).toThrow(/cannot lock .*passwd/);
    expect(readFileSync(join(etc, "passwd"), "utf8")).toBe(basePasswd);
  });

  test("users, groups, numbers and several ranges, with dockerd's messages", () => {
    const etc = etcWith({ passwd: basePasswd, group: baseGroup, subuid: "bob:200000:1000\n1000:300000:500\n", subgid: "staff:400000:65536\n" });
    expect(resolveRemap("bob:staff", etc)).toEqual({
      user: "bob", group: "staff",
      uidMap: [{ containerId: 0, hostId: 200000, size: 1000 }, { containerId: 1000, hostId: 300000, size: 500 }],
      gidMap: [{ containerId: 0, hostId: 400000, size: 65536 }],
    });
    expect(resolveRemap("1000:50", etc)?.user).toBe("bob");
    expect(() => resolveRemap("bob", etc)).toThrow('Can\'t create ID mappings: no subgid ranges found for group "bob"');
    expect(() => resolveRemap("daemon", etc)).toThrow('Can\'t create ID mappings: no subuid ranges found for user "daemon"');
    expect(() => resolveRemap("nobody-here", etc)).toThrow('Error during uid lookup for "nobody-here": user: unknown user nobody-here');
    expect(() => resolveRemap("bob:nogroup", etc)).toThrow('Error during gid lookup for "nogroup": group: unknown group nogroup');
    expect(() => resolveRemap("4242", etc)).toThrow("Uid 4242 has no entry in /etc/passwd: user: unknown userid 4242");
    expect(() => resolveRemap("a:b:c", etc)).toThrow('Invalid user/group specification in --userns-remap: "a:b:c"');
    // dockerd will not remap root to itself: user namespaces stay off.
    expect(resolveRemap("root", etc)).toBeUndefined();
  });
});

describe.if(requireDaemon())("a daemon with an unusable --userns-remap", () => {
  const start = async (args: string[], parentMode = 0o711) => {
    const dir = mkdtempSync("/tmp/berth-userns-bad-");
    dirs.push(dir);
    chmodSync(dir, parentMode);
    const data = join(dir, "data");
    const p = Bun.spawn([...berthCmd, "daemon", "--data-root", data, "--exec-root", join(dir, "exec"), "-H", `unix://${join(dir, "s.sock")}`, "--bridge", "none", "--iptables=false", ...args], {
      stdout: "pipe", stderr: "pipe", cwd: dir,
    });
    const timer = setTimeout(() => p.kill(9), 60_000);
    const [stderr, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    clearTimeout(timer);
    return { code, stderr, made: existsSync(data) || existsSync(join(dir, "exec")), dir };
  };

  test("a user without subordinate ids, an unknown user, a closed path: refused before anything is made", async () => {
    const hasDaemonUser = readFileSync("/etc/passwd", "utf8").split("\n").some((l) => l.startsWith("daemon:"));
    const hasDaemonRanges = ["subuid", "subgid"].some((f) => existsSync(`/etc/${f}`) && readFileSync(`/etc/${f}`, "utf8").split("\n").some((l) => /^(daemon|1):/.test(l)));
    expect([hasDaemonUser, hasDaemonRanges]).toEqual([true, false]);
    const noRanges = await start(["--userns-remap", "daemon"]);
    expect(noRanges.code).not.toBe(0);
    expect(noRanges.stderr).toContain('Can\'t create ID mappings: no subuid ranges found for user "daemon"');
    expect(noRanges.made).toBe(false);

    const unknown = await start(["--userns-remap", "berth-no-such-user"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('Error during uid lookup for "berth-no-such-user": user: unknown user berth-no-such-user');
    expect(unknown.made).toBe(false);

    const conf = mkdtempSync("/tmp/berth-userns-conf-");
    dirs.push(conf);
    writeFileSync(join(conf, "daemon.json"), JSON.stringify({ "userns-remap": "berth-no-such-user" }));
    const fromFile = await start(["--config-file", join(conf, "daemon.json")]);
    expect(fromFile.stderr).toContain('Error during uid lookup for "berth-no-such-user"');
    expect(fromFile.made).toBe(false);

    const closed = await start(["--userns-remap", "default"], 0o700);
    expect(closed.code).not.toBe(0);
    expect(closed.stderr).toContain("restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories");
    expect(closed.made).toBe(false);
  });
});

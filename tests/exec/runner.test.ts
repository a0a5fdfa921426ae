// The exec runner (src/runtime/exec/runner): its committed machine code is
// what runner.s assembles to, and an exec through it behaves as one through
// the TypeScript stage 2 (BERTH_EXEC_STAGE2=typescript), its cross-check:
// same identity, capabilities, limits, seccomp, namespaces, descriptors,
// environment and terminal, and the same failures with the same exit codes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runnerCode } from "../../src/runtime/exec/runner/code.ts";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const source = join(import.meta.dir, "../../src/runtime/exec/runner/runner.s");

test("runner.s assembles to the committed bytes", () => {
  const tools = ["as", "objcopy"].filter((t) => !Bun.which(t));
  if (tools.length) throw new Error(`cannot reassemble runner.s: ${tools.join(", ")} missing (apt-get install binutils)`);
  const dir = mkdtempSync("/tmp/berth-test-runner-");
  try {
    const as = Bun.spawnSync(["as", "--64", "-o", join(dir, "runner.o"), source], { stderr: "pipe" });
    expect(as.stderr.toString()).toBe("");
    const copy = Bun.spawnSync(["objcopy", "-O", "binary", "-j", ".text", join(dir, "runner.o"), join(dir, "runner.bin")], { stderr: "pipe" });
    expect(copy.exitCode).toBe(0);
    expect(readFileSync(join(dir, "runner.bin")).toString("hex")).toBe(runnerCode.toString("hex"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A host directory the container does not have, holding a program: an exec's look-ups (made by the
// daemon through the container's root for the runner) must not reach it through the image's /up -> ../../..
const hostOnly = `/tmp/berth-test-runner-host-${process.pid}`;

// What each exec prints, with what differs between any two containers (namespace ids, pids) left out.
const cases: [string, string[], string[]][] = [
  ["root", [], ["sh", "-c", "id; pwd; env | sort; grep -E '^(Cap|Seccomp|NoNewPrivs|SigIgn|SigBlk)' /proc/self/status; ulimit -n; ls /proc/self/fd; cat /proc/self/oom_score_adj; cat /proc/self/cgroup; hostname; ls /"]],
  ["user, group and workdir", ["-u", "nobody:nogroup", "-w", "/tmp", "-e", "A=b"], ["sh", "-c", "id; pwd; echo $A $HOME; grep -E '^Cap' /proc/self/status"]],
  ["numeric user", ["-u", "1234"], ["id"]],
  ["privileged", ["--privileged"], ["grep", "-E", "^Cap(Bnd|Eff)", "/proc/self/status"]],
  ["terminal", ["-t"], ["sh", "-c", "tty; env | sort; ls /proc/self/fd"]],
  ["exit code", [], ["sh", "-c", "exit 7"]],
  ["unknown user", ["-u", "nouser"], ["true"]],
  ["missing program", [], ["nonexist"]],
  ["missing workdir", ["-w", "/nope"], ["true"]],
  ["a directory", [], ["/etc"]],
  // Passes lookPath (mode 755) and fails in execve itself: in the runner, after its namespaces.
  ["not a program", [], ["/garbage"]],
  ["a relative program, from the workdir", ["-w", "/bin"], ["./sh", "-c", "pwd"]],
  ["a program through a symlink out of the root", [], [`/up${hostOnly}/prog`]],
  ["a workdir through a symlink out of the root", ["-w", `/up${hostOnly}`], ["true"]],
  ["a program on a PATH through a symlink out of the root", ["-e", `PATH=/up${hostOnly}`], ["prog"]],
];

async function outcomes(env: Record<string, string>): Promise<{ probe: number; results: Record<string, unknown> }> {
  const d = await startDaemon({ env });
  try {
    const rootfs = join(d.dir, "busybox-rootfs");
    const tar = busyboxRootfsTar(d.dir);
    writeFileSync(join(rootfs, "garbage"), "\x01\x02not an executable\n");
    chmodSync(join(rootfs, "garbage"), 0o755);
    symlinkSync("../../../../../../../..", join(rootfs, "up"));
    writeFileSync(join(rootfs, "reexec"), "#!/proc/self/exe\n");
    chmodSync(join(rootfs, "reexec"), 0o755);
    Bun.spawnSync(["tar", "-C", rootfs, "-cf", tar, "."]);
    expect((await d.cli(["import", tar, "bb:runner"])).code).toBe(0);
    const run = await d.cli(["run", "-d", "--hostname", "h1", "--ulimit", "nofile=123:456", "--cap-add", "NET_ADMIN", "--oom-score-adj", "300", "bb:runner", "sleep", "1000"]);
    expect(run.stderr).toBe("");
    const id = run.stdout.trim();
    const results: Record<string, unknown> = {};
    for (const [name, opts, args] of cases) {
      const r = await d.cli(["exec", ...opts, id, ...args]);
      results[name] = { code: r.code, stdout: r.stdout.replace(/\r/g, ""), stderr: r.stderr };
    }
    // Which executable ran stage 2: /reexec makes it run itself again inside the container. The
    // runner's second run finds no program on fd 4 and exits 126 without a word; berth says more.
    const probe = await d.cli(["exec", id, "/reexec"]);
    return { probe: probe.stdout || probe.stderr ? -1 : probe.code, results };
  } finally {
    await d.stop();
  }
}

describe.if(requireDaemon())("an exec through the runner", () => {
  afterAll(() => rmSync(hostOnly, { recursive: true, force: true }));
  let runner: Awaited<ReturnType<typeof outcomes>>;
  let typescript: Awaited<ReturnType<typeof outcomes>>;
  beforeAll(async () => {
    mkdirSync(hostOnly, { recursive: true });
    copyFileSync("/bin/busybox", join(hostOnly, "prog"));
    chmodSync(join(hostOnly, "prog"), 0o755);
    [runner, typescript] = await Promise.all([outcomes({}), outcomes({ BERTH_EXEC_STAGE2: "typescript" })]);
  });

  test("is what the daemon runs by default; BERTH_EXEC_STAGE2=typescript runs the TypeScript stage 2", () => {
    expect(runner.probe).toBe(126);
    expect(typescript.probe).not.toBe(126);
  });

  for (const [name] of cases) {
    test(`${name}: the same outcome as the TypeScript stage 2`, () => {
      expect(runner.results[name]).toEqual(typescript.results[name]);
    });
  }

  test("the outcomes are the expected ones", () => {
    const r = runner.results as Record<string, { code: number; stdout: string; stderr: string }>;
    expect(r["root"]!.stdout).toContain("uid=0(root) gid=0(root)");
    expect(r["root"]!.stdout).toMatch(/^123$/m);
    expect(r["root"]!.stdout).toMatch(/^300$/m);
    expect(r["root"]!.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(r["root"]!.stdout).toMatch(/^SigIgn:\s+0+$/m);
    expect(r["root"]!.stdout).toMatch(/^0\n1\n2\n3\n/m);
    expect(r["user, group and workdir"]!.stdout).toContain("uid=65534(nobody) gid=65534(nogroup)");
    expect(r["user, group and workdir"]!.stdout).toMatch(/^CapEff:\s+0+$/m);
    expect(r["terminal"]!.stdout).toContain("/dev/pts/0");
    expect(r["exit code"]!.code).toBe(7);
    // dockerd's exit code for every exec that could not start is 126, a program not found too; the messages tell them apart.
    expect([r["unknown user"]!.code, r["missing program"]!.code, r["missing workdir"]!.code, r["a directory"]!.code]).toEqual([126, 126, 126, 126]);
    expect(r["missing program"]!.stderr).toContain("executable file not found in $PATH");
    expect(r["a relative program, from the workdir"]).toEqual({ code: 0, stdout: "/bin\n", stderr: "" });
    expect(r["a program through a symlink out of the root"]).toEqual({ code: 126, stdout: "", stderr: `OCI runtime exec failed: exec: "/up${hostOnly}/prog": stat /up${hostOnly}/prog: no such file or directory\n` });
    expect(r["a workdir through a symlink out of the root"]!.code).toBe(126);
    expect(r["a workdir through a symlink out of the root"]!.stderr).toContain("chdir to cwd");
    expect(r["a program on a PATH through a symlink out of the root"]!.code).toBe(126);
    expect(r["not a program"]).toEqual({ code: 126, stdout: "", stderr: "OCI runtime exec failed: exec failed: execve /garbage: Exec format error\n" });
  });
});

// berth's CLI against a real daemon: docker's output layouts, error words and
// exit codes for the image and system commands, and the daemon autostart.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { makeImageFixtures, requireTools, type ImageFixtures } from "../fixtures/image-busybox.ts";

const ok = requireDaemon() && requireTools();
let d: TestDaemon;
let tmp: string;
let fx: ImageFixtures;

/** This process's environment but BERTH_HOST, which would win over DOCKER_HOST. */
function withoutBerthHost(): Record<string, string> {
  const { BERTH_HOST: _, ...rest } = process.env;
  return rest as Record<string, string>;
}

/** The CLI with no -H (for the usage and autostart cases). */
function bare(args: string[], env: Record<string, string | undefined> = {}) {
  const r = Bun.spawnSync([...berthCmd, ...args], { env: { ...process.env, ...env } as Record<string, string>, stdin: "ignore", timeout: 30_000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

beforeAll(async () => {
  if (!ok) return;
  tmp = mkdtempSync("/tmp/berth-test-cli-");
  fx = await makeImageFixtures(tmp);
  d = await startDaemon();
});
afterAll(async () => {
  if (!ok) return;
  await d.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe("usage errors (no daemon needed)", () => {
  test("output to a reader that went away ends the CLI quietly, as SIGPIPE ends docker (141)", () => {
    // The reader closes its end at once, before the CLI has started to write.
    const direct = Bun.spawnSync(["bash", "-c", `${berthCmd.map((a) => `'${a}'`).join(" ")} --help | (exec 0<&-; sleep 0.2); echo \${PIPESTATUS[0]}`], { stdin: "ignore" });
    expect(direct.stdout.toString().trim()).toBe("141");
    expect(direct.stderr.toString()).toBe("");
  });

  test("unknown flag: docker's words, usage line, exit 125", () => {
    const r = bare(["images", "--foo"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe("unknown flag: --foo\n\nUsage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nRun 'berth images --help' for more information\n");
  });

  test("argument counts exit 1 with docker's wording", () => {
    const r = bare(["tag", "only-one"]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe("berth: 'berth tag' requires 2 arguments");
    expect(bare(["history"]).stderr.split("\n")[0]).toBe("berth: 'berth history' requires 1 argument");
    expect(bare(["rmi"]).stderr.split("\n")[0]).toBe("berth: 'berth rmi' requires at least 1 argument");
    expect(bare(["version", "x"]).stderr.split("\n")[0]).toBe("berth: 'berth version' accepts no arguments");
  });

  test("unknown command, unknown global flag, --help, -v", () => {
    expect(bare(["frobnicate"])).toMatchObject({ code: 1, stderr: "berth: unknown command: berth frobnicate\n\nRun 'berth --help' for more information\n" });
    expect(bare(["--nope", "images"]).code).toBe(125);
    const help = bare(["images", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage:  berth images [OPTIONS] [REPOSITORY[:TAG]]");
    expect(help.stdout).toContain("Aliases:\n  berth images, berth image ls, berth image list");
    expect(help.stdout).toMatch(/ {2}-a, --all +Show all images/);
    expect(bare(["image", "ls", "-h"]).code).toBe(0);
    const main = bare(["--help"]).stdout;
    expect(main).toContain("Usage:  berth [OPTIONS] COMMAND");
    // The command tables hold one line per command, its short text (login's and logout's longer one is their own --help's).
    const tables = main.split("\n\n").filter((b) => /^(Management )?Commands:/.test(b)).flatMap((b) => b.split("\n").slice(1));
    expect(tables.filter((l) => !/^ {2}\S+( \S+)? +\S/.test(l))).toEqual([]);
    expect(tables.filter((l) => /^ {2}log(in|out) /.test(l)).map((l) => l.replace(/(\S) +/, "$1 "))).toEqual([
      "  login Authenticate to a registry",
      "  logout Log out from a registry",
    ]);
    expect(bare(["login", "--help"]).stdout).toContain("\nAuthenticate to a registry.\nDefaults to Docker Hub if no server is specified.\n");
    expect(bare(["-v"]).stdout).toMatch(/^berth version \S+, build \S+\n$/);
  });

  test("no daemon at an explicit address: docker's message, exit 1, no autostart", () => {
    const r = bare(["-H", "unix:///tmp/berth-test-none.sock", "images"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Cannot connect to the berth daemon at unix:///tmp/berth-test-none.sock. Is the berth daemon running?\n");
    expect(existsSync("/tmp/berth-test-none.sock")).toBe(false);
  });

  test("save refuses a terminal only when stdout is one; files that do not exist fail before any request", () => {
    const r = bare(["-H", "unix:///tmp/berth-test-none.sock", "load", "-i", "/nonexistent.tar"]);
    expect(r).toMatchObject({ code: 1, stderr: "open /nonexistent.tar: no such file or directory\n" });
    const i = bare(["-H", "unix:///tmp/berth-test-none.sock", "import", "/nonexistent.tar"]);
    expect(i).toMatchObject({ code: 1, stderr: "open /nonexistent.tar: no such file or directory\n" });
  });
});

describe.if(ok)("image commands", () => {
  test("load -i, then images in docker's table", async () => {
    const r = await d.cli(["load", "-i", fx.dockerArchive]);
    expect(r).toMatchObject({ code: 0, stdout: "Loaded image: busybox:test\n" });
    const table = (await d.cli(["images"])).stdout.split("\n");
    expect(table[0]).toMatch(/^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/);
    expect(table.find((l) => l.startsWith("busybox "))).toMatch(/^busybox +test +[0-9a-f]{12} +.+ ago +1\.98MB$/);
  });

  test("load from stdin with -q", async () => {
    const p = Bun.spawnSync([...berthCmd, "-H", d.host, "load", "-q"], { stdin: Bun.file(fx.ociArchive) });
    expect(p.exitCode).toBe(0);
    expect(p.stdout.toString()).toContain("Loaded image");
  });

  test("tag, images -q/--no-trunc/--format/--filter, <none> for dangling", async () => {
    expect((await d.cli(["tag", "busybox:test", "reg.local:5000/team/bb:2"])).code).toBe(0);
    const id = (await d.cli(["images", "-q", "busybox:test"])).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect((await d.cli(["images", "--no-trunc", "-q", "busybox:test"])).stdout.trim()).toMatch(new RegExp(`^sha256:${id}[0-9a-f]{52}$`));
    const names = (await d.cli(["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", `reference=reg.local:5000/*/*`])).stdout;
    expect(names).toContain("reg.local:5000/team/bb:2\n");
    expect((await d.cli(["images", "-q", "--filter", "reference=nothing-like-this"])).stdout).toBe("");
    const json = JSON.parse((await d.cli(["images", "--format", "json", "busybox:test"])).stdout);
    expect(json).toMatchObject({ Repository: "busybox", Tag: "test", ID: id, Size: "1.98MB" });
    expect(json.CreatedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$/);
  });

  test("import a file and stdin with -c and -m; dangling shows <none>", async () => {
    const tar = join(tmp, "rootfs.tar");
    Bun.spawnSync(["tar", "-C", fx.rootfs, "-cf", tar, "."]);
    const named = await d.cli(["import", "-c", 'CMD ["/bin/sh"]', "-m", "imported by test", tar, "imported:1"]);
    expect(named.code).toBe(0);
    expect(named.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await d.cli(["inspect", "-f", "{{.Comment}} {{.Config.Cmd}}", "imported:1"])).stdout).toBe("imported by test [/bin/sh]\n");
    const anon = Bun.spawnSync([...berthCmd, "-H", d.host, "import", "-c", "ENV X=1", "-"], { stdin: Bun.file(tar) });
    const anonId = anon.stdout.toString().trim();
    expect(anonId).toMatch(/^sha256:/);
    const rows = (await d.cli(["images", "--filter", "dangling=true"])).stdout.split("\n").slice(1).filter(Boolean);
    expect(rows.some((r) => new RegExp(`^<none> +<none> +${anonId.slice(7, 19)} `).test(r))).toBe(true);
    expect((await d.cli(["rmi", anonId.slice(7, 19)])).stdout).toBe(`Deleted: ${anonId}\n`);
  });

  test("inspect: JSON array, --format, --type, missing objects", async () => {
    const arr = JSON.parse((await d.cli(["image", "inspect", "busybox:test"])).stdout);
    expect(arr).toHaveLength(1);
    expect(arr[0].RepoTags).toContain("busybox:test");
    expect((await d.cli(["inspect", "--type", "image", "-f", "{{json .RootFS.Type}}", "busybox:test"])).stdout).toBe('"layers"\n');
    const missing = await d.cli(["image", "inspect", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("[]\n");
    expect(missing.stderr).toBe("Error response from daemon: No such image: nope:latest\n");
    expect((await d.cli(["inspect", "nope"])).stderr).toBe("Error: No such object: nope\n");
    // A misspelt field is an error (docker's missingkey=error fallback), not "<no value>".
    const typo = await d.cli(["image", "inspect", "-f", "{{.Config.Nope}}", "busybox:test"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toBe('template parsing error: template: :1:9: executing "" at <.Config.Nope>: map has no entry for key "Nope"\n');
  });

  test("history: table, -q, --no-trunc, -H=false", async () => {
    const h = (await d.cli(["history", "busybox:test"])).stdout.split("\n");
    expect(h[0]).toMatch(/^IMAGE +CREATED +CREATED BY +SIZE +COMMENT$/);
    expect(h[1]).toMatch(/^[0-9a-f]{12} +.+ ago +umoci config +0B/);
    expect(h[2]).toMatch(/^<missing> /);
    expect((await d.cli(["history", "-q", "busybox:test"])).stdout.split("\n")[0]).toMatch(/^[0-9a-f]{12}$/);
    const raw = (await d.cli(["history", "-H=false", "busybox:test"])).stdout.split("\n");
    expect(raw[0]).toMatch(/^IMAGE +CREATED AT +CREATED BY +SIZE +COMMENT$/);
    expect(raw[3]).toMatch(/ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) +umoci insert +\d{6,} /);
  });

  test("save -o then load; save to a pipe; several images", async () => {
    const out = join(tmp, "two.tar");
    expect((await d.cli(["save", "-o", out, "busybox:test", "reg.local:5000/team/bb:2"])).code).toBe(0);
    const list = Bun.spawnSync(["tar", "-tf", out]).stdout.toString();
    expect(list).toContain("manifest.json");
    expect(list).toContain("index.json");
    const piped = Bun.spawnSync([...berthCmd, "-H", d.host, "save", "busybox:test"]);
    expect(piped.exitCode).toBe(0);
    expect(piped.stdout.length).toBeGreaterThan(1_000_000);
    const bad = await d.cli(["save", "-o", join(tmp, "bad.tar"), "nope"]);
    expect(bad).toMatchObject({ code: 1, stderr: "Error response from daemon: No such image: nope:latest\n" });
    expect(existsSync(join(tmp, "bad.tar"))).toBe(false);
  });

  test("rmi: refusals, several names, Untagged/Deleted lines", async () => {
    const id = (await d.cli(["images", "-q", "busybox:test"])).stdout.trim();
    const refused = await d.cli(["rmi", id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error response from daemon: conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories\n$/);
    const both = await d.cli(["rmi", "reg.local:5000/team/bb:2", "nope"]);
    expect(both.code).toBe(1);
    expect(both.stdout).toBe("Untagged: reg.local:5000/team/bb:2\n");
    expect(both.stderr).toBe("Error response from daemon: No such image: nope:latest\n");
    // busybox:oci came from the OCI archive of the same image: one ID, two tags.
    expect((await d.cli(["rmi", "busybox:oci"])).stdout).toBe("Untagged: busybox:oci\n");
    const last = await d.cli(["rmi", "busybox:test"]);
    expect(last.stdout).toMatch(/^Untagged: busybox:test\n(Deleted: sha256:[0-9a-f]{64}\n)+$/);
    expect((await d.cli(["load", "-i", join(tmp, "two.tar")])).code).toBe(0);
  });

  test("version and info: docker's sections and --format", async () => {
    const v = await d.cli(["version"]);
    expect(v.stdout).toMatch(/^Client:\n Version: +\S+\n API version: +1\.44\n/);
    expect(v.stdout).toContain("\nServer: berth\n Engine:\n  Version:");
    expect(v.stdout).toContain("  API version:      1.44 (minimum version 1.24)");
    expect((await d.cli(["version", "--format", "{{.Server.APIVersion}} {{.Client.APIVersion}} {{.Server.Os}}"])).stdout).toBe("1.44 1.44 linux\n");
    const i = await d.cli(["info"]);
    expect(i.stdout).toMatch(/\nServer:\n Containers: \d+\n  Running: \d+\n  Paused: \d+\n  Stopped: \d+\n Images: \d+\n/);
    expect(i.stdout).toContain(` Docker Root Dir: ${join(d.dir, "data")}\n`);
    expect((await d.cli(["info", "--format", "{{.OSType}}/{{.LoggingDriver}}"])).stdout).toBe("linux/json-file\n");
  });

  test("a .env or bunfig.toml in the directory it runs in changes nothing (the executable does not load them)", async () => {
    if (berthCmd.length > 1) {
      // From the sources, Bun itself loads them: only the built executable can be held to this.
      if (process.env.CI === "true") throw new Error("dist/berth is not built");
      return console.warn("skipping: dist/berth is not built");
    }
    const dir = mkdtempSync("/tmp/berth-test-dotenv-");
    try {
      writeFileSync(join(dir, ".env"), "BERTH_HOST=unix:///nonexistent/berth.sock\n");
      writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./missing.ts"]\n');
      const r = Bun.spawnSync([...berthCmd, "version", "--format", "{{.Server.APIVersion}}"], {
        cwd: dir,
        env: { ...withoutBerthHost(), DOCKER_HOST: d.host },
        stdin: "ignore",
      });
      expect(r.stderr.toString()).toBe("");
      expect(r.stdout.toString()).toBe("1.44\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("events: --since replays, --until ends, --filter, --format", async () => {
    const now = Math.floor(Date.now() / 1000) + 1;
    const r = await d.cli(["events", "--since", "0", "--until", String(now), "--filter", "type=image", "--filter", "event=tag", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toContain("image tag reg.local:5000/team/bb:2");
    const text = await d.cli(["system", "events", "--since", "0", "--until", String(now), "-f", "event=load"]);
    expect(text.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z image load sha256:[0-9a-f]{64} \(.*name=sha256:/m);
  });
});

describe.if(ok)("autostart", () => {
  test("the first command starts a daemon on the private default socket; --no-autostart and DOCKER_HOST do not", async () => {
    const dir = mkdtempSync("/tmp/berth-test-autostart-");
    const env = { BERTH_DATA_ROOT: join(dir, "data"), BERTH_EXEC_ROOT: join(dir, "exec"), BERTH_HOST: undefined, DOCKER_HOST: undefined };
    try {
      const off = bare(["--no-autostart", "images"], env);
      expect(off.code).toBe(1);
      expect(off.stderr).toContain(`Cannot connect to the berth daemon at unix://${join(dir, "exec/berth.sock")}`);
      const viaEnv = bare(["images"], { ...env, DOCKER_HOST: `unix://${join(dir, "other.sock")}` });
      expect(viaEnv.code).toBe(1);
      expect(existsSync(join(dir, "exec/berth.sock"))).toBe(false);

      const t0 = performance.now();
      const on = bare(["images", "--format", "{{.Repository}}"], env);
      expect(on.stderr).toBe("");
      expect(on.code).toBe(0);
      expect(on.stdout).toBe("hello-world\n");
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(existsSync(join(dir, "exec/berth.sock"))).toBe(true);
      expect(readFileSync(join(dir, "data/daemon.log"), "utf8")).toContain("berth daemon ready");
      expect(bare(["version", "--format", "{{.Server.APIVersion}}"], env).stdout).toBe("1.44\n");
    } finally {
      await stopDaemonOf(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // No /_ping ahead of each command: the first request finds the daemon missing and is made again.
  test("a stale socket with no one listening, and a streamed first request (load -i), autostart too", async () => {
    const dir = mkdtempSync("/tmp/berth-test-autostart-");
    const env = { BERTH_DATA_ROOT: join(dir, "data"), BERTH_EXEC_ROOT: join(dir, "exec"), BERTH_HOST: undefined, DOCKER_HOST: undefined };
    try {
      // A socket file left behind by a daemon that is gone: connecting is refused, not "no such file".
      mkdirSync(join(dir, "exec"), { recursive: true });
      const py = Bun.spawnSync(["python3", "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()", join(dir, "exec/berth.sock")]);
      expect(py.exitCode).toBe(0);
      const load = bare(["load", "-i", fx.dockerArchive], env);
      expect(load.stderr).toBe("");
      expect(load.code).toBe(0);
      expect(load.stdout).toMatch(/^Loaded image/m);
      expect(readFileSync(join(dir, "data/daemon.log"), "utf8")).toContain("berth daemon ready");
    } finally {
      await stopDaemonOf(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Stops the daemon an autostart left under `dir`. */
async function stopDaemonOf(dir: string): Promise<void> {
  if (!existsSync(join(dir, "exec/berth.pid"))) return;
  const pid = Number(readFileSync(join(dir, "exec/berth.pid"), "utf8").trim());
  if (pid > 0) {
    process.kill(pid, "SIGTERM");
    for (const end = Date.now() + 15_000; Date.now() < end && existsSync(join(dir, "exec/berth.pid")); ) await Bun.sleep(20);
  }
}

// The rest of the compose command line against a real daemon (in a network
// namespace of the test's own): exec, run, build, pull, create, start, stop,
// restart, kill, rm, pause, unpause, top, images, port, cp, events, ls, version.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd } from "../fixtures/daemon.ts";
import { composeDaemonForFile } from "./compose-daemon.ts";

const daemon = composeDaemonForFile("cmpc");
const ok = daemon.ok;
const dir = mkdtempSync("/tmp/berth-compose-cmds-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  if (!ok) return;
  mkdirSync(join(dir, "app"));
  writeFileSync(join(dir, "app/Dockerfile"), "FROM busybox\nARG NOTE=none\nRUN echo $NOTE > /note\n");
  writeFileSync(join(dir, "compose.yaml"), [
    "name: cmds",
    "services:",
    "  app:",
    "    build: {context: ./app, args: {NOTE: from-compose}}",
    "    image: cmds-app:1",
    "    command: sleep 1000",
    "    ports: ['18383:80']",
    "    environment: [COLOR=blue]",
    "    stop_grace_period: 1s",
    "  side:",
    "    image: busybox",
    "    command: sleep 1000",
    "    stop_grace_period: 1s",
    "    depends_on: [app]",
  ].join("\n"));
});

const compose = (args: string[]) => daemon.compose(dir, args);
const state = async (name: string) => JSON.parse((await daemon.d.cli(["inspect", name])).stdout)[0].State;

describe.if(ok)("compose commands", () => {
  test("build and create: the image from the service's context with its args; create makes containers without starting them", async () => {
    const b = await compose(["build", "app"]);
    expect(b.code).toBe(0);
    expect(b.stderr).toContain("Service app  Built");
    const note = await daemon.d.cli(["run", "--rm", "cmds-app:1", "cat", "/note"]);
    expect(note.stdout).toBe("from-compose\n");
    expect((await compose(["create"])).code).toBe(0);
    expect((await state("cmds-app-1")).Status).toBe("created");
    expect((await state("cmds-side-1")).Status).toBe("created");
  });

  test("start, ps, exec, port, top, images, version", async () => {
    expect((await compose(["start"])).code).toBe(0);
    expect((await state("cmds-app-1")).Running).toBe(true);
    expect((await compose(["exec", "-T", "app", "sh", "-c", "echo $COLOR; exit 5"]))).toMatchObject({ stdout: "blue\n", code: 5 });
    expect((await compose(["exec", "-T", "-e", "X=1", "-w", "/tmp", "-u", "nobody", "app", "sh", "-c", "echo $X $(pwd) $(id -u)"])).stdout).toBe("1 /tmp 65534\n");
    expect((await compose(["port", "app", "80"])).stdout).toBe("0.0.0.0:18383\n");
    const noPort = await compose(["port", "side", "80"]);
    expect(noPort.code).toBe(1);
    const top = await compose(["top", "app"]);
    expect(top.stdout).toMatch(/^cmds-app-1\nUID +PID .*\n.*sleep 1000/m);
    const images = await compose(["images"]);
    expect(images.stdout).toMatch(/^CONTAINER +REPOSITORY +TAG +IMAGE ID +SIZE$/m);
    expect(images.stdout).toMatch(/^cmds-app-1 +cmds-app +1 +[0-9a-f]{12} /m);
    expect((await compose(["version", "--short"])).stdout).toMatch(/^\S+\n$/);
  });

  test("run: a one-off container with compose's labels, --rm, -e, -v, the exit code", async () => {
    writeFileSync(join(dir, "in.txt"), "host-file\n");
    const r = await compose(["run", "--rm", "-T", "-e", "EXTRA=x", "-v", "./in.txt:/in.txt:ro", "side", "sh", "-c", "cat /in.txt; echo $EXTRA; exit 7"]);
    expect(r.stdout).toBe("host-file\nx\n");
    expect(r.code).toBe(7);
    const d1 = await compose(["run", "-d", "side", "sleep", "1000"]);
    expect(d1.code).toBe(0);
    const name = d1.stdout.trim();
    expect(name).toMatch(/^cmds-side-run-[0-9a-f]{12}$/);
    const labels = JSON.parse((await daemon.d.cli(["inspect", name])).stdout)[0].Config.Labels;
    expect(labels).toMatchObject({ "com.docker.compose.project": "cmds", "com.docker.compose.service": "side", "com.docker.compose.oneoff": "True" });
    expect((await compose(["ps", "--format", "{{.Name}}"])).stdout).not.toContain(name); // one-offs only with -a
    expect((await compose(["ps", "-a", "--format", "{{.Name}}"])).stdout).toContain(name);
    await daemon.d.cli(["rm", "-f", name]);
  });

  test("cp both ways", async () => {
    writeFileSync(join(dir, "up.txt"), "uploaded\n");
    expect((await compose(["cp", "up.txt", "app:/tmp/up.txt"])).code).toBe(0);
    expect((await compose(["exec", "-T", "app", "cat", "/tmp/up.txt"])).stdout).toBe("uploaded\n");
    expect((await compose(["cp", "app:/note", join(dir, "note.out")])).code).toBe(0);
    expect(readFileSync(join(dir, "note.out"), "utf8")).toBe("from-compose\n");
  });

  test("pause, unpause, restart, stop, kill, rm, and the events they raise", async () => {
    // --since replays from before the first action, so the stream need not be connected before it.
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const events = Bun.spawn([...berthCmd, "-H", daemon.d.host, "compose", "events", "--json", "--since", since], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    try {
      expect((await compose(["pause", "side"])).code).toBe(0);
      expect((await state("cmds-side-1")).Paused).toBe(true);
      expect((await compose(["unpause", "side"])).code).toBe(0);
      expect((await state("cmds-side-1")).Paused).toBe(false);
      const before = (await state("cmds-app-1")).StartedAt;
      expect((await compose(["restart", "-t", "1", "app"])).code).toBe(0);
      expect((await state("cmds-app-1")).StartedAt).not.toBe(before);
      const stop = await compose(["stop", "-t", "1"]);
      expect(stop.code).toBe(0);
      // Dependants stop first.
      expect(stop.stderr.indexOf("Container cmds-side-1  Stopped")).toBeLessThan(stop.stderr.indexOf("Container cmds-app-1  Stopping"));
      expect((await state("cmds-app-1")).Running).toBe(false);
      expect((await compose(["start", "app"])).code).toBe(0);
      expect((await compose(["kill", "app"])).code).toBe(0);
      for (let i = 0; i < 100 && (await state("cmds-app-1")).Running; i++) await Bun.sleep(50);
      expect((await state("cmds-app-1")).Running).toBe(false);
      const rm = await compose(["rm", "-f"]);
      expect(rm.stderr).toContain("Container cmds-app-1  Removed");
      expect((await daemon.d.cli(["ps", "-aq", "--filter", "label=com.docker.compose.project=cmds"])).stdout).toBe("");
    } catch (e) {
      events.kill();
      throw e;
    }
    // Read the stream until the last action's event is in it (10 s at most), then stop it.
    let text = "";
    const reader = events.stdout.getReader();
    const deadline = setTimeout(() => events.kill(), 10_000);
    const complete = () => text.split("\n").slice(0, -1).map((l) => JSON.parse(l));
    while (!complete().some((e) => e.service === "side" && e.action === "destroy")) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    clearTimeout(deadline);
    events.kill();
    const lines = complete();
    const seen = lines.map((e) => `${e.service} ${e.action}`);
    for (const want of ["side pause", "side unpause", "app stop", "app start", "app kill", "app destroy"]) expect(seen).toContain(want);
    expect(lines[0]).toMatchObject({ type: "container", id: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  test("ls lists projects with their states and files; -q; a rebuilt image recreates its service", async () => {
    expect((await compose(["up", "-d"])).code).toBe(0);
    const ls = await compose(["ls"]);
    expect(ls.stdout).toMatch(/^NAME +STATUS +CONFIG FILES$/m);
    expect(ls.stdout).toMatch(new RegExp(`^cmds +running\\(2\\) +${join(dir, "compose.yaml")}$`, "m"));
    expect((await compose(["ls", "-q"])).stdout).toBe("cmds\n");
    // A rebuilt image recreates the service's container on the next up, and its dependant's.
    const side = JSON.parse((await daemon.d.cli(["inspect", "cmds-side-1"])).stdout)[0].Id;
    expect((await compose(["build", "--build-arg", "NOTE=second", "app"])).code).toBe(0);
    const again = await compose(["up", "-d"]);
    expect(again.stderr).toContain("Container cmds-app-1  Recreated");
    expect((await compose(["exec", "-T", "app", "cat", "/note"])).stdout).toBe("second\n");
    expect(again.stderr).toContain("Container cmds-side-1  Recreated");
    expect(JSON.parse((await daemon.d.cli(["inspect", "cmds-side-1"])).stdout)[0].Id).not.toBe(side);
    expect((await compose(["down", "-t", "1"])).code).toBe(0);
    expect((await compose(["ls", "-q"])).stdout).toBe("");
  });
});

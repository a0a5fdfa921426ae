// Real clients against berth's Engine API: the docker CLI and docker-py.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const dockerBin = "/usr/local/bin/docker";
let d: TestDaemon;
let tmp: string;
const ok = requireDaemon();

function need(tool: string, present: boolean): boolean {
  if (present) return true;
  const why = `${tool} is not installed`;
  if (process.env.CI === "true") throw new Error(why);
  console.warn(`skipping: ${why}`);
  return false;
}

async function docker(args: string[], stdin?: string) {
  const p = Bun.spawn([dockerBin, ...args], {
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(tmp, "docker-config") },
    stdin: stdin !== undefined ? new TextEncoder().encode(stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => p.kill(9), 30_000);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { stdout, stderr, code };
}

beforeAll(async () => {
  if (!ok) return;
  tmp = mkdtempSync("/tmp/berth-test-compat-");
  d = await startDaemon();
  expect((await d.cli(["import", busyboxRootfsTar(tmp), "busybox:latest", "--change", 'CMD ["sh"]'])).code).toBe(0);
});
afterAll(async () => {
  if (!ok) return;
  await d.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe.if(ok)("the docker CLI against berth", () => {
  const has = () => need("the docker CLI", existsSync(dockerBin));

  test("version negotiates API 1.44 and shows berth", async () => {
    if (!has()) return;
    const r = await docker(["version", "--format", "{{.Server.APIVersion}} {{.Server.Platform.Name}}"]);
    expect(r.stdout.trim()).toBe("1.44 berth");
  });

  test("info", async () => {
    if (!has()) return;
    const r = await docker(["info", "--format", "{{.Images}} {{.LoggingDriver}} {{.OSType}}"]);
    expect(r.stdout.trim()).toBe("2 json-file linux");
  });

  test("run --rm prints the output and returns the exit code", async () => {
    if (!has()) return;
    expect((await docker(["run", "--rm", "busybox", "echo", "hi"])).stdout).toBe("hi\n");
    expect((await docker(["run", "--rm", "busybox", "sh", "-c", "exit 7"])).code).toBe(7);
    // A start that fails: its error once, as dockerd gives it (the wait for the removal carries none).
    const missing = await docker(["run", "--rm", "busybox", "nosuchcmd"]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('exec: "nosuchcmd": executable file not found in $PATH');
    expect(missing.stderr).not.toContain("Error waiting for container");
  });

  test("run -d, ps, logs, inspect, stop, rm -f", async () => {
    if (!has()) return;
    const id = (await docker(["run", "-d", "--name", "dk", "busybox", "sh", "-c", "echo ready; sleep 60"])).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await docker(["ps", "--format", "{{.Names}} {{.Image}}"])).stdout).toContain("dk busybox");
    await Bun.sleep(300);
    expect((await docker(["logs", "dk"])).stdout).toBe("ready\n");
    expect((await docker(["inspect", "-f", "{{.State.Running}} {{.Name}}", "dk"])).stdout.trim()).toBe("true /dk");
    expect((await docker(["stop", "-t", "1", "dk"])).code).toBe(0);
    expect((await docker(["inspect", "-f", "{{.State.Status}}", "dk"])).stdout.trim()).toBe("exited");
    expect((await docker(["rm", "-f", "dk"])).code).toBe(0);
  });

  test("logs --details: the labels and env the log opts name, as dockerd prints them; unknown log opts refused", async () => {
    if (!has()) return;
    const r = await docker(["run", "--name", "det-logs", "--label", "team=core ops", "--label", "other=x", "-e", "STAGE=prod",
      "--log-opt", "labels=team", "--log-opt", "env=STAGE", "busybox", "echo", "hi"]);
    expect(r.stdout).toBe("hi\n");
    expect((await docker(["logs", "--details", "det-logs"])).stdout).toBe("STAGE=prod,team=core+ops hi\n");
    expect((await docker(["logs", "det-logs"])).stdout).toBe("hi\n");
    await docker(["run", "--name", "plain-logs", "busybox", "echo", "hi"]);
    expect((await docker(["logs", "--details", "plain-logs"])).stdout).toBe(" hi\n");
    const bad = await docker(["run", "--rm", "--log-opt", "nope=1", "busybox", "true"]);
    expect(bad.stderr).toContain("unknown log opt 'nope' for json-file log driver");
    // Rotation options are checked with dockerd's words, and nothing is created when they are wrong.
    const before = (await docker(["ps", "-aq"])).stdout;
    expect((await docker(["create", "--log-opt", "max-size=ten", "busybox", "true"])).stderr).toContain("invalid size: 'ten'");
    expect((await docker(["create", "--log-opt", "max-size=1k", "--log-opt", "max-file=0", "busybox", "true"])).stderr).toContain("max-file cannot be less than 1");
    expect((await docker(["create", "--log-opt", "max-size=1k", "--log-opt", "compress=true", "busybox", "true"])).stderr)
      .toContain("compress cannot be true when max-file is less than 2 or max-size is not set");
    expect((await docker(["create", "--log-opt", "max-size=1k", "--log-opt", "max-file=2", "--log-opt", "compress=maybe", "busybox", "true"])).stderr)
      .toContain('strconv.ParseBool: parsing "maybe": invalid syntax');
    expect((await docker(["ps", "-aq"])).stdout).toBe(before);
    const rotated = await docker(["create", "--log-opt", "max-size=10m", "--log-opt", "max-file=3", "busybox", "true"]);
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toBe("");
    await docker(["rm", "-f", "det-logs", "plain-logs", rotated.stdout.trim()]);
  });

  test("logs -f, attach, kill, wait, top, cp both ways, commit then run", async () => {
    if (!has()) return;
    // logs -f follows until the container ends.
    await docker(["run", "-d", "--name", "follow", "busybox", "sh", "-c", "echo one; sleep 0.5; echo two"]);
    expect((await docker(["logs", "-f", "follow"])).stdout).toBe("one\ntwo\n");

    // attach with piped stdin to an -i container; its exit code is the container's.
    await docker(["run", "-d", "-i", "--name", "att", "busybox", "sh"]);
    const att = await docker(["attach", "att"], "echo attached\nexit 3\n");
    expect(att.stdout).toBe("attached\n");
    expect(att.code).toBe(3);

    // kill and wait.
    await docker(["run", "-d", "--name", "victim", "busybox", "sleep", "60"]);
    const waiting = docker(["wait", "victim"]);
    expect((await docker(["kill", "victim"])).code).toBe(0);
    expect((await waiting).stdout.trim()).toBe("137");

    // top, cp both ways, commit then run the new image.
    await docker(["run", "-d", "--name", "box2", "busybox", "sleep", "60"]);
    expect((await docker(["top", "box2"])).stdout).toMatch(/^root\s+\d+\s+\d+\s+.*sleep 60$/m);
    // With ps options the host's ps runs them, as under dockerd, and only the container's rows come back.
    const top = await docker(["top", "box2", "-o", "pid,comm"]);
    expect(top.stdout).toMatch(/^PID\s+COMMAND\n\d+\s+sleep\n$/);
    const renamed = await docker(["top", "box2", "-o", "x=PID"]);
    expect(renamed.stderr).toContain('specifying "x=PID" is not allowed');
    writeFileSync(join(tmp, "to-container.txt"), "from the host\n");
    expect((await docker(["cp", join(tmp, "to-container.txt"), "box2:/tmp/"])).code).toBe(0);
    expect((await docker(["exec", "box2", "cat", "/tmp/to-container.txt"])).stdout).toBe("from the host\n");
    await docker(["exec", "box2", "sh", "-c", "echo made inside > /made"]);
    expect((await docker(["cp", "box2:/made", join(tmp, "from-container.txt")])).code).toBe(0);
    expect(readFileSync(join(tmp, "from-container.txt"), "utf8")).toBe("made inside\n");
    const missing = await docker(["cp", "box2:/no/such", join(tmp, "x")]);
    expect(missing.stderr).toContain("Could not find the file /no/such in container box2\n");
    // A rename onto a taken name, in dockerd's words.
    const taken = await docker(["rename", "box2", "victim"]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('Error response from daemon: Error when allocating new name: Conflict. The container name "/victim" is already in use by container');
    const committed = await docker(["commit", "-c", 'CMD ["cat", "/made"]', "box2", "committed:1"]);
    expect(committed.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect((await docker(["run", "--rm", "committed:1"])).stdout).toBe("made inside\n");
    expect((await docker(["rm", "-f", "follow", "att", "victim", "box2"])).code).toBe(0);
  });

  test("images, tag, save, load, rmi, history", async () => {
    if (!has()) return;
    expect((await docker(["tag", "busybox", "mybox:1"])).code).toBe(0);
    expect((await docker(["images", "--format", "{{.Repository}}:{{.Tag}}"])).stdout.split("\n")).toContain("mybox:1");
    const tar = join(tmp, "saved.tar");
    expect((await docker(["save", "-o", tar, "mybox:1"])).code).toBe(0);
    const rmi = await docker(["rmi", "mybox:1"]);
    expect(rmi.stdout).toContain("Untagged: mybox:1");
    const load = await docker(["load", "-i", tar]);
    expect(load.stdout).toContain("Loaded image: mybox:1");
    expect((await docker(["history", "--format", "{{.CreatedBy}}", "mybox:1"])).code).toBe(0);
    expect((await docker(["image", "inspect", "-f", "{{.Os}}", "mybox:1"])).stdout.trim()).toBe("linux");
  });
});

describe.if(ok)("docker-py against berth", () => {
  const py = (code: string) => Bun.spawnSync(["python3", "-c", code], { env: { ...process.env, DOCKER_HOST: d.host } });
  const has = () => need("python3-docker", py("import docker").exitCode === 0);

  test("containers.run(remove=True) returns the output; list, wait, remove", async () => {
    if (!has()) return;
    const r = py(`
import docker
c = docker.from_env()
print(c.containers.run("busybox", ["echo", "from-py"], remove=True).decode().strip())
ct = c.containers.run("busybox", ["sh", "-c", "echo logged; exit 4"], detach=True)
print(ct.wait()["StatusCode"])
print(ct.logs().decode().strip())
print(len([x for x in c.containers.list(all=True) if x.id == ct.id]))
ct.remove()
print(sorted(t for i in c.images.list() for t in i.tags)[0])
`);
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString().trim().split("\n")).toEqual(["from-py", "4", "logged", "1", "busybox:latest"]);
  });
});

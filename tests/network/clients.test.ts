// The real docker CLI and docker-py drive the networks scenario through the
// Engine API, against a daemon in a network namespace of the test's own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const dockerBin = "/usr/local/bin/docker";
const ns = `berth-nc-${Math.random().toString(36).slice(2, 8)}`;
const nsPath = `/run/netns/${ns}`;
let d: TestDaemon;
let tmp: string;
const ok = requireDaemon();

function need(tool: string, present: boolean): boolean {
  if (present) return true;
  if (process.env.CI === "true") throw new Error(`${tool} is not installed`);
  console.warn(`skipping: ${tool} is not installed`);
  return false;
}

async function docker(args: string[]) {
  const p = Bun.spawn([dockerBin, ...args], {
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(tmp, "docker-config") },
    stdin: "ignore", stdout: "pipe", stderr: "pipe",
  });
  const timer = setTimeout(() => p.kill(9), 30_000);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { stdout, stderr, code };
}

/** An HTTP GET from inside the test's namespace, until something answers (the server binds a moment after the run returns), 10 s at most. */
async function hostGet(port: number): Promise<string> {
  let got = "";
  for (const end = Date.now() + 10_000; !got && Date.now() < end; ) {
    const r = await $`printf ${"GET /hostname HTTP/1.0\r\n\r\n"} | nsenter --net=${nsPath} busybox nc -w 3 127.0.0.1 ${port}`.nothrow().quiet();
    got = r.stdout.toString();
    if (!got) await Bun.sleep(100);
  }
  return got;
}

beforeAll(async () => {
  if (!ok) return;
  tmp = mkdtempSync("/tmp/berth-test-netclients-");
  await $`ip netns add ${ns}`.quiet();
  await $`ip -n ${ns} link set lo up`.quiet();
  d = await startDaemon({ bridge: true, netns: nsPath });
  expect((await d.cli(["import", busyboxRootfsTar(tmp), "busybox:latest", "--change", 'CMD ["sh"]'])).code).toBe(0);
});
afterAll(async () => {
  if (!ok) return;
  await d?.stop();
  await $`ip netns del ${ns}`.nothrow().quiet();
  rmSync(tmp, { recursive: true, force: true });
});

describe.if(ok)("networks through real clients", () => {
  test("the docker CLI: network create, a server found by name and alias, -p and port, network rm", async () => {
    if (!need("the docker CLI", existsSync(dockerBin))) return;
    expect((await docker(["network", "create", "--subnet", "10.88.0.0/24", "dnet"])).code).toBe(0);
    const web = await docker(["run", "-d", "--name", "dweb", "--network", "dnet", "--network-alias", "site", "-p", "127.0.0.1:18090:80", "busybox", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]);
    expect(web.stderr).toBe("");
    const id = web.stdout.trim();
    for (const name of ["dweb", "site", id.slice(0, 12)]) {
      const r = await docker(["run", "--rm", "--network", "dnet", "busybox", "busybox", "nslookup", name]);
      expect(r.stdout).toMatch(/Address: 10\.88\.0\.\d+/);
    }
    expect((await docker(["port", "dweb", "80"])).stdout.trim()).toBe("127.0.0.1:18090");
    expect(await hostGet(18090)).toContain(id.slice(0, 12));
    const ins = JSON.parse((await docker(["inspect", "dweb"])).stdout)[0];
    expect(ins.NetworkSettings.Networks.dnet.IPAddress).toMatch(/^10\.88\.0\.\d+$/);
    expect(ins.NetworkSettings.Networks.dnet.Aliases).toContain("site");
    expect((await docker(["network", "ls", "--format", "{{.Name}}"])).stdout.split("\n")).toContain("dnet");
    // Two --network at create (API 1.44 takes several endpoints); a plain run on the default bridge, whose endpoint the CLI
    // names "default" (that was a 404, which the CLI took for a missing image); a legacy link's variables there.
    expect((await docker(["network", "create", "dnet2"])).code).toBe(0);
    const two = await docker(["run", "--rm", "--network", "dnet", "--network", "dnet2", "busybox", "sh", "-c", "ip -o -4 addr | grep -c eth; nslookup dweb"]);
    expect(two.stdout).toMatch(/^2\n/);
    expect(two.stdout).toMatch(/Address: 10\.88\.0\.\d+/);
    expect((await docker(["network", "rm", "dnet2"])).code).toBe(0);
    const dl = await docker(["run", "-d", "--name", "dlinked", "--expose", "6379", "busybox", "sleep", "30"]);
    expect(dl.stderr).toBe("");
    const env = await docker(["run", "--rm", "--link", "dlinked:cache", "busybox", "env"]);
    expect(env.stdout).toMatch(/^CACHE_PORT_6379_TCP=tcp:\/\/172\.\d+\.\d+\.\d+:6379$/m);
    expect(env.stdout).toContain("CACHE_NAME=/");
    expect((await docker(["rm", "-f", "dlinked"])).code).toBe(0);
    const busy = await docker(["network", "rm", "dnet"]);
    expect(busy.stderr).toContain("has active endpoints");
    expect((await docker(["rm", "-f", "dweb"])).code).toBe(0);
    expect((await docker(["network", "rm", "dnet"])).code).toBe(0);
  });

  test("docker-py: networks.create, containers.run with ports, reload shows the mapping, connect and disconnect", async () => {
    const py = (code: string) => Bun.spawnSync(["python3", "-c", code], { env: { ...process.env, DOCKER_HOST: d.host } });
    if (!need("python3-docker", py("import docker").exitCode === 0)) return;
    const r = py(`
import docker
c = docker.from_env()
n = c.networks.create("pynet", driver="bridge")
ct = c.containers.run("busybox", ["busybox", "httpd", "-f", "-p", "80", "-h", "/etc"], detach=True, network="pynet", ports={"80/tcp": ("127.0.0.1", 18091)})
ct.reload()
print(ct.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"])
print(ct.attrs["NetworkSettings"]["Networks"]["pynet"]["IPAddress"].count("."))
other = c.networks.create("pynet2")
other.connect(ct)
ct.reload()
print(sorted(ct.attrs["NetworkSettings"]["Networks"].keys()))
other.disconnect(ct)
ct.reload()
print(sorted(ct.attrs["NetworkSettings"]["Networks"].keys()))
`);
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString().trim().split("\n")).toEqual(["18091", "3", "['pynet', 'pynet2']", "['pynet']"]);
    expect(await hostGet(18091)).toMatch(/[0-9a-f]{12}/);
  });
});

// The service keys of the Compose Specification that become a container's
// configuration, each checked by its effect: the inspect field the engine
// keeps and, where it is cheap, what the process sees inside the container
// (its user and groups, limits, sysctls, mounts, resolv.conf and hosts, the
// secrets and configs copied in) or the host's cgroup. One project, brought
// up once, for the whole file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { cgroupDirs } from "../fixtures/daemon.ts";
import { findFiles, writeProject } from "./app-project.ts";
import { composeDaemonForFile } from "./compose-daemon.ts";

const daemon = composeDaemonForFile("cmpk");
const ok = daemon.ok;
const work = mkdtempSync("/tmp/berth-compose-keys-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const project = `
name: keys
services:
  k:
    image: busybox
    container_name: keys-custom
    command: ["sleep", "100000"]
    user: "1234:1234"
    group_add: ["4242"]
    working_dir: /data
    hostname: box
    domainname: example.test
    labels: {tier: back, com.example.x: "1"}
    init: true
    cap_add: [NET_ADMIN]
    cap_drop: [CHOWN]
    security_opt: ["no-new-privileges:true"]
    stop_signal: SIGUSR1
    stop_grace_period: 7s
    ulimits:
      nofile: {soft: 1000, hard: 2000}
      nproc: 500
    sysctls: [net.ipv4.ip_unprivileged_port_start=99]
    extra_hosts: ["h1:10.1.2.3"]
    dns: [10.9.9.9]
    dns_search: [search.test]
    dns_opt: ["ndots:3"]
    logging: {driver: json-file, options: {max-size: 1k, max-file: "2"}}
    mem_limit: 48m
    cpus: 0.25
    pids_limit: 40
    shm_size: 16m
    expose: ["7000", "7001/udp"]
    restart: unless-stopped
    healthcheck: {test: "true", interval: 2s, timeout: 3s, retries: 4, start_period: 5s, start_interval: 1s}
    volumes:
      - type: tmpfs
        target: /scratch
        tmpfs: {size: 4194304}
      - type: bind
        source: ./data
        target: /data
        read_only: true
    networks:
      net: {ipv4_address: 172.31.250.10, aliases: [k-alias]}
    secrets:
      - envsec
      - {source: envsec, target: again, mode: 0444}
    configs:
      - {source: filecfg, target: /etc/app.conf}
      - envcfg
      - {source: inline, target: /inline.txt}
  peer:
    image: busybox
    command: sleep 100000
    stop_signal: SIGKILL
    network_mode: "service:k"
    read_only: true
    tmpfs: /tmp
    depends_on: [k]
  priv:
    image: busybox
    entrypoint: ["sh", "-c"]
    command: ["echo from-tty; exec sleep 100000"]
    stop_signal: SIGKILL
    privileged: true
    tty: true
    stdin_open: true
    healthcheck: {disable: true}
    networks: [net, inner]
    volumes: [tv:/tv]
  flaky:
    image: busybox
    command: sh -c 'exit 3'
    restart: "on-failure:2"
    logging: {driver: none}
    networks: [net]
networks:
  net:
    ipam: {config: [{subnet: 172.31.250.0/24}]}
  inner:
    name: keys-inner
    internal: true
    labels: {purpose: test}
    driver_opts: {com.docker.network.bridge.name: brkeys0}
volumes:
  tv:
    name: keys-tmpvol
    labels: {purpose: test}
    driver_opts: {type: tmpfs, device: tmpfs, o: size=1m}
secrets:
  envsec: {environment: SEC_VALUE}
configs:
  filecfg: {file: ./app.conf}
  envcfg: {environment: CFG_VALUE}
  inline: {content: "inline-\${CFG_VALUE}"}
`;

const dir = join(work, "keys");
const env = { SEC_VALUE: "the-secret", CFG_VALUE: "from-env" };
const inspect = async (name: string) => JSON.parse((await daemon.d.cli(["inspect", name])).stdout)[0];
/** Runs a command in a container (as its user, or `user`); its stdout. */
const inside = async (name: string, cmd: string, user?: string) => (await daemon.d.cli(["exec", ...(user ? ["-u", user] : []), name, "sh", "-c", cmd])).stdout;

/** Polls `probe` until it gives true, `ms` at most. */
async function until(probe: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await Bun.sleep(100)) if (await probe()) return true;
  return probe();
}

describe.if(ok)("service keys, by their effect", () => {
  let k: any;
  beforeAll(async () => {
    writeProject(dir, { "compose.yaml": project, "app.conf": "from-file\n", "data/seen": "bound\n" });
    const up = await daemon.compose(dir, ["up", "-d"], env);
    expect(up.stderr).toContain("Container keys-custom  Started");
    expect(up.code).toBe(0);
    k = await inspect("keys-custom");
  });
  afterAll(async () => {
    if (ok) await daemon.compose(dir, ["down", "-t", "0"], env);
  });

  test("container_name, user, group_add, working_dir, hostname, domainname, labels", async () => {
    expect(k.Name).toBe("/keys-custom");
    expect(k.Config.Labels).toMatchObject({ tier: "back", "com.example.x": "1", "com.docker.compose.service": "k" });
    expect([k.Config.User, k.Config.WorkingDir, k.Config.Hostname, k.Config.Domainname]).toEqual(["1234:1234", "/data", "box", "example.test"]);
    expect(k.HostConfig.GroupAdd).toEqual(["4242"]);
    expect(await inside("keys-custom", "id -u; id -G; pwd; hostname; cat /proc/sys/kernel/domainname")).toBe("1234\n1234 4242\n/data\nbox\nexample.test\n");
  });

  test("init, cap_add, cap_drop, security_opt, privileged", async () => {
    expect(k.HostConfig.Init).toBe(true);
    expect(await inside("keys-custom", "cat /proc/1/cmdline | tr '\\0' ' '")).not.toStartWith("sleep");
    expect([k.HostConfig.CapAdd, k.HostConfig.CapDrop, k.HostConfig.SecurityOpt]).toEqual([["NET_ADMIN"], ["CHOWN"], ["no-new-privileges:true"]]);
    const status = await inside("keys-custom", "cat /proc/self/status");
    const bounding = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(status)![1]}`);
    expect(bounding & (1n << 12n)).toBe(1n << 12n); // CAP_NET_ADMIN
    expect(bounding & 1n).toBe(0n); // CAP_CHOWN
    expect(status).toMatch(/^NoNewPrivs:\s*1$/m);
    const priv = await inspect("keys-priv-1");
    expect(priv.HostConfig.Privileged).toBe(true);
    // Every capability the engine holds.
    const capEff = (status: string) => /^CapEff:\s*([0-9a-f]+)$/m.exec(status)![1];
    expect(capEff(await inside("keys-priv-1", "cat /proc/self/status"))).toBe(capEff(readFileSync(`/proc/${daemon.d.pid}/status`, "utf8")));
  });

  test("mem_limit, cpus, pids_limit, shm_size, ulimits, sysctls: in inspect, the cgroup and the process", async () => {
    const h = k.HostConfig;
    expect([h.Memory, h.NanoCpus, h.PidsLimit, h.ShmSize]).toEqual([48 * 1024 * 1024, 250_000_000, 40, 16 * 1024 * 1024]);
    expect(h.Ulimits).toEqual([{ Name: "nofile", Soft: 1000, Hard: 2000 }, { Name: "nproc", Soft: 500, Hard: 500 }]);
    expect(h.Sysctls).toEqual({ "net.ipv4.ip_unprivileged_port_start": "99" });
    expect(await inside("keys-custom", "ulimit -n; ulimit -Hn; ulimit -u; cat /proc/sys/net/ipv4/ip_unprivileged_port_start")).toBe("1000\n2000\n500\n99\n");
    expect(await inside("keys-custom", "busybox df -k /dev/shm | busybox tail -n 1 | busybox awk '{print $2}'")).toBe(`${16 * 1024}\n`);
    // The memory limit on the container's own cgroup, wherever the daemon's cgroup parent puts it.
    const limits = cgroupDirs(daemon.d.cgroupParent).flatMap((d) => (existsSync(d) ? findFiles(d, k.Id, ["memory.limit_in_bytes", "memory.max"]) : []));
    expect(limits.length).toBeGreaterThan(0);
    for (const f of limits) expect(readFileSync(f, "utf8").trim()).toBe(String(48 * 1024 * 1024));
  });

  test("volumes in long syntax (tmpfs with a size, a read-only bind), tmpfs, read_only", async () => {
    const mounts = await inside("keys-custom", "cat /proc/mounts");
    expect(mounts).toMatch(/^\S+ \/scratch tmpfs \S*size=4096k/m);
    expect(mounts).toMatch(/^\S+ \/data \S+ ro[,\s]/m);
    expect(await inside("keys-custom", "cat /data/seen")).toBe("bound\n");
    const peer = await inspect("keys-peer-1");
    expect(peer.HostConfig.ReadonlyRootfs).toBe(true);
    expect((await daemon.d.cli(["exec", "keys-peer-1", "touch", "/x"])).code).not.toBe(0);
    expect((await daemon.d.cli(["exec", "keys-peer-1", "touch", "/tmp/x"])).code).toBe(0);
  });

  test("networks: ipv4_address and aliases; network_mode service: shares the namespace; expose", async () => {
    expect(k.NetworkSettings.Networks.keys_net.IPAddress).toBe("172.31.250.10");
    expect(k.NetworkSettings.Networks.keys_net.Aliases).toEqual(expect.arrayContaining(["k", "k-alias"]));
    expect(await inside("keys-priv-1", "busybox nslookup k-alias 2>/dev/null | busybox sed -n 's/^Address: //p' | busybox tail -n 1")).toBe("172.31.250.10\n");
    const peer = await inspect("keys-peer-1");
    expect(peer.HostConfig.NetworkMode).toBe(`container:${k.Id}`);
    const netns = await inside("keys-peer-1", "busybox readlink /proc/self/ns/net");
    expect(netns).toMatch(/^net:\[\d+\]\n$/);
    expect(await inside("keys-custom", "busybox readlink /proc/self/ns/net")).toBe(netns);
    expect(Object.keys(k.Config.ExposedPorts).sort()).toEqual(["7000/tcp", "7001/udp"]);
  });

  test("top-level networks and volumes: name, internal, labels, driver options", async () => {
    const net = JSON.parse((await daemon.d.cli(["network", "inspect", "keys-inner"])).stdout)[0];
    expect([net.Internal, net.Options["com.docker.network.bridge.name"]]).toEqual([true, "brkeys0"]);
    expect(net.Labels).toMatchObject({ purpose: "test", "com.docker.compose.project": "keys", "com.docker.compose.network": "inner" });
    const vol = JSON.parse((await daemon.d.cli(["volume", "inspect", "keys-tmpvol"])).stdout)[0];
    expect(vol.Options).toEqual({ type: "tmpfs", device: "tmpfs", o: "size=1m" });
    expect(vol.Labels).toMatchObject({ purpose: "test", "com.docker.compose.volume": "tv" });
    expect(await inside("keys-priv-1", "cat /proc/mounts")).toMatch(/^\S+ \/tv tmpfs \S*size=1024k/m);
    expect(Object.keys((await inspect("keys-priv-1")).NetworkSettings.Networks).sort()).toEqual(["keys-inner", "keys_net"]);
  });

  test("extra_hosts, dns, dns_search, dns_opt reach /etc/hosts and /etc/resolv.conf", async () => {
    expect([k.HostConfig.ExtraHosts, k.HostConfig.Dns, k.HostConfig.DnsSearch, k.HostConfig.DnsOptions]).toEqual([["h1:10.1.2.3"], ["10.9.9.9"], ["search.test"], ["ndots:3"]]);
    expect(await inside("keys-custom", "cat /etc/hosts")).toMatch(/^10\.1\.2\.3\s+h1$/m);
    const resolv = await inside("keys-custom", "cat /etc/resolv.conf");
    expect(resolv).toMatch(/^search search\.test$/m);
    expect(resolv).toMatch(/^options ndots:3$/m);
  });

  test("secrets and configs from the environment, a file and content; a secret's mode", async () => {
    expect(await inside("keys-custom", "cat /run/secrets/envsec; echo; cat /run/secrets/again; echo; busybox stat -c '%a %u' /run/secrets/envsec /run/secrets/again", "0")).toBe("the-secret\nthe-secret\n400 0\n444 0\n");
    expect(await inside("keys-custom", "cat /etc/app.conf /envcfg; echo; cat /inline.txt")).toBe("from-file\nfrom-env\ninline-from-env");
  });

  test("stop_signal, stop_grace_period, healthcheck, logging, restart, tty, stdin_open, entrypoint", async () => {
    expect([k.Config.StopSignal, k.Config.StopTimeout]).toEqual(["SIGUSR1", 7]);
    expect(k.Config.Healthcheck).toEqual({ Test: ["CMD-SHELL", "true"], Interval: 2e9, Timeout: 3e9, Retries: 4, StartPeriod: 5e9, StartInterval: 1e9 });
    expect(await until(async () => (await inspect("keys-custom")).State.Health?.Status === "healthy", 30_000)).toBe(true);
    expect((await inspect("keys-priv-1")).Config.Healthcheck).toEqual({ Test: ["NONE"] });
    expect(k.HostConfig.LogConfig).toEqual({ Type: "json-file", Config: { "max-size": "1k", "max-file": "2" } });
    expect(k.HostConfig.RestartPolicy).toEqual({ Name: "unless-stopped", MaximumRetryCount: 0 });
    // on-failure:2 restarts a failing container twice, then leaves it exited; its logging driver keeps nothing.
    expect(await until(async () => {
      const s = await inspect("keys-flaky-1");
      return s.RestartCount === 2 && !s.State.Running && !s.State.Restarting;
    }, 60_000)).toBe(true);
    const flaky = await inspect("keys-flaky-1");
    expect([flaky.HostConfig.RestartPolicy, flaky.State.ExitCode, flaky.HostConfig.LogConfig.Type]).toEqual([{ Name: "on-failure", MaximumRetryCount: 2 }, 3, "none"]);
    // tty: the main process writes to a terminal.
    const priv = await inspect("keys-priv-1");
    expect([priv.Config.Tty, priv.Config.OpenStdin, priv.Config.Entrypoint]).toEqual([true, true, ["sh", "-c"]]);
    expect(await inside("keys-priv-1", "busybox readlink /proc/1/fd/1")).toMatch(/^\/dev\/(pts\/\d+|console)\n$/);
    expect(await inside("keys-custom", "busybox readlink /proc/1/fd/1", "0")).not.toMatch(/^\/dev\//);
  });
});

// The service keys whose engine side is more than a copy, each by its effect:
// CPU and memory settings in the host's cgroup, devices and device cgroup
// rules opened inside, the cgroup namespace, the MAC address, links and
// external links answered by the network's DNS, volumes_from, label_file,
// annotations, deploy.restart_policy, post_start and pre_stop hooks, the memory
// reservation, swappiness and OOM killer; the
// domain name (run --domainname too); compose's warning for a file secret's
// mode; and the keys berth refuses, naming the service and the key, before
// anything is made.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { hostname } from "node:os";
import { cgroupDirs } from "../fixtures/daemon.ts";
import { findFiles, writeProject } from "./app-project.ts";
import { composeDaemonForFile } from "./compose-daemon.ts";
import { formatPlatform, hostPlatform } from "../../src/image/platform.ts";

const daemon = composeDaemonForFile("cmpe");
const ok = daemon.ok;
const work = mkdtempSync("/tmp/berth-compose-engine-keys-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Every service is on an external network where a container from outside the project already runs.
const project = `
name: hk
services:
  base:
    image: busybox
    command: ["sleep", "100000"]
    stop_signal: SIGKILL
    ipc: shareable
    volumes: [/shared]
    post_start:
      - command: sh -c 'echo "started-$$HOOKVAR as $$(id -u)" > /shared/post'
        environment: {HOOKVAR: "yes"}
        user: "0"
    pre_stop:
      - command: ["sh", "-c", "echo stopping > /shared/pre"]
  k:
    image: busybox
    command: ["sleep", "100000"]
    stop_signal: SIGKILL
    hostname: box
    domainname: example.test
    platform: ${formatPlatform(hostPlatform())}
    cpu_shares: 512
    cpuset: "0"
    cpu_period: 50000
    cpu_quota: 25000
    mem_limit: 32m
    memswap_limit: 64m
    mem_reservation: 16m
    mem_swappiness: 10
    oom_kill_disable: true
    oom_score_adj: 300
    devices: ["/dev/loop-control:/dev/lc:rwm"]
    cgroup: host
    userns_mode: host
    ipc: private
    runtime: berth
    mac_address: "02:42:ac:11:00:99"
    annotations: {com.example.note: hi}
    label_file: ./labels.env
    labels: {shared: from-yaml}
    links: ["base:db"]
    external_links: ["hk-outside:out"]
    volumes_from: ["base:ro"]
    secrets:
      - {source: filesec, mode: 0400}
  dr:
    image: busybox
    command: ["sleep", "100000"]
    stop_signal: SIGKILL
    device_cgroup_rules: ["c 10:237 rwm"]
    uts: host
    pid: host
    ipc: service:base
    volumes_from: ["container:hk-outside"]
    deploy: {restart_policy: {condition: on-failure, max_attempts: 3}}
  pj:
    image: busybox
    command: ["sleep", "100000"]
    stop_signal: SIGKILL
    pid: service:base
networks:
  default: {name: hk-ext, external: true}
secrets:
  filesec: {file: ./sec.txt}
`;

const dir = join(work, "hk");
const inspect = async (name: string) => JSON.parse((await daemon.d.cli(["inspect", name])).stdout)[0];
/** Runs a shell command in a container; its exit code and output. */
const sh = async (name: string, cmd: string) => {
  const r = await daemon.d.cli(["exec", name, "sh", "-c", cmd]);
  return { code: r.code, out: r.stdout };
};
/** The first address busybox's nslookup gives for `host`, asked from a container. */
const lookUp = async (name: string, host: string) => (await sh(name, `busybox nslookup ${host} 2>/dev/null | busybox sed -n 's/^Address: //p' | busybox tail -n 1`)).out.trim();
/** A cgroup file of a container on the host, from whichever controller holds it. */
const cgroupFile = (id: string, file: string) => cgroupDirs(daemon.d.cgroupParent).flatMap((d) => (existsSync(d) ? findFiles(d, id, [file]) : []));

describe.if(ok)("service keys the engine honours, by their effect", () => {
  let up: { stdout: string; stderr: string; code: number };
  let k: any;
  beforeAll(async () => {
    writeProject(dir, { "compose.yaml": project, "labels.env": "shared=from-file\nonly=file\n", "sec.txt": "file-secret\n" });
    expect((await daemon.d.cli(["network", "create", "hk-ext"])).code).toBe(0);
    expect((await daemon.d.cli(["run", "-d", "--name", "hk-outside", "--network", "hk-ext", "-v", "/outvol", "busybox", "sleep", "100000"])).code).toBe(0);
    up = await daemon.compose(dir, ["up", "-d"]);
    expect(up.stderr).toContain("Container hk-k-1  Started");
    expect(up.code).toBe(0);
    k = await inspect("hk-k-1");
  });
  afterAll(async () => {
    if (ok) await daemon.compose(dir, ["down", "-t", "0"]);
  });

  test("cpu_shares, cpuset, cpu_period, cpu_quota, memswap_limit, mem_reservation, mem_swappiness, oom_kill_disable, oom_score_adj: in inspect, the cgroup and the process", async () => {
    const h = k.HostConfig;
    expect([h.CpuShares, h.CpusetCpus, h.CpuPeriod, h.CpuQuota, h.Memory, h.MemorySwap, h.OomScoreAdj]).toEqual([512, "0", 50000, 25000, 32 << 20, 64 << 20, 300]);
    expect(h.MemoryReservation).toBe(16 << 20);
    const wanted: [string, string][] = [
      ["cpu.shares", "512"], ["cpu.cfs_period_us", "50000"], ["cpu.cfs_quota_us", "25000"], ["cpuset.cpus", "0"], ["memory.memsw.limit_in_bytes", String(64 << 20)],
      ["memory.soft_limit_in_bytes", String(16 << 20)], ["memory.swappiness", "10"],
    ];
    // cgroup v2 has no swappiness or OOM switch: the daemon warns and drops them, as dockerd does.
    const v2: [string, string][] = [["cpu.max", "25000 50000"], ["cpuset.cpus", "0"], ["memory.swap.max", String(32 << 20)], ["memory.low", String(16 << 20)]];
    const v1 = cgroupFile(k.Id, "cpu.shares").length > 0;
    for (const [file, value] of v1 ? wanted : v2) {
      const found = cgroupFile(k.Id, file);
      expect(found.length).toBeGreaterThan(0);
      for (const f of found) expect(`${file}=${readFileSync(f, "utf8").trim()}`).toBe(`${file}=${value}`);
    }
    if (v1) {
      const oom = cgroupFile(k.Id, "memory.oom_control");
      expect(oom.length).toBeGreaterThan(0);
      for (const f of oom) expect(readFileSync(f, "utf8")).toContain("oom_kill_disable 1");
    }
    expect((await sh("hk-k-1", "cat /proc/self/oom_score_adj; busybox grep Cpus_allowed_list /proc/self/status")).out).toMatch(/^300\nCpus_allowed_list:\s+0\n$/);
  });

  test("blkio_config: each device's limits reach HostConfig as docker compose maps them, and the container's cgroup", async () => {
    const dev = `/dev/${readdirSync("/sys/block").find((n) => n.startsWith("loop")) ?? readdirSync("/sys/block")[0]}`;
    const d = writeProject(join(work, "blkio"), {
      "compose.yaml": `name: hkb\nservices:\n  s:\n    image: busybox\n    command: sleep 100000\n    stop_signal: SIGKILL\n    blkio_config:\n      device_read_bps: [{path: ${dev}, rate: 1mb}]\n      device_write_iops: [{path: ${dev}, rate: 30}]\n`,
    });
    try {
      const r = await daemon.compose(d, ["up", "-d"]);
      expect(r.code).toBe(0);
      const h = (await inspect("hkb-s-1")).HostConfig;
      expect([h.BlkioDeviceReadBps, h.BlkioDeviceWriteIOps]).toEqual([[{ Path: dev, Rate: 1048576 }], [{ Path: dev, Rate: 30 }]]);
    } finally {
      await daemon.compose(d, ["down", "-t", "0"]);
    }
  });

  test("devices and device_cgroup_rules: a node given in, a node made under a rule opens, and not without it", async () => {
    expect(k.HostConfig.Devices).toEqual([{ PathOnHost: "/dev/loop-control", PathInContainer: "/dev/lc", CgroupPermissions: "rwm" }]);
    expect((await sh("hk-k-1", "test -c /dev/lc && head -c 0 < /dev/lc")).code).toBe(0);
    expect((await inspect("hk-dr-1")).HostConfig.DeviceCgroupRules).toEqual(["c 10:237 rwm"]);
    const openMade = "mknod /tmp/lc c 10 237 && head -c 0 < /tmp/lc";
    expect((await sh("hk-dr-1", openMade)).code).toBe(0);
    expect((await sh("hk-base-1", openMade)).code).not.toBe(0);
  });

  test("cgroup: host, userns_mode, ipc (private, shareable, service:), uts: host, pid (host, service:), runtime, annotations, platform", async () => {
    const h = k.HostConfig;
    expect([h.CgroupnsMode, h.UsernsMode, h.IpcMode, h.Runtime, h.Annotations]).toEqual(["host", "host", "private", "berth", { "com.example.note": "hi" }]);
    // The host's cgroup namespace shows the container's own cgroup by its full path; a private one shows "/".
    expect((await sh("hk-k-1", "cat /proc/self/cgroup")).out).toContain(k.Id.slice(0, 12));
    expect((await sh("hk-base-1", "cat /proc/self/cgroup")).out).not.toContain((await inspect("hk-base-1")).Id.slice(0, 12));
    // Its own IPC namespace.
    expect((await sh("hk-k-1", "busybox readlink /proc/self/ns/ipc")).out.trim()).not.toBe(readlinkSync("/proc/self/ns/ipc"));
    // ipc: service:base, the IPC namespace and /dev/shm of base (ipc: shareable).
    expect((await inspect("hk-dr-1")).HostConfig.IpcMode).toBe(`container:${(await inspect("hk-base-1")).Id}`);
    const baseIpc = (await sh("hk-base-1", "echo seen > /dev/shm/from-base; busybox readlink /proc/self/ns/ipc")).out;
    expect((await sh("hk-dr-1", "cat /dev/shm/from-base; busybox readlink /proc/self/ns/ipc")).out).toBe(`seen\n${baseIpc}`);
    // pid: service:base, base's PID namespace.
    expect((await inspect("hk-pj-1")).HostConfig.PidMode).toBe(`container:${(await inspect("hk-base-1")).Id}`);
    expect((await sh("hk-pj-1", "busybox readlink /proc/self/ns/pid")).out).toBe((await sh("hk-base-1", "busybox readlink /proc/self/ns/pid")).out);
    // uts: host, the host's UTS namespace and name.
    expect((await inspect("hk-dr-1")).HostConfig.UTSMode).toBe("host");
    expect((await sh("hk-dr-1", "busybox readlink /proc/self/ns/uts; hostname")).out).toBe(`${readlinkSync("/proc/self/ns/uts")}\n${hostname()}\n`);
    // pid: host, the host's PID namespace.
    expect((await inspect("hk-dr-1")).HostConfig.PidMode).toBe("host");
    expect((await sh("hk-dr-1", "busybox readlink /proc/self/ns/pid")).out.trim()).toBe(readlinkSync("/proc/self/ns/pid"));
  });

  test("domainname in the UTS namespace, through compose and run --domainname", async () => {
    expect((await sh("hk-k-1", "hostname; cat /proc/sys/kernel/domainname")).out).toBe("box\nexample.test\n");
    const run = await daemon.d.cli(["run", "--rm", "--network", "none", "--domainname", "run.test", "busybox", "cat", "/proc/sys/kernel/domainname"]);
    expect([run.code, run.stdout]).toEqual([0, "run.test\n"]);
    const plain = await daemon.d.cli(["run", "--rm", "--network", "none", "busybox", "cat", "/proc/sys/kernel/domainname"]);
    expect(plain.stdout).toBe("(none)\n");
  });

  test("mac_address, links and external_links through the network's DNS", async () => {
    expect(k.NetworkSettings.Networks["hk-ext"].MacAddress).toBe("02:42:ac:11:00:99");
    expect((await sh("hk-k-1", "cat /sys/class/net/eth0/address")).out).toBe("02:42:ac:11:00:99\n");
    expect(k.HostConfig.Links).toEqual(expect.arrayContaining(["hk-base-1:db", "hk-base-1:base-1", "hk-base-1:hk-base-1", "hk-outside:out"]));
    const baseIp = (await inspect("hk-base-1")).NetworkSettings.Networks["hk-ext"].IPAddress;
    const outIp = (await inspect("hk-outside")).NetworkSettings.Networks["hk-ext"].IPAddress;
    expect(await lookUp("hk-k-1", "db")).toBe(baseIp);
    expect(await lookUp("hk-k-1", "out")).toBe(outIp);
    // A link's alias is the linking container's alone.
    expect(await lookUp("hk-dr-1", "db")).toBe("");
  });

  test("volumes_from a service (read-only) and a container; post_start ran before the service counted as started", async () => {
    expect(k.HostConfig.VolumesFrom).toEqual(["hk-base-1:ro"]);
    expect((await sh("hk-k-1", "cat /shared/post")).out).toBe("started-yes as 0\n");
    expect((await sh("hk-k-1", "touch /shared/x")).code).not.toBe(0);
    expect((await inspect("hk-dr-1")).HostConfig.VolumesFrom).toEqual(["hk-outside"]);
    expect((await sh("hk-dr-1", "touch /outvol/x && echo ok")).out).toBe("ok\n");
    // links and volumes_from made base a dependency, as compose's loader does.
    const config = await daemon.compose(dir, ["config"]);
    expect(config.stdout).toMatch(/k:\n(?:.*\n)*?\s+depends_on:\n\s+base:\n\s+condition: service_started/);
  });

  test("label_file under labels; deploy.restart_policy; a file secret's mode is ignored with compose's warning", async () => {
    expect(k.Config.Labels).toMatchObject({ shared: "from-yaml", only: "file" });
    expect((await inspect("hk-dr-1")).HostConfig.RestartPolicy).toEqual({ Name: "on-failure", MaximumRetryCount: 3 });
    expect(up.stderr).toContain("WARN[0000] secrets `uid`, `gid` and `mode` are not supported, they will be ignored");
    expect((await sh("hk-k-1", "cat /run/secrets/filesec; busybox stat -c %a /run/secrets/filesec")).out).toBe("file-secret\n644\n");
  });

  test("pre_stop runs in the container before it stops", async () => {
    const base = await inspect("hk-base-1");
    const volume = base.Mounts.find((m: any) => m.Destination === "/shared").Source;
    expect(existsSync(join(volume, "pre"))).toBe(false);
    const stop = await daemon.compose(dir, ["stop", "base"]);
    expect(stop.code).toBe(0);
    expect(readFileSync(join(volume, "pre"), "utf8")).toBe("stopping\n");
  });
});

describe.if(ok)("service keys berth refuses, and a failing hook", () => {
  const refused: [string, string, string][] = [
    ["cgroup_parent: custom", "cgroup_parent", "cgroup_parent is not supported by berth"],
    ["pid: bogus", "pid", "pid is not supported by berth"],
    ["platform: linux/s390x", "platform", "platform linux/s390x is not supported by berth"],
    ["uts: private", "uts", "uts is not supported by berth"],
    ["ipc: bogus", "ipc", "ipc is not supported by berth"],
    ["storage_opt: {size: 1G}", "storage_opt", "storage_opt is not supported by berth"],
    ["cpu_rt_runtime: 1000", "cpu_rt_runtime", "cpu_rt_runtime is not supported by berth"],
    ["isolation: hyperv", "isolation", "isolation is not supported by berth"],
    ["volumes: [{type: volume, source: v, target: /v, volume: {subpath: sub}}]\nvolumes: {v: {}}", "subpath", "volumes.volume.subpath is not supported by berth"],
    ["networks: {default: {link_local_ips: [169.254.8.8]}}", "link_local_ips", "networks.link_local_ips is not supported by berth"],
  ];
  for (const [yaml, key, message] of refused) {
    test(`${key}: refused naming the service, nothing made`, async () => {
      const d = writeProject(join(work, `refuse-${key}`), { "compose.yaml": `name: hkr\nservices:\n  svc:\n    image: busybox\n    ${yaml}\n` });
      const r = await daemon.compose(d, ["up", "-d"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`service "svc": ${message}`);
      expect((await daemon.d.cli(["network", "ls", "-q", "--filter", "name=hkr_default"])).stdout).toBe("");
    });
  }

  test("gpus and runtime the engine lacks fail with the daemon's words", async () => {
    const gpus = writeProject(join(work, "gpus"), { "compose.yaml": "name: hkg\nservices:\n  svc:\n    image: busybox\n    gpus: all\n" });
    const g = await daemon.compose(gpus, ["up", "-d"]);
    expect(g.code).not.toBe(0);
    expect(g.stderr).toContain('could not select device driver "" with capabilities: [[gpu]]');
    const rt = writeProject(join(work, "runtime"), { "compose.yaml": "name: hkt\nservices:\n  svc:\n    image: busybox\n    runtime: nvidia\n" });
    const r = await daemon.compose(rt, ["up", "-d"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("unknown or invalid runtime name: nvidia");
    expect((await daemon.d.cli(["ps", "-aq", "--filter", "label=com.docker.compose.project=hkt"])).stdout).toBe("");
  });

  test("a post_start hook that fails fails up with compose's words", async () => {
    const d = writeProject(join(work, "hook"), { "compose.yaml": "name: hkh\nservices:\n  bad:\n    image: busybox\n    command: sleep 100000\n    stop_signal: SIGKILL\n    post_start:\n      - command: sh -c 'exit 3'\n" });
    const r = await daemon.compose(d, ["up", "-d"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("bad hook exited with status 3");
    await daemon.compose(d, ["down", "-t", "0"]);
  });
});

describe.if(ok)("hooks under compose run and restart", () => {
  // The command waits for the hook's file, so it sees whether the hook ran while it did.
  const waitForHook = "for i in $(seq 100); do [ -f /dev/shm/h ] && { cat /dev/shm/h; exit 0; }; sleep 0.1; done; echo no-hook";
  const d = () => writeProject(join(work, "runhook"), {
    "compose.yaml": `name: hkr2
services:
  ok:
    image: busybox
    command: sleep 100000
    stop_signal: SIGKILL
    post_start:
      - command: sh -c 'echo "hooked as $$(id -u) in $$(pwd)" > h'
        user: nobody
        working_dir: /dev/shm
  bad:
    image: busybox
    stop_signal: SIGKILL
    post_start:
      - command: sh -c 'exit 4'
  rs:
    image: busybox
    command: sleep 100000
    stop_signal: SIGKILL
    volumes: [hooklog:/log]
    post_start:
      - command: sh -c 'echo start >> /log/h'
    pre_stop:
      - command: sh -c 'echo stop >> /log/h'
volumes:
  hooklog: {}
`,
  });

  test("run's container gets its service's post_start hooks, attached and detached", async () => {
    const dir = d();
    const r = await daemon.compose(dir, ["run", "--rm", "-T", "ok", "sh", "-c", waitForHook]);
    expect(r.stdout).toBe("hooked as 65534 in /dev/shm\n");
    expect(r.code).toBe(0);
    const det = await daemon.compose(dir, ["run", "-d", "ok"]);
    expect(det.code).toBe(0);
    const name = det.stdout.trim();
    // run -d returns once the hooks have run.
    expect((await daemon.d.cli(["exec", name, "cat", "/dev/shm/h"])).stdout).toBe("hooked as 65534 in /dev/shm\n");
    await daemon.compose(dir, ["down", "-t", "0"]);
  });

  test("restart runs pre_stop, then post_start, as docker compose's restart does", async () => {
    const dir = d();
    expect((await daemon.compose(dir, ["up", "-d", "rs"])).code).toBe(0);
    expect((await daemon.compose(dir, ["restart", "rs"])).code).toBe(0);
    expect((await daemon.d.cli(["exec", "hkr2-rs-1", "cat", "/log/h"])).stdout).toBe("start\nstop\nstart\n");
    await daemon.compose(dir, ["down", "-v", "-t", "0"]);
  });

  test("a failing post_start fails a run whose command succeeded, with compose's words; the command's own failure comes first", async () => {
    const dir = d();
    const r = await daemon.compose(dir, ["run", "--rm", "-T", "bad", "sleep", "2"]);
    expect(r.stderr).toContain("bad hook exited with status 4");
    expect(r.code).toBe(1);
    const own = await daemon.compose(dir, ["run", "--rm", "-T", "bad", "sh", "-c", "sleep 2; exit 5"]);
    expect(own.code).toBe(5);
    expect(own.stderr).not.toContain("hook exited");
    await daemon.compose(dir, ["down", "-t", "0"]);
  });
});

describe.if(ok)("build.cache_from", () => {
  test("an image named in cache_from stands in for the pruned build cache; without it the steps run", async () => {
    const d = writeProject(join(work, "cache"), {
      // The RUN writes something new each time it runs: a build that ran it cannot come out with the cached layer by chance.
      "c/Dockerfile": "FROM busybox\nRUN cat /proc/sys/kernel/random/uuid > /first\nCMD [\"cat\", \"/first\"]\n",
      "compose.yaml": "name: hkc\nservices:\n  cached:\n    image: hkc:cached\n    build: {context: ./c, cache_from: [hkc:src]}\n  plain:\n    image: hkc:plain\n    build: ./c\n",
    });
    expect((await daemon.d.cli(["build", "-q", "-t", "hkc:src", join(d, "c")], { timeoutMs: 120_000 })).code).toBe(0);
    const layers = async (ref: string) => JSON.parse((await daemon.d.cli(["image", "inspect", ref])).stdout)[0].RootFS.Layers;
    const srcLayers = await layers("hkc:src");
    const prune = async () => expect((await daemon.d.cli(["builder", "prune", "-f"])).code).toBe(0);
    await prune();
    const cached = await daemon.compose(d, ["build", "cached"]);
    expect(cached.code).toBe(0);
    expect(cached.stdout + cached.stderr).toContain("Using cache");
    expect(cached.stdout + cached.stderr).not.toContain("Running in");
    // The RUN's layer is the source image's (compose's labels make the last image a new one).
    expect(await layers("hkc:cached")).toEqual(srcLayers);
    await prune();
    const plain = await daemon.compose(d, ["build", "plain"]);
    expect(plain.code).toBe(0);
    expect(plain.stdout + plain.stderr).toContain("Running in");
    expect((await layers("hkc:plain")).at(-1)).not.toBe(srcLayers.at(-1));
  }, 240_000);
});

describe.if(ok)("volume and network options", () => {
  test("short-syntax z and propagation, a long bind's propagation, a tmpfs's mode; network priority, gw_priority, driver_opts", async () => {
    const d = writeProject(join(work, "hv"), {
      "src/seen": "bound\n",
      "prop/.keep": "",
      "compose.yaml": [
        "name: hv",
        "services:",
        "  v:",
        "    image: busybox",
        '    command: ["sleep", "100000"]',
        "    stop_signal: SIGKILL",
        "    volumes:",
        "      - ./src:/src:ro,z,private",
        "      - {type: bind, source: ./prop, target: /prop, bind: {propagation: private}}",
        "      - {type: tmpfs, target: /t, tmpfs: {size: 1048576, mode: 01777}}",
        "    networks:",
        "      a: {gw_priority: 5, driver_opts: {com.example.opt: x}}",
        "      z: {priority: 10}",
        "networks: {a: {}, z: {}}",
        "",
      ].join("\n"),
    });
    const up = await daemon.compose(d, ["up", "-d"]);
    expect(up.code).toBe(0);
    try {
      const v = await inspect("hv-v-1");
      expect(v.HostConfig.Binds).toEqual([`${d}/src:/src:ro,z,private`, `${d}/prop:/prop:private`]);
      const byDest = Object.fromEntries(v.Mounts.map((m: any) => [m.Destination, m]));
      expect([byDest["/src"].Mode, byDest["/src"].RW, byDest["/src"].Propagation, byDest["/prop"].Propagation]).toEqual(["ro,z,private", false, "private", "private"]);
      expect((await sh("hv-v-1", "cat /src/seen; busybox stat -c %a /t")).out).toBe("bound\n1777\n");
      // The highest priority is the primary network; the highest gw_priority gives the default route.
      expect(v.HostConfig.NetworkMode).toBe("hv_z");
      expect(v.NetworkSettings.Networks.hv_a.DriverOpts).toEqual({ "com.example.opt": "x" });
      const gateway = JSON.parse((await daemon.d.cli(["network", "inspect", "hv_a"])).stdout)[0].IPAM.Config[0].Gateway;
      expect((await sh("hv-v-1", "busybox ip route | busybox grep ^default")).out).toContain(`default via ${gateway} `);
    } finally {
      await daemon.compose(d, ["down", "-t", "0"]);
    }
  });

  test("attach: false leaves a service's output and exit out of an attached up", async () => {
    const d = writeProject(join(work, "ha"), {
      "compose.yaml": "name: ha\nservices:\n  a: {image: busybox, command: sh -c 'echo a-ran'}\n  quiet: {image: busybox, command: sh -c 'echo quiet-ran; exec sleep 100000', stop_signal: SIGKILL, attach: false}\n",
    });
    const r = await daemon.compose(d, ["up", "--no-color"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^a-1 +\| a-ran$/m);
    expect(r.stdout).not.toContain("quiet-ran");
    expect((await inspect("ha-quiet-1")).State.Running).toBe(true);
    await daemon.compose(d, ["down", "-t", "0"]);
  });
});

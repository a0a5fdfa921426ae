// Engine API: /_ping, /version, /info, /events.
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { release, totalmem, hostname, availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import { apiVersion, minApiVersion, version, gitCommit, buildTime } from "../../version.ts";
import type { Daemon } from "../../daemon/daemon.ts";
import { eventMatches } from "../../daemon/events.ts";
import { parseFilters } from "./containers.ts";
import { buildCacheUsage } from "./build.ts";
import { InvalidParameterError } from "../../errors.ts";
import { securityOptions, securityWarnings } from "../../daemon/containers/seccomp.ts";
import { defaultRuntime, runtimeNames } from "../../daemon/containers/config.ts";

export const goArch = (): string => ({ x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" } as Record<string, string>)[process.arch] ?? process.arch;

function operatingSystem(): string {
  try {
    return /PRETTY_NAME="?([^"\n]*)"?/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "Linux";
  } catch {
    return "Linux";
  }
}

export function versionInfo() {
  return {
    Platform: { Name: "berth" },
    Components: [{ Name: "Engine", Version: version, Details: { ApiVersion: apiVersion, MinAPIVersion: minApiVersion, GitCommit: gitCommit, GoVersion: `bun${Bun.version}`, Os: "linux", Arch: goArch(), KernelVersion: release(), BuildTime: buildTime, Experimental: "false" } }],
    Version: version,
    ApiVersion: apiVersion,
    MinAPIVersion: minApiVersion,
    GitCommit: gitCommit,
    GoVersion: `bun${Bun.version}`,
    Os: "linux",
    Arch: goArch(),
    KernelVersion: release(),
    BuildTime: buildTime,
  };
}

/** dockerd's RegistryConfig: CIDRs and hostnames from --insecure-registry, loopback always insecure. */
export function registryConfig(insecure: string[], mirrors: string[]) {
  const cidrs = ["127.0.0.0/8", ...insecure.filter((r) => /^[\d.]+\/\d+$|^[0-9a-f:]+\/\d+$/i.test(r))];
  const indexConfigs: Record<string, unknown> = {
    "docker.io": { Name: "docker.io", Mirrors: mirrors, Secure: true, Official: true },
  };
  for (const r of insecure) {
    if (cidrs.includes(r)) continue;
    indexConfigs[r] = { Name: r, Mirrors: [], Secure: false, Official: false };
  }
  return {
    AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null,
    InsecureRegistryCIDRs: [...new Set(cidrs)], IndexConfigs: indexConfigs, Mirrors: mirrors,
  };
}

const eventFilterKeys = ["config", "container", "daemon", "event", "image", "label", "network", "node", "plugin", "scope", "secret", "service", "type", "volume"];

/** Live events a client may leave unread before its stream is ended (dockerd's subscriber buffer holds 1024). */
const MAX_PENDING_EVENTS = 1024;
const MAX_PENDING_BYTES = 16 << 20;

export function systemRoutes(d: Daemon): Hono {
  const app = new Hono();
  const ping = (c: any) => {
    c.header("Cache-Control", "no-cache, no-store, must-revalidate");
    c.header("Pragma", "no-cache");
    c.header("Builder-Version", "1");
    c.header("Content-Type", "text/plain; charset=utf-8");
    return c.body(c.req.method === "HEAD" ? null : "OK");
  };
  app.get("/_ping", ping);
  app.on("HEAD", "/_ping", ping);

  app.get("/version", (c) => c.json(versionInfo()));

  app.get("/info", (c) => {
    const { total, running, paused } = d.containers.counts();
    return c.json({
      ID: d.id,
      Containers: total,
      ContainersRunning: running,
      ContainersPaused: paused,
      ContainersStopped: total - running - paused,
      Images: d.images.count(),
      Driver: d.runtime.storageDriver,
      // The layer engine is the storage driver's business: the docker CLI prints it under "Storage Driver" too.
      DriverStatus: [
        ["Backing Filesystem", "extfs"], ["Supports d_type", "true"], ["Layer Engine", d.config.layerEngine],
        // How remapped containers get the image's files: idmapped views of the one copy on disk, or chowned copies where those are refused.
        ...(d.runtime.userns ? [["Remapped Layers", remappedLayers(d.runtime.storageDriver, d.runtime.userns.chownedLayers)]] : []),
      ],
      Plugins: { Volume: ["local"], Network: ["bridge", "host", "null"], Authorization: null, Log: ["json-file"] },
      MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
      OomKillDisable: false, IPv4Forwarding: d.networks.firewall.forwarding(), Debug: d.config.logLevel === "debug" || !!d.config.debug,
      NFd: 0, NGoroutines: 0, SystemTime: new Date().toISOString(), LoggingDriver: "json-file",
      CgroupDriver: "cgroupfs", CgroupVersion: d.cgroupVersion, NEventsListener: 0,
      KernelVersion: release(), OperatingSystem: operatingSystem(), OSVersion: "", OSType: "linux", Architecture: process.arch === "x64" ? "x86_64" : process.arch === "arm64" ? "aarch64" : process.arch,
      IndexServerAddress: "https://index.docker.io/v1/",
      RegistryConfig: registryConfig(d.config.insecureRegistries, d.config.registryMirrors),
      NCPU: availableParallelism(), MemTotal: totalmem(), GenericResources: null,
      DockerRootDir: d.config.dataRoot, HttpProxy: "", HttpsProxy: "", NoProxy: "", Name: hostname(), Labels: [],
      ExperimentalBuild: false, ServerVersion: version,
      Runtimes: Object.fromEntries(runtimeNames.map((name) => [name, { path: process.execPath }])), DefaultRuntime: defaultRuntime,
      Swarm: { NodeID: "", NodeAddr: "", LocalNodeState: "inactive", ControlAvailable: false, Error: "", RemoteManagers: null },
      LiveRestoreEnabled: true, Isolation: "", InitBinary: "", ContainerdCommit: { ID: "" }, RuncCommit: { ID: "" }, InitCommit: { ID: "" },
      // dockerd lists name=userns when it runs with --userns-remap.
      SecurityOptions: [...securityOptions(d.cgroupVersion, d.containers.security), ...(d.runtime.userns ? ["name=userns"] : [])],
      FirewallBackend: d.networks.firewall.backend(),
      Warnings: [...d.warnings, ...[d.networks.firewall.warning()].filter(Boolean), ...securityWarnings(d.containers.security)],
    });
  });

  app.get("/system/df", async (c) => {
    const { layersSize, images } = await d.images.diskUsage();
    const containers = d.containers.list({ all: true, size: true });
    return c.json({
      LayersSize: layersSize,
      Images: images.map((i) => ({ ...i, Containers: containers.filter((x) => x.ImageID === i.Id).length })),
      Containers: containers,
      Volumes: d.containers.mounts.volumes.usage(),
      BuildCache: await buildCacheUsage(d),
    });
  });

  app.get("/events", (c) => {
    const filters = parseFilters(c.req.query("filters"));
    for (const k of Object.keys(filters)) {
      if (!eventFilterKeys.includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
    }
    const num = (v?: string) => {
      if (!v) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new InvalidParameterError(`failed to parse value ${v} as a timestamp`);
      return n;
    };
    const since = num(c.req.query("since"));
    const until = num(c.req.query("until"));
    c.header("Content-Type", "application/json");
    return stream(c, async (s) => {
      // Either bound replays the stored events (from the first one when only --until is given), as dockerd does.
      // Read from the log as they are written: each write waits for the client.
      const past = since !== undefined || until !== undefined ? d.events.since(since ?? 0, until) : [];
      for (const e of past) if (eventMatches(e, filters)) await s.write(JSON.stringify(e) + "\n");
      if (until !== undefined && until * 1000 <= Date.now()) return;
      await new Promise<void>((resolve) => {
        // Written as they come; a client that lets this many pile up unread is dropped, as dockerd
        // drops a subscriber whose buffer stays full: it cannot grow the daemon's memory.
        let pending = 0;
        let pendingBytes = 0;
        const stop = d.events.subscribe((e) => {
          if (!eventMatches(e, filters)) return;
          if (pending >= MAX_PENDING_EVENTS || pendingBytes >= MAX_PENDING_BYTES) return end();
          const line = JSON.stringify(e) + "\n";
          pending++;
          pendingBytes += line.length;
          const written = () => {
            pending--;
            pendingBytes -= line.length;
          };
          s.write(line).then(written, written); // a failed write: the client went away, and the subscription ends with the stream
        });
        const end = () => { stop(); resolve(); };
        c.req.raw.signal.addEventListener("abort", end);
        if (until !== undefined) setTimeout(end, Math.max(0, until * 1000 - Date.now()));
      });
    });
  });
  return app;
}

/** info's "Remapped Layers": chowned copies per layer and mapping (overlay) or per container (vfs, whose roots are copies anyway). */
function remappedLayers(driver: string, chowned: string | undefined): string {
  if (!chowned) return "idmapped mounts (shared by every mapping)";
  return driver === "vfs" ? "chowned copies (one per container)" : "chowned copies (one per layer and mapping)";
}

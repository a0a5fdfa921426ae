// `berth daemon`: the startup layer above the engine and the Engine API. It
// opens the store, seeds the built-in images, builds the engine, serves the API
// on every configured address, and shuts down cleanly on SIGTERM/SIGINT.
// Running containers are left to their shims, so they survive a daemon restart.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../store/index.ts";
import { Daemon } from "../daemon/daemon.ts";
import { defaultSocketPath, type DaemonConfig } from "../shared/daemon-config.ts";
import { createApiApp } from "../api/app.ts";
import { checkListenAddress, listen, type RunningServer } from "../api/server.ts";
import { hijackRoutes } from "../api/hijack.ts";
// Statically, unlike the routes' subsystems: a fresh store seeds at its first start, and imported at
// run time it cost that idle daemon more of its private pages than loaded with its start.
import { seedBuiltinImages } from "../image/seed.ts";
import { applyLayerInChild } from "../layer/apply-process/in-child.ts";
import { claimPidfile } from "./pidfile.ts";
import { collectWhenIdle } from "./idle-collect.ts";
import { lockDataRoot } from "./data-root-lock.ts";
import { socketGroupId } from "./socket-group.ts";
import { setDebugLog } from "../shared/debug-log.ts";
import { checkDataRootPath, releaseStaleViews, remappedRoot, resolveRemap, setOwnOomScore, shimSocketPath } from "../runtime/index.ts";

/** The addresses the daemon listens on: -H, or `<exec-root>/berth.sock`. */
function listenAddresses(config: DaemonConfig): string[] {
  return config.hosts.length ? config.hosts : [`unix://${defaultSocketPath(config.execRoot)}`];
}

async function serve(d: Daemon, config: DaemonConfig): Promise<RunningServer[]> {
  const app = createApiApp(d);
  const hijack = hijackRoutes(d);
  const tls = config.tls || config.tlsVerify
    ? { cert: config.tlsCert!, key: config.tlsKey!, ca: config.tlsCaCert, verifyClients: config.tlsVerify }
    : undefined;
  const servers: RunningServer[] = [];
  const socketGid = socketGroupId(config.group);
  for (const h of listenAddresses(config)) {
    const isTcp = h.startsWith("tcp://");
    const server = await listen(app, hijack, { address: h, tls: isTcp ? tls : undefined, allowInsecureTcp: config.allowInsecureTcp, socketGid });
    servers.push(server);
    if (server.insecure) {
      // Asked for with --tls=false: logged at every start and kept in info's Warnings, as dockerd does.
      const warning = `API is accessible on ${server.address} without encryption (--tls=false): anyone who can reach it controls the host as root`;
      d.log("warn", warning);
      d.warnings.push(warning);
    }
  }
  return servers;
}

export async function startDaemon(config: DaemonConfig): Promise<Daemon> {
  setDebugLog(config.logLevel === "debug" || !!config.debug);
  // The data root first: two daemons on one would both drive its containers.
  socketGroupId(config.group); // a group the host lacks stops the start before anything is made
  // So does a remap user without subordinate ids (dockerd's messages); `default` makes berth-remap.
  const remap = config.usernsRemap ? resolveRemap(config.usernsRemap) : undefined;
  if (remap) checkDataRootPath(config.dataRoot, remappedRoot(remap));
  const releaseDataRoot = lockDataRoot(config.dataRoot);
  mkdirSync(config.execRoot, { recursive: true, mode: 0o711 });
  const pidfile = config.pidfile || join(config.execRoot, "berth.pid");
  try {
    claimPidfile(pidfile);
  } catch (e) {
    releaseDataRoot();
    throw e;
  }
  let d: Daemon | undefined;
  let servers: RunningServer[] = [];
  try {
    // Before the first shim, which takes this plus one.
    setOwnOomScore(config.oomScoreAdjust);
    for (const h of listenAddresses(config)) await checkListenAddress(h);
    // What a killed daemon's cp or export left mounted, before the store deletes what removals left in tmp/;
    // a container with a shim's socket may be starting, its root mounted for a moment by that shim.
    releaseStaleViews(join(config.dataRoot, "containers"), join(config.dataRoot, "tmp"), (dir) => existsSync(shimSocketPath(config.execRoot, dir)));
    // Layers are applied by processes of their own, with the configured engine: several at once, the API
    // responsive meanwhile, and none of the applier's memory left in the daemon afterwards.
    const store = await openStore(config.dataRoot, {
      applyLayer: async (source, target, opts) => {
        const r = await applyLayerInChild(source, target, { ...opts, engine: config.layerEngine });
        d?.log("debug", `layer ${r.diffID} applied by the ${r.engine} engine (${r.entries} entries${r.hashThread ? ", hashed on a second core" : ""})`);
        return r;
      },
    });
    try {
      await seedBuiltinImages(store);
    } catch (e) {
      store.close();
      throw e;
    }
    d = new Daemon(config, store, remap);
    await d.init();
    servers = await serve(d, config);
    d.log("info", `berth daemon ready; API listening on ${servers.map((s) => s.address).join(", ")}`);
    collectWhenIdle();
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    await d?.close().catch(() => {}); // a start that failed half-way: its own error is the one to report
    rmSync(pidfile, { force: true });
    releaseDataRoot();
    throw e;
  }
  const daemon = d;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    daemon.log("info", `${signal}: shutting down (containers keep running)`);
    await Promise.all(servers.map((s) => s.close()));
    await daemon.close();
    rmSync(pidfile, { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  return daemon;
}

// `berth daemon`: opens the store, builds the engines, serves the Engine API on
// every configured address, and shuts down cleanly on SIGTERM/SIGINT. Running
// containers are left to their shims, so they survive a daemon restart.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { openStore, type Store } from "../store/index.ts";
import { applyLayerInWorker } from "../layer/worker/apply-in-worker.ts";
import { createImageService, type LocalImageService } from "./images.ts";
import { ContainerEngine } from "./containers/engine.ts";
import { ExecManager } from "./containers/exec.ts";
import { EventBus, SqliteEventLog } from "./events.ts";
import { RegistryService } from "./registry/service.ts";
import type { DaemonConfig } from "../shared/daemon-config.ts";
import { defaultSocketPath } from "../shared/daemon-config.ts";
import type { RuntimeDriver } from "./containers/driver.ts";
import { createRuntimeDriver } from "./containers/runtime-driver.ts";
import { humanDuration } from "../shared/units.ts";
import { createApiApp } from "../api/app.ts";
import { checkListenAddress, listen, type RunningServer } from "../api/server.ts";
import { hijackRoutes } from "../api/hijack.ts";

const levels = ["debug", "info", "warn", "error", "fatal"];

export class Daemon {
  readonly events: EventBus;
  readonly warnings: string[] = [];
  readonly id: string;
  containers!: ContainerEngine;
  execs!: ExecManager;
  images!: LocalImageService;
  registry!: RegistryService;
  runtime!: RuntimeDriver;
  cgroupVersion = "1";
  private servers: RunningServer[] = [];

  constructor(readonly config: DaemonConfig, readonly store: Store) {
    this.events = new EventBus(new SqliteEventLog(store.db));
    const idFile = join(config.dataRoot, "engine-id");
    if (!existsSync(idFile)) writeFileSync(idFile, crypto.randomUUID());
    this.id = readFileSync(idFile, "utf8").trim();
  }

  log(level: string, message: string): void {
    if (levels.indexOf(level) < levels.indexOf(this.config.logLevel)) return;
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${message}\n`);
  }

  async init(): Promise<void> {
    this.images = createImageService(this.store);
    this.registry = new RegistryService(this.store, this.config);
    this.runtime = await createRuntimeDriver(this.config);
    this.cgroupVersion = this.runtime.cgroupVersion;
    this.warnings.push(...this.runtime.warnings);
    this.containers = new ContainerEngine(this.store, this.images, this.runtime, this.events, humanDuration);
    this.containers.sweepHalfCreated();
    this.containers.adoptRunning();
    // BERTH_COLD_SHIM=1 turns the standby shim off (to measure, or on very small hosts).
    this.execs = new ExecManager(this.containers);
    if (process.env.BERTH_COLD_SHIM !== "1") {
      this.runtime.keepWarm?.();
      this.execs.keepWarm();
    }
  }

  async serve(): Promise<string[]> {
    const app = createApiApp(this);
    const hijack = hijackRoutes(this);
    const hosts = this.config.hosts.length ? this.config.hosts : [`unix://${defaultSocketPath(this.config.execRoot)}`];
    const tls = this.config.tls || this.config.tlsVerify
      ? { cert: this.config.tlsCert!, key: this.config.tlsKey!, ca: this.config.tlsCaCert, verifyClients: this.config.tlsVerify }
      : undefined;
    for (const h of hosts) {
      const isTcp = h.startsWith("tcp://");
      this.servers.push(await listen(app, hijack, { address: h, tls: isTcp ? tls : undefined, allowInsecureTcp: this.config.allowInsecureTcp }));
    }
    return this.servers.map((s) => s.address);
  }

  async close(): Promise<void> {
    this.runtime?.close?.();
    this.execs?.close();
    await Promise.all(this.servers.map((s) => s.close()));
    this.store.close();
  }
}

/** Claims the pidfile atomically; refuses when it names a live process. */
function claimPidfile(path: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (e: any) {
      if (e?.code !== "EEXIST") throw e;
    }
    const pid = Number(readFileSync(path, "utf8").trim());
    if (pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new Error(`pid file found, ensure berth is not running or delete ${path}`);
      } catch (e: any) {
        if (e?.code !== "ESRCH") throw e;
      }
    }
    rmSync(path, { force: true }); // stale: its daemon is gone
  }
  throw new Error(`cannot claim the pid file ${path}`);
}

export async function startDaemon(config: DaemonConfig): Promise<Daemon> {
  mkdirSync(config.execRoot, { recursive: true, mode: 0o711 });
  const pidfile = config.pidfile || join(config.execRoot, "berth.pid");
  claimPidfile(pidfile);
  const hosts = config.hosts.length ? config.hosts : [`unix://${defaultSocketPath(config.execRoot)}`];
  let d: Daemon | undefined;
  try {
    for (const h of hosts) await checkListenAddress(h);
    // Layers are applied on worker threads: several at once, and the API stays responsive meanwhile.
    const store = await openStore(config.dataRoot, { applyLayer: applyLayerInWorker });
    d = new Daemon(config, store);
    await d.init();
    const addresses = await d.serve();
    d.log("info", `berth daemon ready; API listening on ${addresses.join(", ")}`);
  } catch (e) {
    await d?.close().catch(() => {});
    rmSync(pidfile, { force: true });
    throw e;
  }
  const daemon = d;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    daemon.log("info", `${signal}: shutting down (containers keep running)`);
    await daemon.close();
    rmSync(pidfile, { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  return daemon;
}

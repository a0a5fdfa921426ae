// The engine as one object: the image, container, exec and registry services
// over one store, with the events they raise. src/server builds it and serves
// the Engine API on it; running containers are left to their shims, so they
// survive a daemon restart.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../store/index.ts";
import { createImageService, type LocalImageService } from "./images.ts";
import { ImageEvents } from "./image-events.ts";
import { ContainerEngine } from "./containers/engine.ts";
import { hasProcess } from "./containers/records.ts";
import { ExecManager } from "./containers/exec.ts";
import { EventBus, SqliteEventLog } from "./events.ts";
import type { RegistryService } from "./registry/service.ts";
import type { DaemonConfig } from "../shared/daemon-config.ts";
import { createRuntime, type RemapIdentity, type Runtime } from "../runtime/index.ts";
import { humanDuration } from "../shared/units.ts";
import { NetworkEngine } from "./networks/engine.ts";
import { HealthMonitors } from "./containers/health/monitor.ts";
import { loadSecurityDefaults } from "./containers/seccomp.ts";

const levels = ["debug", "info", "warn", "error", "fatal"];

export class Daemon {
  readonly events: EventBus;
  readonly warnings: string[] = [];
  readonly id: string;
  containers!: ContainerEngine;
  execs!: ExecManager;
  images!: LocalImageService;
  imageEvents!: ImageEvents;
  networks!: NetworkEngine;
  runtime!: Runtime;
  cgroupVersion = "1";

  /** `remap`: the resolved --userns-remap (server/start.ts resolves it before anything is made). */
  constructor(readonly config: DaemonConfig, readonly store: Store, readonly remap?: RemapIdentity) {
    this.events = new EventBus(new SqliteEventLog(store.db));
    const idFile = join(config.dataRoot, "engine-id");
    if (!existsSync(idFile)) writeFileSync(idFile, crypto.randomUUID());
    this.id = readFileSync(idFile, "utf8").trim();
  }

  private registryService?: Promise<RegistryService>;
  /** The registry side (pull, push, login, search), loaded at its first use: an idle daemon holds none of its code. */
  registry(): Promise<RegistryService> {
    return (this.registryService ??= import("./registry/service.ts").then(({ RegistryService }) => new RegistryService(this.store, this.config)));
  }

  log(level: string, message: string): void {
    if (levels.indexOf(level) < levels.indexOf(this.config.logLevel)) return;
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${message}\n`);
  }

  async init(): Promise<void> {
    this.images = createImageService(this.store);
    this.imageEvents = new ImageEvents(this.images, this.events);
    this.runtime = createRuntime(this.config, this.remap);
    this.cgroupVersion = this.runtime.cgroupVersion;
    this.warnings.push(...this.runtime.warnings);
    // `top` with ps options runs the host's ps, as dockerd does; without one only plain `top` works.
    if (!Bun.which("ps")) this.warnings.push("WARNING: no ps on this host: docker top with ps options is not available");
    this.containers = new ContainerEngine(this.store, this.images, this.runtime, this.events, humanDuration);
    this.containers.security = loadSecurityDefaults(this.config.seccompProfile, this.config.noNewPrivileges);
    this.containers.defaultIpcMode = this.config.defaultIpcMode ?? "private";
    this.networks = new NetworkEngine(this.store.db, { execRoot: this.config.execRoot, bridge: this.config.bridge, dns: this.config.dns, iptables: this.config.iptables, hostGatewayIp: this.config.hostGatewayIp, log: (l, m) => this.log(l, m) });
    this.networks.containers = {
      find: (ref) => this.containers.find(ref),
      get: (id) => this.containers.records.get(id),
      running: () => this.containers.records.list().filter((c) => hasProcess(c.state)),
    };
    await this.networks.init();
    this.containers.networks = this.networks;
    this.containers.sweepHalfCreated();
    this.containers.mounts.volumes.sweep();
    // Before adoption: the running containers it finds resume their health probes.
    this.execs = new ExecManager(this.containers);
    this.containers.health = new HealthMonitors(this.containers.dir, {
      get: (id) => this.containers.records.get(id),
      emit: (c, action) => this.events.emit("container", action, c.id, this.containers.eventAttrs(c)),
    }, this.execs);
    await this.containers.adoptRunning();
    await this.networks.restore();
    this.containers.startByRestartPolicy();
    // BERTH_COLD_SHIM=1 turns the standby shim off (to measure, or on very small hosts).
    if (process.env.BERTH_COLD_SHIM !== "1") {
      this.runtime.keepWarm();
    }
  }

  async close(): Promise<void> {
    this.containers?.health?.close();
    this.networks?.close();
    this.runtime?.close();
    this.store.close();
  }
}

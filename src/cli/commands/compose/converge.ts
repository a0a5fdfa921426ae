// Bringing a project's services to their model, as `up` and `create` do, in
// compose's two halves: first each service in depends_on order (in parallel
// where the graph allows) has its containers kept, recreated (config hash
// changed, or a dependency was recreated), created, or removed down to the
// wanted count; then (up) each waits for its dependencies' conditions and its
// containers start.
import type { Client } from "../../../client/client.ts";
import { ComposeError, DependencyFailedError } from "../../../compose/errors.ts";
import { inDependencyOrder } from "../../../compose/graph.ts";
import { serviceHash } from "../../../compose/hash.ts";
import type { Project } from "../../../compose/types.ts";
import { createBody, inlineFiles, type CreateOverrides } from "./create-body.ts";
import { imageName, label, replicas } from "./names.ts";
import { logNameOf, nameOf, numberOf, progress, projectContainers, serviceOf, type ProjectContainer } from "./project-containers.ts";
import type { Made } from "./resources.ts";
import { runHooks, type HookOutput } from "./hooks.ts";

export interface ConvergeOptions {
  forceRecreate?: boolean;
  noRecreate?: boolean;
  /** The services named on the command line; the others converge as dependencies (all are named when none is). */
  named?: string[];
  /** --always-recreate-deps: dependencies are recreated as --force-recreate recreates the named. */
  recreateDeps?: boolean;
  /** -V: new anonymous volumes rather than the replaced container's (compose then recreates the named services). */
  renewAnonVolumes?: boolean;
  /** --scale svc=n */
  scale?: Record<string, number>;
  /** Seconds to wait for a container to stop before it is killed. */
  timeout?: number;
}


async function inspect(client: Client, id: string): Promise<any> {
  return client.json("GET", `/containers/${id}/json`);
}

/** Copies secrets and configs that have no file (environment, content) into a created container. */
async function copyInlineFiles(client: Client, id: string, files: { path: string; content: string; mode: number }[]): Promise<void> {
  if (!files.length) return;
  const { tarStream } = await import("../../../layer/tar/write.ts");
  const now = Math.floor(Date.now() / 1000);
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  const items = [
    ...[...dirs].sort().map((d) => ({ entry: { path: `${d}/`, type: "dir" as const, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: now } })),
    ...files.map((f) => {
      const data = new TextEncoder().encode(f.content);
      return { entry: { path: f.path.replace(/^\//, ""), type: "file" as const, mode: f.mode, uid: 0, gid: 0, size: data.length, mtime: now }, body: data };
    }),
  ];
  await client.request("PUT", `/containers/${id}/archive`, { query: { path: "/" }, headers: { "Content-Type": "application/x-tar" }, body: tarStream(items) as any });
}

/** Creates container `n` of a service (and copies its inline secrets in); the new container's ID. */
export async function createContainer(client: Client, p: Project, service: string, n: number, made: Made, err: (s: string) => void, o: CreateOverrides = {}): Promise<string> {
  const s = p.services[service]!;
  const { name, body } = createBody(p, service, s, n, o);
  const files = inlineFiles(p, s); // before the create: a secret whose variable is unset leaves no container behind
  progress(err, "Container", name, "Creating");
  const { Id } = await client.json<{ Id: string }>("POST", "/containers/create", { query: { name }, json: body });
  made.containers.push(Id);
  await copyInlineFiles(client, Id, files);
  progress(err, "Container", name, "Created");
  return Id;
}

/** Starts a container; with the project, its service's post_start hooks run before it counts as started. */
export async function startContainer(client: Client, id: string, name: string, err: (s: string) => void, p?: Project, service?: string, output?: HookOutput): Promise<void> {
  progress(err, "Container", name, "Starting");
  await client.request("POST", `/containers/${id}/start`);
  if (p && service) await runHooks(client, p, service, id, "post_start", output);
  progress(err, "Container", name, "Started");
}

/** Stops a container; with the project, its service's pre_stop hooks run first while it still runs. */
export async function stopContainer(client: Client, c: ProjectContainer, err: (s: string) => void, timeout?: number, p?: Project, output?: HookOutput): Promise<void> {
  progress(err, "Container", nameOf(c), "Stopping");
  if (p && c.State === "running") await runHooks(client, p, serviceOf(c), c.Id, "pre_stop", output);
  await client.request("POST", `/containers/${c.Id}/stop`, { query: { t: timeout } });
  progress(err, "Container", nameOf(c), "Stopped");
}

export async function removeContainer(client: Client, c: ProjectContainer, err: (s: string) => void, volumes = false): Promise<void> {
  progress(err, "Container", nameOf(c), "Removing");
  await client.request("DELETE", `/containers/${c.Id}`, { query: { force: true, v: volumes } });
  progress(err, "Container", nameOf(c), "Removed");
}

/**
 * Waits until a dependency meets its condition: started (running now),
 * healthy (State.Health; a daemon that reports no health for a container with
 * a healthcheck counts it healthy once running), or completed with exit 0.
 */
export async function waitForCondition(client: Client, p: Project, service: string, dep: string, condition: string, err: (s: string) => void): Promise<void> {
  const containers = await projectContainers(client, p.name, { services: [dep] });
  if (!containers.length && p.services[dep]) throw new ComposeError(`service "${dep}" has no container to depend on`);
  for (const c of containers) {
    const name = nameOf(c);
    if (condition === "service_completed_successfully") {
      progress(err, "Container", name, "Waiting");
      const { StatusCode } = await client.json<{ StatusCode: number }>("POST", `/containers/${c.Id}/wait`, { query: { condition: "not-running" } });
      if (StatusCode !== 0) {
        const message = `service "${dep}" didn't complete successfully: exit ${StatusCode}`;
        progress(err, "Container", name, `Error ${message}`);
        throw new DependencyFailedError(message);
      }
      progress(err, "Container", name, "Exited");
      continue;
    }
    if (condition !== "service_healthy") continue;
    progress(err, "Container", name, "Waiting");
    for (;;) {
      const info = await inspect(client, c.Id);
      const health = info.State?.Health?.Status as string | undefined;
      const test = info.Config?.Healthcheck?.Test as string[] | undefined;
      const failed = !health && (!test?.length || test[0] === "NONE") ? `container ${name} has no healthcheck configured`
        : !info.State.Running && !info.State.Restarting ? `container ${name} exited (${info.State.ExitCode})`
        : health === "unhealthy" ? `container ${name} is unhealthy` : undefined;
      if (failed) {
        progress(err, "Container", name, "Error");
        throw new DependencyFailedError(`dependency failed to start: ${failed}`);
      }
      if (health === "healthy" || (!health && info.State.Running)) break;
      await Bun.sleep(200);
    }
    progress(err, "Container", name, "Healthy");
  }
}

/** How a service's containers are recreated, as compose picks it: the named services by --force-recreate or -V, their dependencies by --always-recreate-deps. */
function recreateStrategy(service: string, o: ConvergeOptions): "never" | "force" | "diverged" {
  if (o.noRecreate) return "never";
  const named = !o.named?.length || o.named.includes(service);
  if (named ? o.forceRecreate || o.renewAnonVolumes : o.recreateDeps) return "force";
  return "diverged";
}

/**
 * The anonymous volumes a replaced container had (the service's volumes without a source, the image's VOLUMEs),
 * mounted again in its successor as compose does, so that recreating keeps their data.
 */
async function inheritedVolumes(client: Client, p: Project, service: string, id: string): Promise<{ Type: string; Source: string; Target: string; ReadOnly: boolean }[]> {
  const s = p.services[service]!;
  const info = await inspect(client, id);
  const volumes = ((info.Mounts ?? []) as { Type: string; Name?: string; Destination: string; RW: boolean }[]).filter((m) => m.Type === "volume" && m.Name);
  if (!volumes.length) return [];
  const anonymous = new Set((s.volumes ?? []).filter((v) => v.type === "volume" && !v.source).map((v) => v.target));
  const image = await client.json<any>("GET", `/images/${encodeURIComponent(imageName(p, service, s))}/json`).catch(() => undefined); // gone: only the service's own count
  for (const target of Object.keys(image?.Config?.Volumes ?? {})) anonymous.add(target);
  // What the service itself mounts at an image VOLUME's path (a named volume, a bind) takes the place, as in compose.
  for (const v of s.volumes ?? []) if (v.type !== "volume" || v.source) anonymous.delete(v.target);
  return volumes.filter((m) => anonymous.has(m.Destination)).map((m) => ({ Type: "volume", Source: m.Name!, Target: m.Destination, ReadOnly: !m.RW }));
}

/** Converges the named services' containers, starting none; returns the services whose containers were (re)created. */
export async function converge(client: Client, p: Project, services: string[], made: Made, err: (s: string) => void, o: ConvergeOptions = {}): Promise<Set<string>> {
  const existing = await projectContainers(client, p.name, { all: true });
  const recreated = new Set<string>();
  await inDependencyOrder(p.services, services, async (service) => {
    const s = p.services[service]!;
    const strategy = recreateStrategy(service, o);
    const hash = serviceHash(s);
    // A container whose image was rebuilt or pulled since runs old code: compose recreates it too.
    const imageId = await client.json<{ Id: string }>("GET", `/images/${encodeURIComponent(imageName(p, service, s))}/json`).then((i) => i.Id, () => undefined);
    const depRecreated = Object.entries(s.depends_on ?? {}).some(([d]) => recreated.has(d));
    const mine = existing.filter((c) => serviceOf(c) === service);
    const want = replicas(s, o.scale, service);
    const byNumber = new Map(mine.map((c) => [numberOf(c), c]));
    let changed = false;
    for (let n = 1; n <= want; n++) {
      const c = byNumber.get(n);
      if (c) {
        const stale = c.Labels[label.hash] !== hash || depRecreated || (!!imageId && !!c.ImageID && c.ImageID !== imageId);
        if (strategy === "force" || (strategy === "diverged" && stale)) {
          progress(err, "Container", nameOf(c), "Recreate");
          const inherited = o.renewAnonVolumes ? [] : await inheritedVolumes(client, p, service, c.Id);
          if (c.State === "running") await stopContainer(client, c, () => {}, o.timeout, p);
          await client.request("DELETE", `/containers/${c.Id}`, { query: { force: true } });
          await createContainer(client, p, service, n, made, () => {}, { inheritedMounts: inherited });
          progress(err, "Container", nameOf(c), "Recreated");
          changed = true;
        } else if (c.State === "running") {
          progress(err, "Container", nameOf(c), "Running"); // compose says nothing here of one that is up to date and stopped
        }
      } else {
        await createContainer(client, p, service, n, made, err);
        changed = true;
      }
    }
    for (const c of mine.filter((x) => numberOf(x) > want)) {
      if (c.State === "running") await stopContainer(client, c, err, o.timeout, p);
      await removeContainer(client, c, err);
    }
    if (changed) recreated.add(service);
  });
  return recreated;
}

/**
 * The start half of up, which compose runs once every container is created (and,
 * attached, once it has attached to them): in dependency order each service waits
 * for its dependencies' conditions, then its containers that are not running start
 * and run their post_start hooks. Attached, compose (2.x) prints no progress here,
 * among the output: `err` is then a sink.
 */
export async function startServices(client: Client, p: Project, services: string[], err: (s: string) => void, o: { noDeps?: boolean; hookOutput?: (container: string) => HookOutput; stopping?: () => boolean } = {}): Promise<void> {
  const containers = await projectContainers(client, p.name, { all: true, services });
  await inDependencyOrder(p.services, services, async (service) => {
    if (!o.noDeps) {
      for (const [dep, spec] of Object.entries(p.services[service]!.depends_on ?? {})) {
        if (p.services[dep]) await waitForCondition(client, p, service, dep, spec.condition, err);
      }
    }
    for (const c of containers.filter((x) => serviceOf(x) === service && x.State !== "running")) {
      if (o.stopping?.()) return; // Ctrl+C or an abort: what is not started stays so
      await startContainer(client, c.Id, nameOf(c), err, p, service, o.hookOutput?.(logNameOf(c)));
    }
  });
}

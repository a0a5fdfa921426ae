// `compose exec` (a command in a running service container) and `compose
// run` (a one-off container of a service, its dependencies up first): both
// through the plain exec and start commands, with compose's names and labels.
import { ComposeError } from "../../../compose/errors.ts";
import { execCommand } from "../exec.ts";
import { startCommand } from "../containers.ts";
import { parsePortSpec } from "../../../shared/port-spec.ts";
import { nodeTty } from "../../../builtins.ts";
import { hostPath } from "../../../compose/normalize.ts";
import { splitShellWords } from "../../../shared/shell-words.ts";
import type { ComposeSubcommand } from "./command.ts";
import { createContainer } from "./converge.ts";
import { postStartOnStartEvent } from "./hooks.ts";
import { checkEngineSupport, ignoredKeyWarnings } from "./unsupported-keys.ts";
import { delegate } from "./delegate.ts";
import { projectContainers, nameOf, numberOf } from "./project-containers.ts";
import { ensureNetworks, ensureVolumes, rollBack, type Made } from "./resources.ts";
import { projectUp, selectServices } from "./up.ts";
import { ensureImages } from "./images.ts";

export const execSubcommand: ComposeSubcommand = {
  name: "exec",
  synopsis: "[OPTIONS] SERVICE COMMAND [ARGS...]",
  description: "Execute a command in a running container",
  flags: [
    { name: "detach", short: "d", type: "bool", help: "Detached mode: Run command in the background" },
    { name: "no-TTY", short: "T", type: "bool", help: "Disable pseudo-TTY allocation. By default `compose exec` allocates a TTY." },
    { name: "env", short: "e", type: "list", valueName: "stringArray", help: "Set environment variables" },
    { name: "user", short: "u", type: "string", help: "Run the command as this user" },
    { name: "workdir", short: "w", type: "string", help: "Path to workdir directory for this command" },
    { name: "index", type: "number", default: 1, help: "Index of the container if service has multiple replicas" },
    { name: "privileged", type: "bool", help: "Give extended privileges to the process" },
  ],
  stopAtPositional: true,
  async run(c, f, args) {
    if (args.length < 2) throw new ComposeError(args.length ? "requires at least 2 arg(s), only received 1" : "requires at least 2 arg(s), only received 0");
    const [service, ...cmd] = args as [string, ...string[]];
    const p = await c.load([service]);
    if (!p.services[service]) throw new ComposeError(`no such service: ${service}`);
    const ct = (await projectContainers(await c.client(), p.name, { all: false, services: [service] })).find((x) => numberOf(x) === f.index);
    if (!ct) throw new ComposeError(`service "${service}" is not running container #${f.index}`);
    const tty = !f["no-TTY"] && nodeTty().isatty(0);
    const argv = [...(f.detach ? ["-d"] : ["-i"]), ...(tty ? ["-t"] : []), ...f.env.flatMap((e: string) => ["-e", e]), ...(f.user ? ["-u", f.user] : []), ...(f.workdir ? ["-w", f.workdir] : []), ...(f.privileged ? ["--privileged"] : []), nameOf(ct), ...cmd];
    return delegate(c, execCommand, argv);
  },
};

/** --entrypoint as compose takes it: a command line split into words ("" clears the image's). */
function entrypointWords(v: string): string[] {
  return splitShellWords(v, (m) => new ComposeError(`invalid entrypoint ${JSON.stringify(v)}: ${m}`));
}

function randomSuffix(): string {
  return [...crypto.getRandomValues(new Uint8Array(6))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const runSubcommand: ComposeSubcommand = {
  name: "run",
  synopsis: "[OPTIONS] SERVICE [COMMAND] [ARGS...]",
  description: "Run a one-off command on a service",
  flags: [
    { name: "detach", short: "d", type: "bool", help: "Run container in background and print container ID" },
    { name: "rm", type: "bool", help: "Automatically remove the container when it exits" },
    { name: "env", short: "e", type: "list", valueName: "stringArray", help: "Set environment variables" },
    { name: "volume", short: "v", type: "list", valueName: "stringArray", help: "Bind mount a volume" },
    { name: "publish", short: "p", type: "list", valueName: "stringArray", help: "Publish a container's port(s) to the host" },
    { name: "service-ports", short: "P", type: "bool", help: "Run command with all service's ports enabled and mapped to the host" },
    { name: "no-deps", type: "bool", help: "Don't start linked services" },
    { name: "entrypoint", type: "string", help: "Override the entrypoint of the image" },
    { name: "name", type: "string", help: "Assign a name to the container" },
    { name: "user", short: "u", type: "string", help: "Run as specified username or uid" },
    { name: "workdir", short: "w", type: "string", help: "Working directory inside the container" },
    { name: "no-TTY", short: "T", type: "bool", help: "Disable pseudo-TTY allocation (default: auto-detected)" },
    { name: "interactive", short: "i", type: "bool", default: true, help: "Keep STDIN open even if not attached" },
    { name: "label", short: "l", type: "list", valueName: "stringArray", help: "Add or override a label" },
    { name: "build", type: "bool", help: "Build image before starting container" },
    { name: "quiet-pull", type: "bool", help: "Pull without printing progress information" },
    { name: "remove-orphans", type: "bool", help: "Remove containers for services not defined in the Compose file" },
  ],
  stopAtPositional: true,
  async run(c, f, args) {
    if (!args.length) throw new ComposeError("requires at least 1 arg(s), only received 0");
    const [service, ...cmd] = args as [string, ...string[]];
    const p = await c.load([service]);
    if (!p.services[service]) throw new ComposeError(`no such service: ${service}`);
    checkEngineSupport(p, [service]);
    for (const w of ignoredKeyWarnings(p, [service])) c.ctx.err(`WARN[0000] ${w}`);
    const client = await c.client();
    const err = (s: string) => c.ctx.err(s);
    const deps = selectServices(p, [service]).filter((s) => s !== service);
    if (!f["no-deps"] && deps.length) await projectUp(c, p, deps, { removeOrphans: f["remove-orphans"] });
    const made: Made = { networks: [], volumes: [], containers: [] };
    let id: string;
    const tty = !f["no-TTY"] && nodeTty().isatty(0) && !f.detach;
    try {
      await ensureImages(c, p, [service], { build: f.build ? "always" : "missing" });
      await ensureNetworks(client, p, Object.keys(p.services[service]!.networks ?? {}), made, () => {});
      await ensureVolumes(client, p, (p.services[service]!.volumes ?? []).filter((v) => v.type === "volume" && v.source).map((v) => v.source!), made, () => {});
      const extraPorts: Record<string, { HostIp: string; HostPort: string }[]> = {};
      for (const spec of f.publish) for (const { port, binding } of parsePortSpec(spec)) (extraPorts[port] ??= []).push(binding);
      const name = f.name ?? `${p.name}-${service}-run-${randomSuffix()}`;
      const labels = Object.fromEntries(f.label.map((l: string) => [l.split("=")[0], l.split("=").slice(1).join("=")]));
      id = await createContainer(client, p, service, 1, made, () => {}, {
        oneoff: true, command: cmd.length ? cmd : undefined, entrypoint: f.entrypoint !== undefined ? entrypointWords(f.entrypoint) : undefined,
        env: Object.fromEntries(f.env.map((e: string) => (e.includes("=") ? [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)] : [e, process.env[e] ?? ""]))),
        user: f.user, workdir: f.workdir, tty, interactive: f.interactive && !f.detach, ports: !!f["service-ports"], extraPorts,
        extraBinds: f.volume.map((v: string) => { const [src, ...rest] = v.split(":"); return [/^[./~]/.test(src!) ? hostPath(src!, p.workingDir) : src, ...rest].join(":"); }),
        labels, name,
      });
    } catch (e) {
      await rollBack(client, made);
      throw e;
    }
    // post_start runs once the container has started, as docker compose's run does; a failing hook
    // fails a run whose command succeeded (the command's own failure comes first).
    const hooks = await postStartOnStartEvent(client, p, service, id);
    if (f.detach) {
      await client.request("POST", `/containers/${id}/start`).catch(async (e) => {
        await hooks.settle(false);
        throw e;
      });
      const hookError = await hooks.settle(true);
      if (hookError) throw hookError;
      c.ctx.out((await client.json("GET", `/containers/${id}/json`)).Name.replace(/^\//, ""));
      return 0;
    }
    try {
      const code = await delegate(c, startCommand, ["-a", ...(f.interactive ? ["-i"] : []), id]).catch(async (e) => {
        await hooks.settle(false);
        throw e;
      });
      // Gone (--rm) means it ran; a zero StartedAt, that it never started.
      const started = await client.json("GET", `/containers/${id}/json`).then((i) => !i.State.StartedAt.startsWith("0001-"), () => true);
      const hookError = await hooks.settle(started);
      if (code === 0 && hookError) throw hookError;
      return code;
    } finally {
      if (f.rm) await client.request("DELETE", `/containers/${id}`, { query: { force: true, v: true } }).catch(() => {}); // --rm: gone already, or the daemon removes it with AutoRemove
    }
  },
};

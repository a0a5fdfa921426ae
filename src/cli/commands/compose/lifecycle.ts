// start, stop, restart, kill, rm, pause and unpause of a project's services:
// each container of the services, in dependency order (stop: dependants
// first), with compose's progress lines.
import { ComposeError } from "../../../compose/errors.ts";
import { inDependencyOrder } from "../../../compose/graph.ts";
import type { Project } from "../../../compose/types.ts";
import type { ComposeContext, ComposeSubcommand } from "./command.ts";
import { nameOf, progress, projectContainers, serviceOf, type ProjectContainer } from "./project-containers.ts";
import { runHooks } from "./hooks.ts";

/** The services that depend on any of `names` with `restart: true`, transitively, as compose restarts them along. */
function restartDependants(p: Project, names: string[]): string[] {
  const out = new Set(names);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [n, s] of Object.entries(p.services)) {
      if (out.has(n)) continue;
      if (Object.entries(s.depends_on ?? {}).some(([d, spec]) => spec.restart && out.has(d))) {
        out.add(n);
        grew = true;
      }
    }
  }
  return [...out];
}

async function eachService(c: ComposeContext, args: string[], reverse: boolean, all: boolean, act: (ct: ProjectContainer, p: Project) => Promise<void>, widen?: (p: Project, names: string[]) => string[]): Promise<number> {
  const p = await c.load(args);
  for (const a of args) if (!p.services[a]) throw new ComposeError(`no such service: ${a}`);
  const named = args.length ? args : Object.keys(p.services);
  const services = widen ? widen(p, named) : named;
  const containers = await projectContainers(await c.client(), p.name, { all, services });
  await inDependencyOrder(p.services, services, async (s) => {
    await Promise.all(containers.filter((ct) => serviceOf(ct) === s).map((ct) => act(ct, p)));
  }, reverse);
  return 0;
}

function simple(name: string, description: string, verb: [string, string], path: string, opts: { reverse?: boolean; all?: boolean; query?: (f: Record<string, any>) => Record<string, unknown>; flags?: ComposeSubcommand["flags"]; when?: (ct: ProjectContainer) => boolean; widen?: (f: Record<string, any>) => ((p: Project, names: string[]) => string[]) | undefined } = {}): ComposeSubcommand {
  return {
    name, description, synopsis: "[OPTIONS] [SERVICE...]", flags: opts.flags ?? [],
    async run(c, f, args) {
      const client = await c.client();
      const err = (s: string) => c.ctx.err(s);
      return eachService(c, args, !!opts.reverse, opts.all ?? true, async (ct, p) => {
        if (opts.when && !opts.when(ct)) return;
        progress(err, "Container", nameOf(ct), verb[0]);
        // A stop runs the service's pre_stop hooks first; a start its post_start hooks after; a restart
        // both, as docker compose's does since 5.0 (pre_stop where there is something running to run it in).
        if ((path === "stop" || path === "restart") && ct.State === "running") await runHooks(client, p, serviceOf(ct), ct.Id, "pre_stop");
        await client.request("POST", `/containers/${ct.Id}/${path}`, { query: opts.query?.(f) });
        if (path === "start" || path === "restart") await runHooks(client, p, serviceOf(ct), ct.Id, "post_start");
        progress(err, "Container", nameOf(ct), verb[1]);
      }, opts.widen?.(f));
    },
  };
}

const timeoutFlag = { name: "timeout", short: "t", type: "number" as const, help: "Specify a shutdown timeout in seconds" };

export const lifecycleSubcommands: ComposeSubcommand[] = [
  simple("start", "Start services", ["Starting", "Started"], "start", { when: (ct) => ct.State !== "running" }),
  simple("stop", "Stop services", ["Stopping", "Stopped"], "stop", { reverse: true, flags: [timeoutFlag], query: (f) => ({ t: f.timeout }), when: (ct) => ct.State === "running" || ct.State === "paused" }),
  simple("restart", "Restart service containers", ["Restarting", "Started"], "restart", { flags: [timeoutFlag, { name: "no-deps", type: "bool", help: "Don't restart dependent services" }], query: (f) => ({ t: f.timeout }),
    // A service restarted brings along those that depend on it with `restart: true`.
    widen: (f) => (f["no-deps"] ? undefined : restartDependants) }),
  simple("kill", "Force stop service containers", ["Killing", "Killed"], "kill", {
    reverse: true, all: false,
    flags: [{ name: "signal", short: "s", type: "string", default: "SIGKILL", help: "SIGNAL to send to the container" }, { name: "remove-orphans", type: "bool", help: "Remove containers for services not defined in the Compose file" }],
    query: (f) => ({ signal: f.signal }),
  }),
  simple("pause", "Pause services", ["Pausing", "Paused"], "pause", { all: false }),
  simple("unpause", "Unpause services", ["Unpausing", "Unpaused"], "unpause", { when: (ct) => ct.State === "paused" }),
  {
    name: "rm", description: "Removes stopped service containers", synopsis: "[OPTIONS] [SERVICE...]",
    flags: [
      { name: "force", short: "f", type: "bool", help: "Don't ask to confirm removal" },
      { name: "stop", short: "s", type: "bool", help: "Stop the containers, if required, before removing" },
      { name: "volumes", short: "v", type: "bool", help: "Remove any anonymous volumes attached to containers" },
    ],
    async run(c, f, args) {
      const p = await c.load(args);
      const client = await c.client();
      const err = (s: string) => c.ctx.err(s);
      let list = await projectContainers(client, p.name, { all: true, services: args });
      if (f.stop) {
        for (const ct of list.filter((x) => x.State === "running")) {
          progress(err, "Container", nameOf(ct), "Stopping");
          await client.request("POST", `/containers/${ct.Id}/stop`);
          progress(err, "Container", nameOf(ct), "Stopped");
        }
        list = await projectContainers(client, p.name, { all: true, services: args });
      }
      const stopped = list.filter((x) => x.State !== "running" && x.State !== "paused");
      if (!stopped.length) {
        c.ctx.err("No stopped containers");
        return 0;
      }
      if (!f.force) {
        c.ctx.err(`Going to remove ${stopped.map(nameOf).join(", ")}`);
        const answer = await new Response(Bun.stdin.stream()).text().catch(() => "");
        if (!/^y/i.test(answer.trim())) return 0;
      }
      for (const ct of stopped) {
        progress(err, "Container", nameOf(ct), "Removing");
        await client.request("DELETE", `/containers/${ct.Id}`, { query: { v: f.volumes } });
        progress(err, "Container", nameOf(ct), "Removed");
      }
      return 0;
    },
  },
];

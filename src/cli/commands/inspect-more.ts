// pause, unpause, top, diff.
import type { Command } from "../command.ts";
import { tabwrite } from "../format/table.ts";
import { hijack } from "../../client/hijack.ts";
import { detachKeysFlag, detachKeysOption, exitStatus, pumpStreams, resizer } from "./attach-stream.ts";
import { parseBytes } from "../../shared/units.ts";
import { stdout } from "../stdio.ts";
import { eachName } from "./each-name.ts";

/** A command that POSTs to `path(name)` for each container named (pause, unpause). */
function postEach(path: (n: string) => string, description: string, name: string): Command {
  return {
    names: [name, `container ${name}`],
    synopsis: "CONTAINER [CONTAINER...]",
    description,
    flags: [],
    minArgs: 1,
    async run(ctx, _f, args) {
      const client = await ctx.client();
      return eachName(ctx, args, (n) => client.request("POST", path(n)).then(() => {}));
    },
  };
}

export const pauseCommand = postEach((n) => `/containers/${n}/pause`, "Pause all processes within one or more containers", "pause");
export const unpauseCommand = postEach((n) => `/containers/${n}/unpause`, "Unpause all processes within one or more containers", "unpause");

export const topCommand: Command = {
  names: ["top", "container top"],
  synopsis: "CONTAINER [ps OPTIONS]",
  description: "Display the running processes of a container",
  flags: [],
  stopAtPositional: true,
  minArgs: 1,
  async run(ctx, _f, [name, ...psArgs]) {
    const query = psArgs.length ? { ps_args: psArgs.join(" ") } : undefined;
    const r = await (await ctx.client()).json("GET", `/containers/${name}/top`, { query });
    const lines = [r.Titles.join("\t"), ...r.Processes.map((p: string[]) => p.join("\t"))];
    stdout.write(tabwrite(lines.join("\n") + "\n"));
    return 0;
  },
};

export const diffCommand: Command = {
  names: ["diff", "container diff"],
  synopsis: "CONTAINER",
  description: "Inspect changes to files or directories on a container's filesystem",
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, _f, [name]) {
    const changes: { Path: string; Kind: number }[] = await (await ctx.client()).json("GET", `/containers/${name}/changes`);
    for (const c of changes ?? []) ctx.out(`${"CAD"[c.Kind]} ${c.Path}`);
    return 0;
  },
};

export const commitCommand: Command = {
  names: ["commit", "container commit"],
  synopsis: "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
  description: "Create a new image from a container's changes",
  flags: [
    { name: "author", short: "a", type: "string", help: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: "change", short: "c", type: "list", help: "Apply Dockerfile instruction to the created image" },
    { name: "message", short: "m", type: "string", help: "Commit message" },
    { name: "pause", short: "p", type: "bool", default: true, help: "Pause container during commit" },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, f, [container, ref]) {
    let repo: string | undefined;
    let tag: string | undefined;
    if (ref) {
      const colon = ref.lastIndexOf(":");
      if (colon > ref.lastIndexOf("/")) [repo, tag] = [ref.slice(0, colon), ref.slice(colon + 1)];
      else repo = ref;
    }
    const r = await (await ctx.client()).json("POST", "/commit", {
      query: { container, repo, tag, author: f.author, comment: f.message, changes: f.change, pause: f.pause ? "1" : "0" },
    });
    ctx.out(r.Id);
    return 0;
  },
};

export const attachCommand: Command = {
  names: ["attach", "container attach"],
  synopsis: "[OPTIONS] CONTAINER",
  description: "Attach local standard input, output, and error streams to a running container",
  flags: [
    { name: "no-stdin", type: "bool", help: "Do not attach STDIN" },
    detachKeysFlag,
    { name: "sig-proxy", type: "bool", default: true, help: "Proxy all received signals to the process" },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, f, [name]) {
    const client = await ctx.client();
    const info = await client.json("GET", `/containers/${name}/json`);
    if (!info.State.Running) throw new Error("You cannot attach to a stopped container, start it first");
    const stdin = !f["no-stdin"] && info.Config.OpenStdin;
    const detach = await detachKeysOption(f["detach-keys"], ctx.globals.configDir);
    // The exit code comes from a wait begun before the attach, as docker's CLI does: the output
    // can end before the daemon has recorded the exit, so an inspect afterwards may still say running.
    const stopWaiting = new AbortController();
    const waitRes = client.request("POST", `/containers/${info.Id}/wait`, { query: { condition: "not-running" }, signal: stopWaiting.signal });
    waitRes.catch(() => {}); // awaited below; a failure before then must not be unhandled
    const h = await hijack(client, `/containers/${info.Id}/attach`, { stream: true, stdin, stdout: true, stderr: true, detachKeys: detach.spec });
    const { detached } = await pumpStreams(h.socket, h.head, { tty: info.Config.Tty, stdin, resize: resizer(client, `/containers/${info.Id}/resize`), detachKeys: detach.keys });
    if (detached) {
      stopWaiting.abort(); // the container runs on
      return 0;
    }
    return exitStatus(await waitRes);
  },
};

export const portCommand: Command = {
  names: ["port", "container port"],
  synopsis: "CONTAINER [PRIVATE_PORT[/PROTO]]",
  description: "List port mappings or a specific mapping for the container",
  flags: [],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, _f, [name, want]) {
    const info = await (await ctx.client()).json("GET", `/containers/${name}/json`);
    const ports: Record<string, { HostIp: string; HostPort: string }[] | null> = info.NetworkSettings?.Ports ?? {};
    let shown = 0;
    for (const [p, bindings] of Object.entries(ports)) {
      if (want && p !== want && p !== `${want}/tcp`) continue;
      for (const b of bindings ?? []) {
        const at = `${b.HostIp.includes(":") ? `[${b.HostIp}]` : b.HostIp}:${b.HostPort}`;
        ctx.out(want ? at : `${p} -> ${at}`);
        shown++;
      }
    }
    if (want && !shown) throw new Error(`No public port '${want.includes("/") ? want : `${want}/tcp`}' published for ${name}`);
    return 0;
  },
};

export const updateCommand: Command = {
  names: ["update", "container update"],
  synopsis: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Update configuration of one or more containers",
  flags: [
    { name: "memory", short: "m", type: "string", help: "Memory limit" },
    { name: "memory-swap", type: "string", help: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
    { name: "memory-reservation", type: "string", help: "Memory soft limit" },
    { name: "cpus", type: "string", help: "Number of CPUs" },
    { name: "cpu-shares", short: "c", type: "number", help: "CPU shares (relative weight)" },
    { name: "cpuset-cpus", type: "string", help: "CPUs in which to allow execution (0-3, 0,1)" },
    { name: "pids-limit", type: "number", help: "Tune container pids limit (set -1 for unlimited)" },
    { name: "restart", type: "string", help: "Restart policy to apply when a container exits" },
  ],
  minArgs: 1,
  async run(ctx, f, args) {
    const body: Record<string, unknown> = {};
    if (f.memory) body.Memory = parseBytes(f.memory);
    if (f["memory-swap"]) body.MemorySwap = f["memory-swap"] === "-1" ? -1 : parseBytes(f["memory-swap"]);
    if (f["memory-reservation"]) body.MemoryReservation = parseBytes(f["memory-reservation"]);
    if (f.cpus) body.NanoCpus = Math.round(Number(f.cpus) * 1e9);
    if (f["cpu-shares"] !== undefined) body.CpuShares = f["cpu-shares"];
    if (f["cpuset-cpus"]) body.CpusetCpus = f["cpuset-cpus"];
    if (f["pids-limit"] !== undefined) body.PidsLimit = f["pids-limit"];
    if (f.restart) {
      const [Name, max] = String(f.restart).split(":");
      body.RestartPolicy = { Name, MaximumRetryCount: max ? Number(max) : 0 };
    }
    const client = await ctx.client();
    return eachName(ctx, args, (n) => client.json("POST", `/containers/${n}/update`, { json: body }).then(() => {}));
  },
};

// build, pull, push and images for a project's services.
import { ComposeError } from "../../../compose/errors.ts";
import type { Project } from "../../../compose/types.ts";
import { humanSizeWithPrecision } from "../../../shared/units.ts";
import { printDefaultTable } from "../../output.ts";
import { stdout } from "../../stdio.ts";
import { pushCommand } from "../registry.ts";
import type { ComposeContext, ComposeSubcommand } from "./command.ts";
import { delegate } from "./delegate.ts";
import { buildService, pullService } from "./images.ts";
import { nameOf, projectContainers } from "./project-containers.ts";
import { projectNameFor } from "./ps.ts";

async function services(c: ComposeContext, args: string[]): Promise<[Project, string[]]> {
  const p = await c.load(args);
  for (const a of args) if (!p.services[a]) throw new ComposeError(`no such service: ${a}`);
  return [p, args.length ? args : Object.keys(p.services)];
}

export const imageSubcommands: ComposeSubcommand[] = [
  {
    name: "build", synopsis: "[OPTIONS] [SERVICE...]", description: "Build or rebuild services",
    flags: [
      { name: "build-arg", type: "list", valueName: "stringArray", help: "Set build-time variables for services" },
      { name: "no-cache", type: "bool", help: "Do not use cache when building the image" },
      { name: "pull", type: "bool", help: "Always attempt to pull a newer version of the image" },
      { name: "quiet", short: "q", type: "bool", help: "Don't print anything to STDOUT" },
    ],
    async run(c, f, args) {
      const [p, names] = await services(c, args);
      const buildArgs = Object.fromEntries(f["build-arg"].map((a: string) => (a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, process.env[a] ?? ""])));
      for (const n of names) if (p.services[n]!.build) await buildService(c, p, n, p.services[n]!, { noCache: f["no-cache"], pull: f.pull, quiet: f.quiet, buildArgs });
      return 0;
    },
  },
  {
    name: "pull", synopsis: "[OPTIONS] [SERVICE...]", description: "Pull service images",
    flags: [
      { name: "ignore-pull-failures", type: "bool", help: "Pull what it can and ignores images with pull failures" },
      { name: "ignore-buildable", type: "bool", help: "Ignore images that can be built" },
      { name: "quiet", short: "q", type: "bool", help: "Pull without printing progress information" },
    ],
    async run(c, f, args) {
      const [p, names] = await services(c, args);
      for (const n of names) {
        const s = p.services[n]!;
        if (!s.image || (s.build && f["ignore-buildable"])) continue;
        try {
          await pullService(c, p, n, s);
        } catch (e) {
          if (!f["ignore-pull-failures"] && !s.build) throw e;
          c.ctx.err(`WARN[0000] ${n}: ${(e as Error).message}`);
        }
      }
      return 0;
    },
  },
  {
    name: "push", synopsis: "[OPTIONS] [SERVICE...]", description: "Push service images",
    flags: [
      { name: "ignore-push-failures", type: "bool", help: "Push what it can and ignores images with push failures" },
      { name: "quiet", short: "q", type: "bool", help: "Push without printing progress information" },
    ],
    async run(c, f, args) {
      const [p, names] = await services(c, args);
      for (const n of names) {
        const s = p.services[n]!;
        if (!s.build || !s.image) continue; // compose pushes the images it builds, under their image: name
        const code = await delegate(c, pushCommand, ["--quiet", s.image]).catch((e) => {
          if (!f["ignore-push-failures"]) throw e;
          c.ctx.err(`WARN[0000] ${n}: ${(e as Error).message}`);
          return 0;
        });
        if (code !== 0 && !f["ignore-push-failures"]) return code;
      }
      return 0;
    },
  },
  {
    name: "images", synopsis: "[OPTIONS] [SERVICE...]", description: "List images used by the created containers",
    flags: [
      { name: "quiet", short: "q", type: "bool", help: "Only display IDs" },
      { name: "format", type: "string", default: "table", help: "Format the output. Values: [table | json]" },
    ],
    async run(c, f, args) {
      const { name } = await projectNameFor(c);
      const client = await c.client();
      const rows = [];
      for (const ct of await projectContainers(client, name, { all: true, services: args })) {
        const img = await client.json("GET", `/images/${encodeURIComponent(ct.Image)}/json`).catch(() => undefined); // removed since: the row shows no ID or size
        const [repo, tag] = ct.Image.includes(":") ? [ct.Image.slice(0, ct.Image.lastIndexOf(":")), ct.Image.slice(ct.Image.lastIndexOf(":") + 1)] : [ct.Image, "latest"];
        rows.push({ ContainerName: nameOf(ct), Repository: repo, Tag: tag, ID: String(img?.Id ?? "").replace(/^sha256:/, "").slice(0, 12), Size: img ? humanSizeWithPrecision(img.Size, 3) : "", FullId: img?.Id ?? "" });
      }
      if (f.quiet) return c.ctx.out([...new Set(rows.map((r) => r.FullId))].map((r) => `${r}\n`).join("")), 0;
      if (f.format === "json") return c.ctx.out(JSON.stringify(rows.map(({ FullId, ...r }) => ({ ...r, ID: FullId })), null, 2)), 0;
      stdout.write(printDefaultTable(["ContainerName", "Repository", "Tag", "ID", "Size"], rows, { ContainerName: "CONTAINER", Repository: "REPOSITORY", Tag: "TAG", ID: "IMAGE ID", Size: "SIZE" }));
      return 0;
    },
  },
];


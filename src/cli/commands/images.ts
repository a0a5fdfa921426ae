// images, load, save, import, tag, rmi, history. node:fs is loaded only by the commands that touch a file.
import { nodeFs, nodeStream } from "../../builtins.ts";
import type { Command } from "../command.ts";
import { filterFlag, filtersJson, formatFlag, noTruncFlag, quietFlag } from "../command.ts";
import { jsonMessages } from "../../client/client.ts";
import { goTimeString, printRows, rfc3339 } from "../output.ts";
import { humanSize, humanSizeWithPrecision, timeAgo } from "../../shared/units.ts";
import { displayId, ellipsis } from "../format/ids.ts";
import { paced, stdout } from "../stdio.ts";
import { inspectEach } from "./inspect-each.ts";
import { eachName } from "./each-name.ts";
import { errnoCode, messageOf } from "../../errors.ts";

/** Fails the way docker does ("open X: no such file or directory") before any request is sent. */
function openOrThrow(path: string): void {
  try {
    const { closeSync, openSync } = nodeFs(); // loaded here: images, tag and rmi only print text
    closeSync(openSync(path, "r"));
  } catch (e) {
    const why = errnoCode(e) === "ENOENT" ? "no such file or directory" : errnoCode(e) === "EACCES" ? "permission denied" : errnoCode(e) === "EISDIR" ? "is a directory" : messageOf(e);
    throw new Error(`open ${path}: ${why}`);
  }
}

function splitRepoTag(ref: string): { repo: string; tag?: string } {
  const at = ref.indexOf("@");
  if (at >= 0) return { repo: ref.slice(0, at), tag: ref.slice(at) };
  const colon = ref.lastIndexOf(":");
  if (colon > ref.lastIndexOf("/")) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref };
}

export const imagesCommand: Command = {
  names: ["images", "image ls", "image list"],
  synopsis: "[OPTIONS] [REPOSITORY[:TAG]]",
  description: "List images",
  flags: [
    { name: "all", short: "a", type: "bool", help: "Show all images (default hides intermediate images)" },
    { name: "digests", type: "bool", help: "Show digests" },
    filterFlag, formatFlag, noTruncFlag, quietFlag,
  ],
  maxArgs: 1,
  async run(ctx, f, args) {
    const filters = [...f.filter];
    if (args[0]) filters.push(`reference=${args[0]}`);
    const list: any[] = await (await ctx.client()).json("GET", "/images/json", {
      query: { all: f.all, digests: f.digests, filters: filtersJson(filters) },
    });
    list.sort((a, b) => b.Created - a.Created);
    const rows: Record<string, unknown>[] = [];
    for (const img of list) {
      const tags: string[] = img.RepoTags?.length ? img.RepoTags : ["<none>:<none>"];
      const digests: string[] = img.RepoDigests ?? [];
      for (const t of tags) {
        const { repo, tag } = splitRepoTag(t);
        const digest = digests.find((d) => d.startsWith(`${repo}@`))?.split("@")[1] ?? "<none>";
        rows.push({
          ID: displayId(img.Id, f["no-trunc"]),
          Repository: repo,
          Tag: tag ?? "<none>",
          Digest: digest,
          CreatedSince: timeAgo(img.Created * 1000),
          // Local time wakes ICU's time zone data (~450 page faults, ~10 ms): only when a format shows it.
          get CreatedAt() {
            return goTimeString(img.Created);
          },
          Size: humanSizeWithPrecision(img.Size, 3),
          VirtualSize: humanSize(img.VirtualSize ?? img.Size),
          Containers: img.Containers < 0 ? "N/A" : String(img.Containers),
          SharedSize: "N/A",
          UniqueSize: "N/A",
        });
      }
    }
    if (f.quiet) {
      const seen = new Set<string>();
      for (const r of rows) if (!seen.has(r.ID as string)) seen.add(r.ID as string), ctx.out(r.ID as string);
      return 0;
    }
    const def = f.digests
      ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
      : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    stdout.write(printRows(f.format, def, rows, {
      ID: "IMAGE ID", Repository: "REPOSITORY", Tag: "TAG", Digest: "DIGEST", CreatedSince: "CREATED", CreatedAt: "CREATED AT", Size: "SIZE", Containers: "CONTAINERS", SharedSize: "SHARED SIZE", UniqueSize: "UNIQUE SIZE",
    }, "*formatter.imageContext"));
    return 0;
  },
};

export const loadCommand: Command = {
  names: ["load", "image load"],
  synopsis: "[OPTIONS]",
  description: "Load an image from a tar archive or STDIN",
  flags: [
    { name: "input", short: "i", type: "string", help: "Read from tar archive file, instead of STDIN" },
    { name: "quiet", short: "q", type: "bool", help: "Suppress the load output" },
  ],
  maxArgs: 0,
  async run(ctx, f) {
    if (!f.input && process.stdin.isTTY) {
      throw new Error("requested load from stdin, but stdin is empty");
    }
    if (f.input) openOrThrow(f.input);
    const body = f.input ? nodeStream().Readable.toWeb(nodeFs().createReadStream(f.input)) : nodeStream().Readable.toWeb(process.stdin);
    const res = await (await ctx.client()).request("POST", "/images/load", { query: { quiet: f.quiet }, body: body as any, headers: { "Content-Type": "application/x-tar" } });
    for await (const m of jsonMessages(res)) {
      if (m.error) throw new Error(m.error);
      if (m.stream) stdout.write(m.stream);
    }
    return 0;
  },
};

export const saveCommand: Command = {
  names: ["save", "image save"],
  synopsis: "[OPTIONS] IMAGE [IMAGE...]",
  description: "Save one or more images to a tar archive (streamed to STDOUT by default)",
  flags: [{ name: "output", short: "o", type: "string", help: "Write to a file, instead of STDOUT" }],
  minArgs: 1,
  async run(ctx, f, args) {
    if (!f.output && stdout.isTTY) {
      throw new Error("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    const res = await (await ctx.client()).request("GET", "/images/get", { query: { names: args } });
    if (f.output) {
      // Write beside the target and rename, so a failed save leaves no half file.
      const tmp = `${f.output}.berth-tmp-${process.pid}`;
      try {
        await Bun.write(tmp, res);
        nodeFs().renameSync(tmp, f.output);
      } catch (e) {
        if (nodeFs().existsSync(tmp)) nodeFs().rmSync(tmp);
        throw e;
      }
    } else {
      for await (const chunk of paced(res.body!)) stdout.write(chunk);
    }
    return 0;
  },
};

export const importCommand: Command = {
  names: ["import", "image import"],
  synopsis: "[OPTIONS] file|- [REPOSITORY[:TAG]]",
  description: "Import the contents from a tarball to create a filesystem image",
  flags: [
    { name: "change", short: "c", type: "list", help: "Apply Dockerfile instruction to the created image" },
    { name: "message", short: "m", type: "string", help: "Set commit message for imported image" },
    { name: "platform", type: "string", help: "Set platform if server is multi-platform capable" },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, f, args) {
    const src = args[0]!;
    if (/^https?:\/\//.test(src)) throw new Error("importing from a URL is not supported yet; download the file and import it");
    if (src !== "-") openOrThrow(src);
    const body = src === "-" ? nodeStream().Readable.toWeb(process.stdin) : nodeStream().Readable.toWeb(nodeFs().createReadStream(src));
    const { repo, tag } = args[1] ? splitRepoTag(args[1]) : { repo: undefined, tag: undefined };
    const res = await (await ctx.client()).request("POST", "/images/create", {
      query: { fromSrc: "-", repo, tag, message: f.message, platform: f.platform, changes: f.change },
      body: body as any,
    });
    for await (const m of jsonMessages(res)) {
      if (m.error) throw new Error(m.error);
      if (m.status) ctx.out(m.status);
    }
    return 0;
  },
};

export const tagCommand: Command = {
  names: ["tag", "image tag"],
  synopsis: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
  description: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, _f, [source, target]) {
    const { repo, tag } = splitRepoTag(target!);
    if (tag?.startsWith("@")) throw new Error("refusing to create a tag with a digest reference");
    await (await ctx.client()).request("POST", `/images/${source}/tag`, { query: { repo, tag: tag ?? "latest" } });
    return 0;
  },
};

export const rmiCommand: Command = {
  names: ["rmi", "image rm", "image remove"],
  synopsis: "[OPTIONS] IMAGE [IMAGE...]",
  description: "Remove one or more images",
  flags: [
    { name: "force", short: "f", type: "bool", help: "Force removal of the image" },
    { name: "no-prune", type: "bool", help: "Do not delete untagged parents" },
  ],
  minArgs: 1,
  async run(ctx, f, args) {
    const client = await ctx.client();
    return eachName(ctx, args, async (name) => {
      const items: any[] = await client.json("DELETE", `/images/${name}`, { query: { force: f.force, noprune: f["no-prune"] } });
      for (const i of items) {
        if (i.Untagged) ctx.out(`Untagged: ${i.Untagged}`);
        if (i.Deleted) ctx.out(`Deleted: ${i.Deleted}`);
      }
    }, false);
  },
};

export const historyCommand: Command = {
  names: ["history", "image history"],
  synopsis: "[OPTIONS] IMAGE",
  description: "Show the history of an image",
  flags: [
    { name: "human", short: "H", type: "bool", default: true, help: "Print sizes and dates in human readable format" },
    formatFlag, noTruncFlag, quietFlag,
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, f, [name]) {
    const items: any[] = await (await ctx.client()).json("GET", `/images/${name}/history`);
    if (f.quiet) {
      for (const i of items) ctx.out(displayId(i.Id, f["no-trunc"]));
      return 0;
    }
    const rows = items.map((i) => {
      const by = String(i.CreatedBy ?? "").replace(/\s+/g, " ");
      return {
        ID: i.Id === "<missing>" ? "<missing>" : displayId(i.Id, f["no-trunc"]),
        CreatedSince: f.human ? timeAgo(i.Created * 1000) : rfc3339(i.Created),
        get CreatedAt() {
          return rfc3339(i.Created); // local time: only when shown (see images)
        },
        CreatedBy: f["no-trunc"] ? by : ellipsis(by, 45),
        Size: f.human ? humanSizeWithPrecision(i.Size, 3) : String(i.Size),
        Comment: i.Comment ?? "",
      };
    });
    const created = f.human ? "{{.CreatedSince}}" : "{{.CreatedAt}}";
    stdout.write(printRows(f.format, `table {{.ID}}\t${created}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}`, rows, {
      ID: "IMAGE", CreatedSince: "CREATED", CreatedAt: "CREATED AT", CreatedBy: "CREATED BY", Size: "SIZE", Comment: "COMMENT",
    }, "*formatter.historyContext"));
    return 0;
  },
};

export const imageInspectCommand: Command = {
  names: ["image inspect"],
  synopsis: "[OPTIONS] IMAGE [IMAGE...]",
  description: "Display detailed information on one or more images",
  flags: [{ ...formatFlag, short: "f" }],
  minArgs: 1,
  run: (ctx, f, args) => inspectEach(ctx, f.format, args, (name) => `/images/${name}/json`),
};

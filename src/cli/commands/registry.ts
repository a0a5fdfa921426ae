// pull, push, login, logout, search: the registry commands, through the daemon.
import type { Command } from "../command.ts";
import type { Context } from "../context.ts";
import { filterFlag, filtersJson, formatFlag, noTruncFlag } from "../command.ts";
import { jsonMessages } from "../../client/client.ts";
import { displayJsonMessages } from "../format/json-messages.ts";
import { ellipsis } from "../format/ids.ts";
import { printRows } from "../output.ts";
import { UsageError } from "../flags.ts";
import { familiarRepository, formatReference, parseReference, repositoryName, withDefaultTag } from "../../image/reference.ts";
import { authHeaderFor, registryOf } from "../registry-auth.ts";
import { readCredentialsInput } from "./login-prompt.ts";
import { credentialKey, dockerConfigDir, eraseCredentials, readDockerConfig, storeCredentials } from "../../registry/client/credentials.ts";
import { join } from "node:path";
import { paced, stdout, type Output } from "../stdio.ts";

/** Progress to a stream: the terminal form when that stream is a terminal. */
function display(res: Response, stream: Output, onAux?: (aux: any) => void): Promise<void> {
  return displayJsonMessages(paced(jsonMessages(res)), {
    write: (t) => void stream.write(t), terminal: !!stream.isTTY, columns: stream.columns, onAux,
  });
}

/**
 * POST /images/create for one reference (or all tags), rendering progress on
 * `out`; returns the name docker prints last.
 */
export async function pullWithProgress(ctx: Context, name: string, opts: { platform?: string; allTags?: boolean; quiet?: boolean; out: Output }): Promise<string> {
  const parsed = parseReference(name);
  const ref = opts.allTags ? parsed : withDefaultTag(parsed);
  const tag = ref.digest ?? ref.tag;
  const res = await (await ctx.client()).request("POST", "/images/create", {
    query: { fromImage: repositoryName(ref), tag, platform: opts.platform },
    headers: { "X-Registry-Auth": authHeaderFor(ref.domain, ctx.globals.configDir) },
  });
  if (opts.quiet) for await (const m of jsonMessages(res)) { if (m.error) throw new Error(m.errorDetail?.message ?? m.error); }
  else await display(res, opts.out);
  return opts.allTags ? repositoryName(ref) : formatReference(ref);
}

export const pullCommand: Command = {
  names: ["pull", "image pull"],
  synopsis: "[OPTIONS] NAME[:TAG|@DIGEST]",
  description: "Download an image from a registry",
  flags: [
    { name: "all-tags", short: "a", type: "bool", help: "Download all tagged images in the repository" },
    { name: "platform", type: "string", help: "Set platform if server is multi-platform capable" },
    { name: "quiet", short: "q", type: "bool", help: "Suppress verbose output" },
    { name: "disable-content-trust", type: "bool", hidden: true },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, f, [name]) {
    const ref = parseReference(name!);
    if (f["all-tags"] && (ref.tag !== undefined || ref.digest !== undefined)) throw new Error("tag can't be used with --all-tags/-a");
    if (!f["all-tags"] && ref.tag === undefined && ref.digest === undefined && !f.quiet) ctx.out("Using default tag: latest");
    const shown = await pullWithProgress(ctx, name!, { platform: f.platform, allTags: f["all-tags"], quiet: f.quiet, out: stdout });
    ctx.out(shown);
    return 0;
  },
};

export const pushCommand: Command = {
  names: ["push", "image push"],
  synopsis: "[OPTIONS] NAME[:TAG]",
  description: "Upload an image to a registry",
  flags: [
    { name: "all-tags", short: "a", type: "bool", help: "Push all tags of an image to the repository" },
    { name: "quiet", short: "q", type: "bool", help: "Suppress verbose output" },
    { name: "platform", type: "string", hidden: true },
    { name: "disable-content-trust", type: "bool", hidden: true },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, f, [name]) {
    const ref = parseReference(name!);
    if (ref.digest) throw new Error("cannot push a digest reference");
    if (f["all-tags"] && ref.tag !== undefined) throw new Error("tag can't be used with --all-tags/-a");
    let tag = ref.tag;
    if (!f["all-tags"] && tag === undefined) {
      if (!f.quiet) ctx.out("Using default tag: latest");
      tag = "latest";
    }
    const res = await (await ctx.client()).request("POST", `/images/${encodeURI(familiarRepository(ref))}/push`, {
      query: { tag },
      headers: { "X-Registry-Auth": authHeaderFor(ref.domain, ctx.globals.configDir) },
    });
    if (f.quiet) {
      for await (const m of jsonMessages(res)) if (m.error) throw new Error(m.errorDetail?.message ?? m.error);
      ctx.out(f["all-tags"] ? familiarRepository(ref) : `${familiarRepository(ref)}:${tag}`);
    } else {
      await display(res, stdout);
    }
    return 0;
  },
};

/** The server as docker shows it: Hub's key for Docker Hub, else host[:port]. */
function serverKey(server: string | undefined): { domain: string; key: string } {
  const host = (server ?? "").replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  const domain = !host || ["docker.io", "index.docker.io", "registry-1.docker.io"].includes(host) ? "docker.io" : host;
  return { domain, key: credentialKey(domain) };
}

export const loginCommand: Command = {
  names: ["login"],
  synopsis: "[OPTIONS] [SERVER]",
  description: "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
  summary: "Authenticate to a registry",
  flags: [
    { name: "username", short: "u", type: "string", help: "Username" },
    { name: "password", short: "p", type: "string", help: "Password or Personal Access Token (PAT)" },
    { name: "password-stdin", type: "bool", help: "Take the Password or Personal Access Token (PAT) from stdin" },
  ],
  maxArgs: 1,
  async run(ctx, f, [server]) {
    const { domain, key } = serverKey(server);
    const { username, password } = await readCredentialsInput(f, ctx);
    const reply = await (await ctx.client()).json("POST", "/auth", { json: { username, password, serveraddress: key } });
    const dir = ctx.globals.configDir;
    storeCredentials(domain, { username, password, identityToken: reply?.IdentityToken || undefined }, dir);
    if (!readDockerConfig(dir ?? dockerConfigDir()).credsStore) {
      ctx.err(`\nWARNING! Your credentials are stored unencrypted in '${join(dir ?? dockerConfigDir(), "config.json")}'.\nConfigure a credential helper (credsStore) to keep them elsewhere.\n`);
    }
    ctx.out(reply?.Status || "Login Succeeded");
    return 0;
  },
};

export const logoutCommand: Command = {
  names: ["logout"],
  synopsis: "[SERVER]",
  description: "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
  summary: "Log out from a registry",
  flags: [],
  maxArgs: 1,
  async run(ctx, _f, [server]) {
    const { domain, key } = serverKey(server);
    const shown = server && domain !== "docker.io" ? domain : key;
    if (!eraseCredentials(domain, ctx.globals.configDir)) {
      ctx.out(`Not logged in to ${shown}`);
      return 0;
    }
    ctx.out(`Removing login credentials for ${shown}`);
    return 0;
  },
};

export const searchCommand: Command = {
  names: ["search"],
  synopsis: "[OPTIONS] TERM",
  description: "Search Docker Hub (or the registry the term names) for images",
  flags: [filterFlag, formatFlag, { name: "limit", type: "number", help: "Max number of search results" }, noTruncFlag],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, f, [term]) {
    if (f.limit !== undefined && (f.limit < 1 || f.limit > 100)) throw new UsageError(`limit ${f.limit} is outside the range of [1, 100]`);
    const results: any[] = await (await ctx.client()).json("GET", "/images/search", {
      query: { term, limit: f.limit, filters: filtersJson(f.filter) },
      headers: { "X-Registry-Auth": authHeaderFor(registryOf(term!), ctx.globals.configDir) },
    });
    const rows = results.map((r) => {
      const desc = String(r.description ?? "").replace(/\n/g, " ");
      return {
        Name: r.name,
        Description: f["no-trunc"] ? desc : ellipsis(desc, 45),
        StarCount: String(r.star_count ?? 0),
        IsOfficial: r.is_official ? "[OK]" : "",
        IsAutomated: r.is_automated ? "[OK]" : "",
      };
    });
    stdout.write(printRows(f.format, "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}", rows, {
      Name: "NAME", Description: "DESCRIPTION", StarCount: "STARS", IsOfficial: "OFFICIAL", IsAutomated: "AUTOMATED",
    }, "*formatter.searchContext"));
    return 0;
  },
};

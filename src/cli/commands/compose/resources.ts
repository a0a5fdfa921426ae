// The project's networks and volumes: made with compose's labels when
// missing, external ones checked, and what one `up` made taken away again
// when that `up` fails.
import { ApiError, type Client } from "../../../client/client.ts";
import { ComposeError } from "../../../compose/errors.ts";
import { volumeHash } from "../../../compose/hash.ts";
import type { Project } from "../../../compose/types.ts";
import { composeVersion, label } from "./names.ts";
import { progress } from "./project-containers.ts";

/** What this run created, to remove if it fails. */
export interface Made {
  networks: string[];
  volumes: string[];
  containers: string[];
}

async function exists(client: Client, path: string): Promise<boolean> {
  try {
    await client.json("GET", path);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw e;
  }
}

export async function ensureNetworks(client: Client, p: Project, keys: string[], made: Made, err: (s: string) => void): Promise<void> {
  for (const key of keys) {
    const n = p.networks[key]!;
    const name = n.name!;
    if (n.external) {
      if (!(await exists(client, `/networks/${encodeURIComponent(name)}`))) throw new ComposeError(`network ${name} declared as external, but could not be found`);
      continue;
    }
    if (await exists(client, `/networks/${encodeURIComponent(name)}`)) continue;
    progress(err, "Network", name, "Creating");
    const ipam = n.ipam ? { Driver: n.ipam.driver ?? "default", Config: (n.ipam.config ?? []).map((c) => ({ Subnet: c.subnet, Gateway: c.gateway, IPRange: c.ip_range })) } : undefined;
    await client.json("POST", "/networks/create", {
      json: {
        Name: name, Driver: n.driver ?? "bridge", Options: n.driver_opts ?? {}, IPAM: ipam, Internal: !!n.internal, Attachable: !!n.attachable,
        CheckDuplicate: true, Labels: { ...(n.labels ?? {}), [label.project]: p.name, [label.network]: key, [label.version]: composeVersion },
      },
    });
    made.networks.push(name);
    progress(err, "Network", name, "Created");
  }
}

/**
 * A project volume whose configuration changed since it was made (its config hash differs): compose asks
 * whether to recreate it, losing its data; the answer is this callback's, which on a yes has taken away the
 * containers that use it.
 */
export type DivergedVolume = (key: string, name: string) => Promise<boolean>;

export async function ensureVolumes(client: Client, p: Project, keys: string[], made: Made, err: (s: string) => void, diverged?: DivergedVolume): Promise<void> {
  for (const key of keys) {
    const v = p.volumes[key]!;
    const name = v.name!;
    const found = await client.json<{ Labels?: Record<string, string> | null }>("GET", `/volumes/${encodeURIComponent(name)}`).catch((e) => {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    });
    if (v.external) {
      if (!found) throw new ComposeError(`external volume "${name}" not found`);
      continue;
    }
    const hash = volumeHash(v);
    if (found) {
      const owner = found.Labels?.[label.project];
      if (owner === undefined) err(`WARN[0000] volume "${name}" already exists but was not created by Docker Compose. Use \`external: true\` to use an existing volume`);
      else if (owner !== p.name) err(`WARN[0000] volume "${name}" already exists but was created for project "${owner}" (expected "${p.name}"). Use \`external: true\` to use an existing volume`);
      const actual = found.Labels?.[label.hash];
      if (actual === undefined || actual === hash || !diverged || !(await diverged(key, name))) continue;
      await client.request("DELETE", `/volumes/${encodeURIComponent(name)}`, { query: { force: true } });
    }
    progress(err, "Volume", name, "Creating");
    await client.json("POST", "/volumes/create", {
      json: {
        Name: name, Driver: v.driver ?? "local", DriverOpts: v.driver_opts ?? {},
        Labels: { ...(v.labels ?? {}), [label.project]: p.name, [label.volume]: key, [label.version]: composeVersion, [label.hash]: hash },
      },
    });
    if (!found) made.volumes.push(name); // a volume replaced after a yes is not one to roll back
    progress(err, "Volume", name, "Created");
  }
}

/** Takes away what a failed run made: its containers first, then its networks and volumes. */
export async function rollBack(client: Client, made: Made): Promise<void> {
  // Each removal is tried on its own: one that fails must not keep the others, or hide the error that brought us here.
  for (const id of made.containers) await client.request("DELETE", `/containers/${id}`, { query: { force: true, v: true } }).catch(() => {});
  for (const n of made.networks) await client.request("DELETE", `/networks/${encodeURIComponent(n)}`).catch(() => {});
  for (const v of made.volumes) await client.request("DELETE", `/volumes/${encodeURIComponent(v)}`).catch(() => {});
}

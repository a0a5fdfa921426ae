// The project's networks and volumes: made with compose's labels when
// missing, external ones checked, and what one `up` made taken away again
// when that `up` fails.
import { ApiError, type Client } from "../../../client/client.ts";
import { ComposeError } from "../../../compose/errors.ts";
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

export async function ensureVolumes(client: Client, p: Project, keys: string[], made: Made, err: (s: string) => void): Promise<void> {
  for (const key of keys) {
    const v = p.volumes[key]!;
    const name = v.name!;
    if (v.external) {
      if (!(await exists(client, `/volumes/${encodeURIComponent(name)}`))) throw new ComposeError(`external volume "${name}" not found`);
      continue;
    }
    if (await exists(client, `/volumes/${encodeURIComponent(name)}`)) continue;
    progress(err, "Volume", name, "Creating");
    await client.json("POST", "/volumes/create", {
      json: { Name: name, Driver: v.driver ?? "local", DriverOpts: v.driver_opts ?? {}, Labels: { ...(v.labels ?? {}), [label.project]: p.name, [label.volume]: key, [label.version]: composeVersion } },
    });
    made.volumes.push(name);
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

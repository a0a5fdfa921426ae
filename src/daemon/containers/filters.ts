// `docker ps --filter` semantics: values of one key are ORed, keys are ANDed.
import { InvalidParameterError } from "../../errors.ts";
import type { ContainerRecord } from "./records.ts";
import { labelMatches } from "../label-filter.ts";

const known = new Set(["id", "name", "label", "status", "exited", "ancestor", "before", "since", "health", "isolation", "network", "volume", "publish", "expose"]);
const statuses = new Set(["created", "restarting", "running", "removing", "paused", "exited", "dead"]);
const healths = new Set(["starting", "healthy", "unhealthy", "none"]);


export function matchesFilters(
  c: ContainerRecord,
  filters: Record<string, string[]>,
  find: (ref: string) => ContainerRecord,
  mounts: (id: string) => { Name?: string; Destination: string }[] = () => [],
): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (!known.has(key)) throw new InvalidParameterError(`invalid filter '${key}'`);
    if (!values.length) continue;
    const any = (pred: (v: string) => boolean) => values.some(pred);
    switch (key) {
      case "id":
        if (!any((v) => c.id.startsWith(v))) return false;
        break;
      case "name":
        if (!any((v) => filterRegExp(key, v.replace(/^\//, "")).test(c.name))) return false;
        break;
      case "label":
        if (!values.every((v) => labelMatches(c.config.Labels ?? {}, v))) return false;
        break;
      case "status":
        for (const v of values) if (!statuses.has(v)) throw new InvalidParameterError(`invalid filter 'status=${v}'`);
        if (!any((v) => v === c.state.Status)) return false;
        break;
      case "exited":
        if (c.state.Status !== "exited" || !any((v) => Number(v) === c.state.ExitCode)) return false;
        break;
      case "ancestor":
        if (!any((v) => c.image === v || c.imageId === v || c.imageId.replace("sha256:", "").startsWith(v.replace("sha256:", "")))) return false;
        break;
      case "before":
        if (!any((v) => c.created < find(v).created)) return false;
        break;
      case "since":
        if (!any((v) => c.created > find(v).created)) return false;
        break;
      case "health":
        for (const v of values) if (!healths.has(v)) throw new InvalidParameterError(`Unrecognised filter value for health: ${v}`);
        if (!any((v) => v === (c.state.Health?.Status ?? "none"))) return false;
        break;
      case "volume":
        // A volume's name or any mount's destination, as dockerd matches them.
        if (!any((v) => mounts(c.id).some((m) => m.Name === v || m.Destination === v))) return false;
        break;
      default:
        // Filters on features berth does not have yet (networks, ports) match nothing.
        return false;
    }
  }
  return true;
}

/** A filter's pattern as a regexp; a malformed one is the client's error (400), not the engine's. */
function filterRegExp(key: string, pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (e) {
    throw new InvalidParameterError(`invalid filter '${key}=${pattern}': error parsing regexp: ${(e as Error).message.replace(/^Invalid regular expression: /, "")}`);
  }
}

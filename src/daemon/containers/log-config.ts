// The json-file logger's options (HostConfig.LogConfig) and the attributes
// `logs --details` prints before each line: the container's labels and
// environment variables those options name, as "k=v,k2=v2" (query-escaped,
// sorted by key), which is how dockerd shows them.
import { InvalidParameterError } from "../../errors.ts";

type Json = Record<string, any>;

/** json-file's own options in dockerd. */
const knownOpts = ["max-size", "max-file", "compress", "labels", "labels-regex", "env", "env-regex", "tag"];
/** Accepted, written to the config, but not acted on yet: said in the create warnings. */
const notEnforced = ["max-size", "max-file", "compress"];

/** Checks a LogConfig; returns the warnings for options berth keeps but does not enforce. */
export function checkLogConfig(lc: Json): string[] {
  const type = lc.Type || "json-file";
  if (type !== "json-file") throw new InvalidParameterError(`logging driver "${type}" is not supported by berth (json-file only)`);
  const opts: Record<string, unknown> = lc.Config ?? {};
  for (const k of Object.keys(opts)) {
    if (!knownOpts.includes(k)) throw new InvalidParameterError(`unknown log opt '${k}' for json-file log driver`);
  }
  return Object.keys(opts).filter((k) => notEnforced.includes(k)).map((k) => `log-opt ${k} is accepted but not enforced yet: the log is not rotated`);
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, "+").replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The attributes a container's log lines carry, as `logs --details` prints them ("" when none). */
export function logAttributes(config: Json, hostConfig: Json): string {
  const opts: Record<string, string> = hostConfig.LogConfig?.Config ?? {};
  const attrs = new Map<string, string>();
  const labels: Record<string, string> = config.Labels ?? {};
  const list = (v?: string) => (v ? v.split(",").map((x) => x.trim()).filter(Boolean) : []);
  for (const k of list(opts.labels)) if (k in labels) attrs.set(k, labels[k]!);
  if (opts["labels-regex"]) {
    const re = new RegExp(opts["labels-regex"]);
    for (const [k, v] of Object.entries(labels)) if (re.test(k)) attrs.set(k, v);
  }
  const env = new Map<string, string>();
  for (const e of (config.Env ?? []) as string[]) {
    const i = e.indexOf("=");
    if (i > 0) env.set(e.slice(0, i), e.slice(i + 1));
  }
  for (const k of list(opts.env)) if (env.has(k)) attrs.set(k, env.get(k)!);
  if (opts["env-regex"]) {
    const re = new RegExp(opts["env-regex"]);
    for (const [k, v] of env) if (re.test(k)) attrs.set(k, v);
  }
  return [...attrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`).join(",");
}

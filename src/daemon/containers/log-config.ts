// The json-file logger's options (HostConfig.LogConfig) and the attributes
// `logs --details` prints before each line: the container's labels and
// environment variables those options name, as "k=v,k2=v2" (query-escaped,
// sorted by key), which is how dockerd shows them.
import { InvalidParameterError } from "../../errors.ts";
import { fromHumanSize } from "../../shared/units.ts";
import type { LogRotation } from "../../runtime/index.ts";

type Json = Record<string, any>;

/** json-file's own options in dockerd. */
const knownOpts = ["max-size", "max-file", "compress", "labels", "labels-regex", "env", "env-regex", "tag"];

/** A container whose output is not kept (`--log-driver none`): no log file, and `logs` refuses. */
export function logsDisabled(hostConfig: Json): boolean {
  return hostConfig.LogConfig?.Type === "none";
}

/** Checks a LogConfig with dockerd's messages. */
export function checkLogConfig(lc: Json): void {
  const type = lc.Type || "json-file";
  const opts: Record<string, string> = lc.Config ?? {};
  if (type === "none") {
    const given = Object.keys(opts)[0];
    if (given !== undefined) throw new InvalidParameterError(`unknown log opt '${given}' for none log driver`);
    return;
  }
  if (type !== "json-file") throw new InvalidParameterError(`logging driver "${type}" is not supported by berth (json-file and none only)`);
  for (const k of Object.keys(opts)) {
    if (!knownOpts.includes(k)) throw new InvalidParameterError(`unknown log opt '${k}' for json-file log driver`);
  }
  logRotation(opts);
}

/** max-size, max-file and compress of the json-file driver, checked with dockerd's messages. */
export function logRotation(opts: Record<string, string>): LogRotation {
  let maxSize: number | undefined;
  if (opts["max-size"] !== undefined) {
    // As dockerd reads it: decimal units ("10m" is 10,000,000 bytes).
    maxSize = fromHumanSize(opts["max-size"]);
    if (maxSize <= 0) throw new InvalidParameterError("max-size must be a positive number");
  }
  let maxFiles = 1;
  if (opts["max-file"] !== undefined) {
    const raw = opts["max-file"];
    if (!/^[+-]?\d+$/.test(raw)) throw new InvalidParameterError(`strconv.Atoi: parsing ${JSON.stringify(raw)}: invalid syntax`);
    maxFiles = parseInt(raw, 10);
    if (maxFiles < 1) throw new InvalidParameterError("max-file cannot be less than 1");
  }
  const compress = opts.compress !== undefined && parseGoBool(opts.compress);
  if (compress && (maxFiles === 1 || maxSize === undefined)) {
    throw new InvalidParameterError("compress cannot be true when max-file is less than 2 or max-size is not set");
  }
  return { maxSize, maxFiles, compress };
}

/** Go's strconv.ParseBool. */
function parseGoBool(v: string): boolean {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return false;
  throw new InvalidParameterError(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
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

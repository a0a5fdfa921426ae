// `--change` instructions of docker import/commit, applied to a container
// config the way Docker does (a subset of Dockerfile instructions).
import { InvalidParameterError } from "../errors.ts";
import type { ContainerConfig } from "./config.ts";
import { splitShellWords } from "../shared/shell-words.ts";

const ALLOWED = new Set(["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"]);

/** Words of an instruction, with Docker's error for an unclosed quote. */
function splitWords(s: string): string[] {
  return splitShellWords(s, (m) => new InvalidParameterError(m));
}

function jsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith("[")) return undefined;
  try {
    const v = JSON.parse(rest);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
  } catch {
    /* not JSON: shell form */
  }
  return undefined;
}

/** key=value pairs (ENV, LABEL), or the legacy `ENV key value` form. */
function keyValues(instr: string, rest: string): [string, string][] {
  const words = splitWords(rest);
  if (words.length === 0) throw new InvalidParameterError(`${instr} requires at least one argument`);
  if (!words[0]!.includes("=")) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest.trim());
    if (!m) throw new InvalidParameterError(`${instr} names can not be blank`);
    return [[m[1]!, splitWords(m[2]!).join(" ") || m[2]!]];
  }
  return words.map((w) => {
    const i = w.indexOf("=");
    if (i <= 0) throw new InvalidParameterError(`${instr} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

export function applyChanges(config: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const c: ContainerConfig = structuredClone(config);
  for (const raw of changes) {
    const line = raw.trim();
    if (line === "") continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const instr = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (!ALLOWED.has(instr)) throw new InvalidParameterError(`${instr} is not a valid change command`);
    switch (instr) {
      case "CMD":
      case "ENTRYPOINT": {
        const argv = jsonArray(rest) ?? (rest === "" ? [] : ["/bin/sh", "-c", rest]);
        if (instr === "CMD") c.Cmd = argv;
        else c.Entrypoint = argv;
        break;
      }
      case "ENV": {
        const env = [...(c.Env ?? [])];
        for (const [k, v] of keyValues(instr, rest)) {
          const i = env.findIndex((e) => e.split("=")[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        c.Env = env;
        break;
      }
      case "LABEL":
        c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(keyValues(instr, rest)) };
        break;
      case "EXPOSE": {
        const ports = { ...(c.ExposedPorts ?? {}) };
        for (const p of splitWords(rest)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw new InvalidParameterError(`invalid containerPort: ${p}`);
          ports[p.includes("/") ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        c.ExposedPorts = ports;
        break;
      }
      case "VOLUME": {
        const vols = { ...(c.Volumes ?? {}) };
        for (const v of jsonArray(rest) ?? splitWords(rest)) {
          if (v === "") throw new InvalidParameterError("VOLUME specified can not be an empty string");
          vols[v] = {};
        }
        c.Volumes = vols;
        break;
      }
      case "USER":
        c.User = splitWords(rest)[0] ?? "";
        break;
      case "WORKDIR": {
        const w = splitWords(rest).join(" ");
        c.WorkingDir = w.startsWith("/") || !c.WorkingDir ? w : `${c.WorkingDir.replace(/\/$/, "")}/${w}`;
        break;
      }
      case "STOPSIGNAL":
        c.StopSignal = splitWords(rest)[0] ?? "";
        break;
      case "ONBUILD":
        c.OnBuild = [...(c.OnBuild ?? []), rest];
        break;
    }
  }
  return c;
}

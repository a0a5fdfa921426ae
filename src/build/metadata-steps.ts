// The instructions that change only the image config: each returns the new
// container config and what history says created it. Values are expanded
// with the variables of the moment, where Docker expands them.
import { posix } from "node:path";
import { InvalidParameterError } from "../errors.ts";
import type { ContainerConfig } from "../image/config.ts";
import type { Instruction } from "./dockerfile/instructions.ts";
import { expandWord, type Vars } from "./dockerfile/shell-lex.ts";
import { goQuotedList, nopCreatedBy, nopCreatedBySingle } from "./history.ts";
import { setEnv } from "./variables.ts";

export interface MetadataResult {
  config: ContainerConfig;
  createdBy: string;
  author?: string;
}

export const DEFAULT_SHELL = ["/bin/sh", "-c"];

export function shellOf(c: ContainerConfig): string[] {
  return c.Shell?.length ? c.Shell : DEFAULT_SHELL;
}

/** Applies one metadata instruction; undefined for the ones that are not (RUN, COPY, ADD, FROM, ARG). */
export function applyMetadata(ins: Instruction, c: ContainerConfig, vars: Vars, escape: string, cmdSetInStage: boolean): MetadataResult | undefined {
  const x = (w: string) => expandWord(w, vars, escape);
  const next: ContainerConfig = { ...c };
  switch (ins.kind) {
    case "ENV": {
      let env = c.Env;
      const shown: string[] = [];
      // Each pair sees the ones before it on the same line.
      const local = new Map<string, string>();
      const v: Vars = (n) => local.get(n) ?? vars(n);
      for (const p of ins.pairs) {
        const key = expandWord(p.key, v, escape);
        const value = expandWord(p.value, v, escape);
        if (!key) throw new InvalidParameterError("ENV names can not be blank");
        local.set(key, value);
        env = setEnv(env, key, value);
        shown.push(`${key}=${value}`);
      }
      next.Env = env;
      return { config: next, createdBy: nopCreatedBy(`ENV ${shown.join(" ")}`) };
    }
    case "LABEL": {
      const labels = { ...(c.Labels ?? {}) };
      const shown: string[] = [];
      for (const p of ins.pairs) {
        const key = x(p.key);
        const value = x(p.value);
        labels[key] = value;
        shown.push(`${key}=${value}`);
      }
      next.Labels = labels;
      return { config: next, createdBy: nopCreatedBy(`LABEL ${shown.join(" ")}`) };
    }
    case "CMD":
    case "ENTRYPOINT": {
      const argv = "exec" in ins.command ? ins.command.exec : [...shellOf(c), ins.command.shell];
      if (ins.kind === "CMD") next.Cmd = argv;
      else {
        next.Entrypoint = argv;
        // An ENTRYPOINT drops the CMD inherited from the base image, as Docker does.
        if (!cmdSetInStage) next.Cmd = null;
      }
      return { config: next, createdBy: nopCreatedBy(`${ins.kind} ${goQuotedList(argv)}`) };
    }
    case "EXPOSE": {
      const ports = { ...(c.ExposedPorts ?? {}) };
      const shown: string[] = [];
      for (const w of ins.words) {
        for (const p of exposedPorts(x(w))) {
          ports[p] = {};
          shown.push(p);
        }
      }
      next.ExposedPorts = ports;
      return { config: next, createdBy: nopCreatedBy(`EXPOSE ${shown.join(" ")}`) };
    }
    case "USER":
      next.User = x(ins.word);
      return { config: next, createdBy: nopCreatedBy(`USER ${next.User}`) };
    case "VOLUME": {
      const vols = { ...(c.Volumes ?? {}) };
      const paths = ins.words.map(x);
      for (const p of paths) {
        if (!p.trim()) throw new InvalidParameterError("VOLUME specified can not be an empty string");
        vols[p] = {};
      }
      next.Volumes = vols;
      return { config: next, createdBy: nopCreatedBy(`VOLUME [${paths.join(" ")}]`) };
    }
    case "STOPSIGNAL":
      next.StopSignal = x(ins.word);
      if (!/^(SIG)?[A-Z0-9+-]+$/i.test(next.StopSignal)) throw new InvalidParameterError(`Invalid signal: ${next.StopSignal}`);
      return { config: next, createdBy: nopCreatedBy(`STOPSIGNAL ${next.StopSignal}`) };
    case "SHELL":
      next.Shell = ins.shell;
      return { config: next, createdBy: nopCreatedBy(`SHELL [${ins.shell.join(" ")}]`) };
    case "ONBUILD":
      next.OnBuild = [...(c.OnBuild ?? []), ins.expression];
      return { config: next, createdBy: nopCreatedBy(`ONBUILD ${ins.expression}`) };
    case "MAINTAINER":
      return { config: next, createdBy: nopCreatedBy(`MAINTAINER ${ins.word}`), author: ins.word };
    case "HEALTHCHECK": {
      if (ins.test[0] === "NONE") next.Healthcheck = { Test: ["NONE"] };
      else {
        next.Healthcheck = {
          Test: ins.test,
          ...(ins.interval ? { Interval: ins.interval } : {}),
          ...(ins.timeout ? { Timeout: ins.timeout } : {}),
          ...(ins.startPeriod ? { StartPeriod: ins.startPeriod } : {}),
          ...(ins.startInterval ? { StartInterval: ins.startInterval } : {}),
          ...(ins.retries ? { Retries: ins.retries } : {}),
        };
      }
      return { config: next, createdBy: nopCreatedBy(`HEALTHCHECK ${goQuotedList(ins.test)}`) };
    }
    case "WORKDIR": {
      const dir = posix.resolve(c.WorkingDir || "/", x(ins.word));
      next.WorkingDir = dir;
      return { config: next, createdBy: nopCreatedBySingle(`WORKDIR ${dir}`) };
    }
    default:
      return undefined;
  }
}

/** "80" → 80/tcp; "8000-8002/udp" → each port of the range. */
export function exposedPorts(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw new InvalidParameterError(`Invalid containerPort: ${spec}`);
  const proto = (m[3] ?? "tcp").toLowerCase();
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  if (to < from || to > 65535) throw new InvalidParameterError(`Invalid range specified for the containerPort: ${spec}`);
  const out: string[] = [];
  for (let p = from; p <= to; p++) out.push(`${p}/${proto}`);
  return out;
}

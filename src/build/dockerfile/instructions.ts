// One logical line → a typed instruction. Arguments that Docker expands are
// kept as written (the builder expands them with the variables of the moment);
// shapes and flags are checked here, with Docker's messages.
import { DockerfileError } from "./errors.ts";
import type { Heredoc, LogicalLine } from "./lines.ts";
import { jsonForm, leadingFlags, quotedWords, whitespaceWords } from "./words.ts";
import { parseDuration } from "../../shared/duration.ts";

/** A command in exec form (JSON array) or shell form (one string, run through SHELL). */
export type CommandForm = { exec: string[] } | { shell: string };

export interface Base {
  line: number;
  /** The instruction as written (keyword upper-cased), for history and cache keys. */
  original: string;
}

export interface FromInstruction extends Base { kind: "FROM"; image: string; stageName?: string; platform?: string }
export interface RunInstruction extends Base { kind: "RUN"; command: CommandForm; heredocs: Heredoc[]; mounts: string[]; network?: string }
export interface CmdInstruction extends Base { kind: "CMD" | "ENTRYPOINT"; command: CommandForm }
export interface KeyValueInstruction extends Base { kind: "ENV" | "LABEL"; pairs: { key: string; value: string }[] }
export interface ArgInstruction extends Base { kind: "ARG"; args: { name: string; value?: string }[] }
export interface CopyInstruction extends Base {
  kind: "COPY" | "ADD";
  sources: string[];
  dest: string;
  heredocs: Heredoc[];
  from?: string;
  chown?: string;
  chmod?: string;
  checksum?: string;
  link: boolean;
  parents: boolean;
  excludes: string[];
}
export interface WordsInstruction extends Base { kind: "EXPOSE" | "VOLUME"; words: string[] }
export interface WordInstruction extends Base { kind: "WORKDIR" | "USER" | "STOPSIGNAL" | "MAINTAINER"; word: string }
export interface ShellInstruction extends Base { kind: "SHELL"; shell: string[] }
export interface OnbuildInstruction extends Base { kind: "ONBUILD"; expression: string }
export interface HealthcheckInstruction extends Base {
  kind: "HEALTHCHECK";
  /** ["NONE"], ["CMD", …] or ["CMD-SHELL", cmd]. */
  test: string[];
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export type Instruction =
  | FromInstruction | RunInstruction | CmdInstruction | KeyValueInstruction | ArgInstruction | CopyInstruction
  | WordsInstruction | WordInstruction | ShellInstruction | OnbuildInstruction | HealthcheckInstruction;

/** The flags each instruction accepts (true: takes a value; false: boolean). */
const FLAGS: Record<string, Record<string, boolean>> = {
  FROM: { platform: true },
  RUN: { mount: true, network: true, security: true },
  COPY: { from: true, chown: true, chmod: true, link: false, parents: false, exclude: true },
  ADD: { chown: true, chmod: true, link: false, checksum: true, "keep-git-dir": false, exclude: true, parents: false },
  HEALTHCHECK: { interval: true, timeout: true, "start-period": true, "start-interval": true, retries: true },
};

export const KEYWORDS = new Set([
  "FROM", "RUN", "CMD", "ENTRYPOINT", "ENV", "ARG", "LABEL", "EXPOSE", "COPY", "ADD", "WORKDIR", "USER",
  "VOLUME", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD", "MAINTAINER",
]);

export function parseInstruction(l: LogicalLine, escape: string, file: string): Instruction {
  const fail = (msg: string): never => {
    throw new DockerfileError(msg, l.line, file);
  };
  if (!KEYWORDS.has(l.keyword)) fail(`unknown instruction: ${l.keyword}`);
  const base: Base = { line: l.line, original: `${l.keyword} ${l.rest}`.trim() };
  const { flags: rawFlags, rest } = l.keyword === "ONBUILD" ? { flags: [], rest: l.rest } : leadingFlags(l.rest);
  const allowed = FLAGS[l.keyword] ?? {};
  const flags = new Map<string, string[]>();
  for (const f of rawFlags) {
    const takesValue = allowed[f.name];
    if (takesValue === undefined) fail(`Unknown flag: ${f.name}`);
    if (takesValue && f.value === undefined) fail(`Missing a value on flag: ${f.name}`);
    if (!takesValue && f.value !== undefined && f.value !== "true" && f.value !== "false") {
      fail(`expecting boolean value for flag ${f.name}, not: ${f.value}`);
    }
    flags.set(f.name, [...(flags.get(f.name) ?? []), f.value ?? "true"]);
  }
  const one = (name: string) => flags.get(name)?.at(-1);
  const bool = (name: string) => one(name) === "true";
  const needArgs = (n: number, exactly = false) => {
    const words = whitespaceWords(rest);
    if (exactly ? words.length !== n : words.length < n) {
      const count = n === 1 ? "one argument" : "two arguments";
      fail(`${l.keyword} requires ${exactly ? "exactly" : "at least"} ${count}`);
    }
  };

  switch (l.keyword) {
    case "FROM": {
      const words = whitespaceWords(rest);
      if (words.length !== 1 && words.length !== 3) fail("FROM requires either one or three arguments");
      if (words.length === 3 && words[1]!.toUpperCase() !== "AS") fail("FROM requires either one or three arguments");
      const stageName = words[2]?.toLowerCase();
      if (stageName !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(stageName)) {
        fail(`invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
      }
      return { ...base, kind: "FROM", image: words[0]!, ...(stageName ? { stageName } : {}), ...(one("platform") ? { platform: one("platform") } : {}) };
    }
    case "RUN": {
      if (!rest && !l.heredocs.length) needArgs(1);
      const net = one("network");
      if (net !== undefined && !["default", "none", "host"].includes(net)) fail(`unsupported network mode "${net}"`);
      return { ...base, kind: "RUN", command: commandForm(rest), heredocs: l.heredocs, mounts: flags.get("mount") ?? [], ...(net ? { network: net } : {}) };
    }
    case "CMD":
    case "ENTRYPOINT":
      return { ...base, kind: l.keyword, command: commandForm(rest) };
    case "ENV":
    case "LABEL":
      return { ...base, kind: l.keyword, pairs: keyValues(l.keyword, rest, escape, fail) };
    case "ARG": {
      const words = quotedWords(rest, escape);
      if (!words.length) fail("ARG requires at least one argument");
      return {
        ...base, kind: "ARG",
        args: words.map((w) => {
          const eq = w.indexOf("=");
          const name = eq < 0 ? w : w.slice(0, eq);
          if (!name) fail("ARG names can not be blank");
          return eq < 0 ? { name } : { name, value: w.slice(eq + 1) };
        }),
      };
    }
    case "COPY":
    case "ADD": {
      const words = jsonForm(rest) ?? whitespaceWords(rest);
      // A heredoc is a source of its own: `COPY <<EOF /dest`.
      const heredocNames = new Set(l.heredocs.map((h) => h.name));
      const sources = words.slice(0, -1).filter((w) => !isHeredocWord(w, heredocNames));
      if (words.length < 2 || (!sources.length && !l.heredocs.length)) fail(`${l.keyword} requires at least two arguments, but only one was provided. Destination could not be determined.`);
      if (l.keyword === "COPY" && one("checksum")) fail("Unknown flag: checksum");
      return {
        ...base, kind: l.keyword, sources, dest: words.at(-1)!, heredocs: l.heredocs,
        ...(one("from") !== undefined ? { from: one("from") } : {}),
        ...(one("chown") !== undefined ? { chown: one("chown") } : {}),
        ...(one("chmod") !== undefined ? { chmod: one("chmod") } : {}),
        ...(one("checksum") !== undefined ? { checksum: one("checksum") } : {}),
        link: bool("link"), parents: bool("parents"), excludes: flags.get("exclude") ?? [],
      };
    }
    case "EXPOSE":
    case "VOLUME": {
      const words = (l.keyword === "VOLUME" ? jsonForm(rest) : undefined) ?? whitespaceWords(rest);
      if (!words.length) fail(`${l.keyword} requires at least one argument`);
      if (l.keyword === "VOLUME" && words.some((w) => !w.trim())) fail("VOLUME specified can not be an empty string");
      return { ...base, kind: l.keyword, words };
    }
    case "WORKDIR":
    case "USER":
    case "STOPSIGNAL":
      // The rest of the line is the one argument (Docker's parseString): `WORKDIR /a b` is "/a b".
      if (!rest) fail(`${l.keyword} requires exactly one argument`);
      return { ...base, kind: l.keyword, word: rest };
    case "MAINTAINER":
      needArgs(1);
      return { ...base, kind: "MAINTAINER", word: rest };
    case "SHELL": {
      const shell = jsonForm(rest);
      if (!shell) fail("SHELL requires the arguments to be in JSON form");
      if (!shell!.length) fail("SHELL requires at least one argument");
      return { ...base, kind: "SHELL", shell: shell! };
    }
    case "ONBUILD": {
      const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      if (!m) fail("ONBUILD requires at least one argument");
      const kw = m![1]!.toUpperCase();
      if (kw === "ONBUILD") fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (kw === "FROM" || kw === "MAINTAINER") fail(`${kw} isn't allowed as an ONBUILD trigger`);
      // The trigger must itself be a valid instruction.
      parseInstruction({ keyword: kw, rest: m![2]!.trim(), line: l.line, heredocs: [] }, escape, file);
      return { ...base, kind: "ONBUILD", expression: `${kw} ${m![2]!.trim()}`.trim() };
    }
    case "HEALTHCHECK": {
      const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      const type = m?.[1]?.toUpperCase();
      if (type === "NONE") {
        if (m![2] || flags.size) fail("HEALTHCHECK NONE takes no arguments");
        return { ...base, kind: "HEALTHCHECK", test: ["NONE"] };
      }
      if (type !== "CMD") fail(`Unknown type "${m?.[1] ?? ""}" in HEALTHCHECK (try CMD)`);
      const cmdRest = m![2]!;
      if (!cmdRest) fail("Missing command after HEALTHCHECK CMD");
      const exec = jsonForm(cmdRest);
      const dur = (name: string) => {
        const v = one(name);
        if (v === undefined) return undefined;
        const ns = parseDuration(v);
        if (ns === undefined) fail(`time: invalid duration "${v}"`);
        if (ns! !== 0 && ns! < 1_000_000) fail(`Interval "${name}" cannot be less than 1ms`);
        if (ns! < 0) fail(`Interval "${name}" cannot be negative`);
        return ns!;
      };
      const retriesText = one("retries");
      const retries = retriesText === undefined ? undefined : Number(retriesText);
      if (retries !== undefined && (!Number.isInteger(retries) || retries < 0)) fail(retries! < 0 ? "--retries cannot be negative" : `strconv.ParseInt: parsing "${retriesText}": invalid syntax`);
      const durations = { interval: dur("interval"), timeout: dur("timeout"), startPeriod: dur("start-period"), startInterval: dur("start-interval") };
      return {
        ...base, kind: "HEALTHCHECK",
        test: exec ? ["CMD", ...exec] : ["CMD-SHELL", cmdRest],
        ...Object.fromEntries(Object.entries(durations).filter(([, v]) => v !== undefined)),
        ...(retries !== undefined ? { retries } : {}),
      };
    }
  }
  return fail(`unknown instruction: ${l.keyword}`);
}

function commandForm(rest: string): CommandForm {
  const exec = jsonForm(rest);
  return exec ? { exec } : { shell: rest };
}

function isHeredocWord(w: string, names: Set<string>): boolean {
  const m = /^<<-?(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\1$/.exec(w);
  return !!m && names.has(m[2]!);
}

/** ENV and LABEL: `k=v k2="v 2"`, or the legacy `ENV k the rest is the value`. */
function keyValues(keyword: string, rest: string, escape: string, fail: (m: string) => never): { key: string; value: string }[] {
  const words = quotedWords(rest, escape);
  if (!words.length) fail(`${keyword} requires at least one argument`);
  if (!words[0]!.includes("=")) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest);
    if (!m || !m[2]!.trim()) fail(`${keyword} must have two arguments`);
    return [{ key: m![1]!, value: m![2]!.trim() }];
  }
  return words.map((w) => {
    const eq = w.indexOf("=");
    if (eq < 0) fail(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (eq === 0) fail(`${keyword} names can not be blank`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

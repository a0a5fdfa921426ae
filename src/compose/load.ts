// Loading a compose project: the files found or named, .env, interpolation,
// validation, short syntax made long, include, extends, the files merged,
// profiles applied, env_file read, default network and resource names added,
// and the references between services and resources checked.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ComposeError } from "./errors.ts";
import { readDotenv } from "./dotenv.ts";
import { findComposeFiles } from "./files.ts";
import { checkDependencies } from "./graph.ts";
import { interpolateTree, type Lookup } from "./interpolate.ts";
import { mergeModels, mergeService, type Model } from "./merge.ts";
import { normalizeResources, normalizeService } from "./normalize.ts";
import { projectName } from "./project-name.ts";
import type { Project, Service } from "./types.ts";
import { validateFile } from "./validate.ts";
import { parseYaml } from "./yaml.ts";

export interface LoadOptions {
  files?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFiles?: string[];
  profiles?: string[];
  /** Services named on the command line: their profiles count as enabled. */
  services?: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Reads a file named "-" (stdin). */
  readStdin?: () => string;
}

interface FileContext {
  lookup: Lookup;
  unset: (name: string) => void;
  readStdin?: () => string;
}

function readText(file: string, ctx: FileContext): string {
  if (file === "-") return ctx.readStdin?.() ?? "";
  try {
    return readFileSync(file, "utf8");
  } catch {
    throw new ComposeError(`open ${file}: no such file or directory`);
  }
}

/** One file, parsed, interpolated and checked, as a plain document. */
function readDocument(file: string, ctx: FileContext): Record<string, any> {
  const doc = parseYaml(readText(file, ctx), file);
  if (doc === null || doc === undefined) throw new ComposeError(`empty compose file: ${file}`);
  const interpolated = interpolateTree(doc, ctx.lookup, ctx.unset) as Record<string, any>;
  validateFile(file, interpolated);
  return interpolated;
}

/** One document as a model: services in long syntax with their extends resolved, includes merged in. */
function modelOf(file: string, doc: Record<string, any>, baseDir: string, ctx: FileContext, seen: string[]): Model {
  const services: Record<string, Service> = {};
  for (const [name, raw] of Object.entries((doc.services ?? {}) as Record<string, any>)) services[name] = normalizeService(name, raw, baseDir);
  const resolved: Record<string, Service> = {};
  for (const name of Object.keys(services)) resolved[name] = resolveExtends(name, services, file, ctx, [`${file}:${name}`]);
  let model: Model = {
    name: doc.name,
    services: resolved,
    networks: normalizeResources("networks", doc.networks, baseDir),
    volumes: normalizeResources("volumes", doc.volumes, baseDir),
    secrets: normalizeResources("secrets", doc.secrets, baseDir),
    configs: normalizeResources("configs", doc.configs, baseDir),
  };
  for (const inc of doc.include ?? []) model = include(model, inc, baseDir, ctx, seen);
  return model;
}

function resolveExtends(name: string, services: Record<string, Service>, file: string, ctx: FileContext, stack: string[]): Service {
  const s = services[name]!;
  const ext = s.extends as { service: string; file?: string } | undefined;
  if (!ext) return s;
  let base: Service;
  if (ext.file) {
    const other = resolve(dirname(file), ext.file);
    const doc = readDocument(other, ctx);
    const theirs: Record<string, Service> = {};
    for (const [n, raw] of Object.entries((doc.services ?? {}) as Record<string, any>)) theirs[n] = normalizeService(n, raw, dirname(other));
    if (!theirs[ext.service]) throw new ComposeError(`cannot extend service "${name}" in ${file}: service "${ext.service}" not found in ${other}`);
    const key = `${other}:${ext.service}`;
    if (stack.includes(key)) throw new ComposeError(`circular reference with extends: ${[...stack, key].join(" -> ")}`);
    base = resolveExtends(ext.service, theirs, other, ctx, [...stack, key]);
  } else {
    if (!services[ext.service]) throw new ComposeError(`cannot extend service "${name}" in ${file}: service "${ext.service}" not found`);
    const key = `${file}:${ext.service}`;
    if (stack.includes(key)) throw new ComposeError(`circular reference with extends: ${[...stack, key].join(" -> ")}`);
    base = resolveExtends(ext.service, services, file, ctx, [...stack, key]);
  }
  const { extends: _, ...own } = s;
  const { depends_on: __, ...inherited } = base; // a service's dependencies are its own, not its extender's
  return mergeService(inherited, own);
}

function include(model: Model, inc: unknown, baseDir: string, ctx: FileContext, seen: string[]): Model {
  const spec = typeof inc === "string" ? { path: inc } : (inc as { path: string | string[]; project_directory?: string; env_file?: string | string[] });
  const paths = (Array.isArray(spec.path) ? spec.path : [spec.path]).map((p) => resolve(baseDir, p));
  if (paths.some((p) => seen.includes(p))) throw new ComposeError(`include cycle detected: ${[...seen, paths[0]].join(" -> ")}`);
  const dir = spec.project_directory ? resolve(baseDir, spec.project_directory) : dirname(paths[0]!);
  let lookup = ctx.lookup;
  const envFiles = spec.env_file ? (Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]).map((f) => resolve(baseDir, f)) : [`${dir}/.env`].filter(existsSync);
  if (envFiles.length) {
    const vars: Record<string, string> = {};
    for (const f of envFiles) Object.assign(vars, readDotenv(f, ctx.lookup));
    const outer = ctx.lookup;
    lookup = (n) => outer(n) ?? vars[n];
  }
  const sub: FileContext = { ...ctx, lookup };
  let included: Model | undefined;
  for (const p of paths) {
    const m = modelOf(p, readDocument(p, sub), dir, sub, [...seen, p]);
    included = included ? mergeModels(included, m) : m;
  }
  for (const section of ["services", "networks", "volumes", "secrets", "configs"] as const) {
    for (const key of Object.keys(included![section])) {
      if (key in model[section] && JSON.stringify(model[section][key]) !== JSON.stringify(included![section][key])) {
        throw new ComposeError(`imported compose file ${paths.join(", ")} defines conflicting ${section.slice(0, -1)} ${key}`);
      }
    }
  }
  return { ...mergeModels(included!, model), name: model.name };
}

function enabledByProfiles(s: Service, active: string[]): boolean {
  const p = s.profiles ?? [];
  return !p.length || active.includes("*") || p.some((x) => active.includes(x));
}

export function loadProject(opts: LoadOptions = {}): Project {
  const cwd = opts.cwd ?? process.cwd();
  const osEnv = opts.env ?? process.env;
  const warnings: string[] = [];
  // COMPOSE_FILE and COMPOSE_PROJECT_NAME may come from the .env of the directory compose runs in.
  const startDir = opts.projectDirectory ? resolve(cwd, opts.projectDirectory) : cwd;
  const earlyDotenv = !opts.envFiles?.length && existsSync(`${startDir}/.env`) ? readDotenv(`${startDir}/.env`, (n) => osEnv[n]) : {};
  const early = (n: string) => osEnv[n] ?? earlyDotenv[n];
  const files = findComposeFiles({ files: opts.files, composeFileEnv: early("COMPOSE_FILE"), pathSeparator: early("COMPOSE_PATH_SEPARATOR"), cwd, searchDir: startDir, warn: (m) => warnings.push(m) });
  const workingDir = opts.projectDirectory ? startDir : files[0] === "-" ? cwd : dirname(files[0]!);
  const dotenvFiles = opts.envFiles?.length ? opts.envFiles.map((f) => resolve(cwd, f)) : [`${workingDir}/.env`].filter(existsSync);
  const dotenv: Record<string, string> = {};
  for (const f of dotenvFiles) Object.assign(dotenv, readDotenv(f, (n) => osEnv[n] ?? dotenv[n]));
  const environment: Record<string, string> = { ...dotenv };
  for (const [k, v] of Object.entries(osEnv)) if (v !== undefined) environment[k] = v;
  const unsetSeen = new Set<string>();
  const ctx: FileContext = {
    lookup: (n) => environment[n],
    unset: (n) => {
      if (unsetSeen.has(n)) return;
      unsetSeen.add(n);
      warnings.push(`The "${n}" variable is not set. Defaulting to a blank string.`);
    },
    readStdin: opts.readStdin,
  };
  let model: Model | undefined;
  for (const f of files) {
    const m = modelOf(f, readDocument(f, ctx), workingDir, ctx, [f]);
    model = model ? mergeModels(model, m) : m;
  }
  const name = projectName({ flag: opts.projectName, env: environment.COMPOSE_PROJECT_NAME, fileName: model!.name, dir: workingDir });

  const active = [...(opts.profiles ?? []), ...(environment.COMPOSE_PROFILES ?? "").split(",")].map((p) => p.trim()).filter(Boolean);
  const services: Record<string, Service> = {};
  const disabled: Record<string, Service> = {};
  for (const [n, s] of Object.entries(model!.services)) {
    if (enabledByProfiles(s, active) || opts.services?.includes(n)) services[n] = s;
    else disabled[n] = s;
  }
  for (const [n, s] of Object.entries(services)) services[n] = finishService(n, s, environment);

  const project: Project = {
    name, workingDir, configFiles: files, services, disabled, environment, warnings,
    networks: model!.networks, volumes: model!.volumes, secrets: model!.secrets, configs: model!.configs,
  };
  addDefaultNetwork(project);
  nameResources(project);
  checkReferences(project);
  return project;
}

/** env_file read into environment (environment wins), `KEY` alone taken from the variables, and the default network. */
function finishService(name: string, s: Service, vars: Record<string, string>): Service {
  const out = { ...s };
  if (s.env_file) {
    const fromFiles: Record<string, string> = {};
    for (const { path, required } of s.env_file as { path: string; required: boolean }[]) {
      if (!existsSync(path)) {
        if (required) throw new ComposeError(`env file ${path} not found: stat ${path}: no such file or directory`);
        continue;
      }
      Object.assign(fromFiles, readDotenv(path, (n) => vars[n]));
    }
    out.environment = { ...fromFiles, ...(s.environment ?? {}) };
    delete out.env_file;
  }
  if (out.environment) {
    for (const [k, v] of Object.entries(out.environment)) if (v === null && vars[k] !== undefined) out.environment[k] = vars[k]!;
  }
  if (s.label_file) {
    // Labels from the files first, the service's own labels over them.
    const fromFiles: Record<string, string> = {};
    for (const path of s.label_file as string[]) {
      if (!existsSync(path)) throw new ComposeError(`label file ${path} not found: stat ${path}: no such file or directory`);
      Object.assign(fromFiles, readDotenv(path, (n) => vars[n]));
    }
    out.labels = { ...fromFiles, ...(s.labels ?? {}) };
    delete out.label_file;
  }
  addImplicitDependencies(out);
  if (!out.network_mode && !out.networks) out.networks = { default: null };
  if (!out.image && !out.build) throw new ComposeError(`service "${name}" has neither an image nor a build context specified: invalid compose project`);
  if (out.deploy?.replicas !== undefined && out.scale !== undefined && out.deploy.replicas !== out.scale) {
    throw new ComposeError(`services.${name}: can't set distinct values on 'scale' and 'deploy.replicas'`);
  }
  for (const w of out.develop?.watch ?? []) {
    if (!w.target && w.action !== "rebuild" && w.action !== "restart") throw new ComposeError(`services.${name}.develop.watch: target is required for non-rebuild actions: invalid`);
  }
  return out;
}

/**
 * What compose's loader adds to depends_on: the services named by links, a
 * `service:` network, ipc or pid mode (restarted with them), and volumes_from.
 */
function addImplicitDependencies(s: Service): void {
  const deps = { ...(s.depends_on ?? {}) };
  const add = (name: string, restart: boolean) => {
    if (name && !deps[name]) deps[name] = { condition: "service_started", required: true, restart };
  };
  for (const l of (s.links as string[] | undefined) ?? []) add(String(l).split(":")[0]!, true);
  for (const mode of [s.network_mode, s.ipc, s.pid]) if (typeof mode === "string" && mode.startsWith("service:")) add(mode.slice(8), true);
  for (const v of (s.volumes_from as string[] | undefined) ?? []) if (!String(v).startsWith("container:")) add(String(v).split(":")[0]!, false);
  if (Object.keys(deps).length) s.depends_on = deps;
}

function addDefaultNetwork(p: Project): void {
  const used = Object.values(p.services).some((s) => s.networks && "default" in s.networks);
  if (used && !p.networks.default) p.networks.default = {};
}

function nameResources(p: Project): void {
  for (const section of [p.networks, p.volumes, p.secrets, p.configs]) {
    for (const [key, r] of Object.entries(section)) {
      if (!r.name) r.name = r.external ? key : `${p.name}_${key}`;
    }
  }
}

function checkReferences(p: Project): void {
  checkDependencies(p.services, p.disabled);
  for (const [name, s] of Object.entries(p.services)) {
    for (const n of Object.keys(s.networks ?? {})) {
      if (!p.networks[n]) throw new ComposeError(`service "${name}" refers to undefined network ${n}: invalid compose project`);
    }
    for (const v of s.volumes ?? []) {
      if (v.type === "volume" && v.source && !p.volumes[v.source]) throw new ComposeError(`service "${name}" refers to undefined volume ${v.source}: invalid compose project`);
    }
    for (const r of [...(s.secrets ?? []), ...(s.build?.secrets ?? [])]) if (!p.secrets[r.source]) throw new ComposeError(`service "${name}" refers to undefined secret ${r.source}: invalid compose project`);
    for (const r of s.configs ?? []) if (!p.configs[r.source]) throw new ComposeError(`service "${name}" refers to undefined config ${r.source}: invalid compose project`);
    const mode = s.network_mode;
    if (mode?.startsWith("service:") && !p.services[mode.slice(8)]) throw new ComposeError(`service "${name}" depends on undefined service "${mode.slice(8)}": invalid compose project`);
  }
}

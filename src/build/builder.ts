// Runs a parsed Dockerfile: the stages the target needs, in order, one image
// per step (reused from the cache when its key matches), then tags the
// result. Progress goes out in the classic builder's words.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { InvalidParameterError, messageOf } from "../errors.ts";
import type { Digest } from "../store/digest.ts";
import type { ContainerConfig, HistoryEntry, ImageConfig } from "../image/config.ts";
import { hostPlatform, parsePlatform } from "../image/platform.ts";
import { tarStream } from "../layer/tar/write.ts";
import { directoryEntries } from "../layer/diff.ts";
import { parseDockerfile, targetStage, type Dockerfile, type Stage } from "./dockerfile/parse.ts";
import { parseInstruction, type CopyInstruction, type Instruction, type RunInstruction, type WordInstruction } from "./dockerfile/instructions.ts";
import { expandWord, SubstitutionError, type Vars } from "./dockerfile/shell-lex.ts";
import { BuildCache } from "./cache.ts";
import { matchCacheSource, type CacheSource } from "./cache-from.ts";
import { storedLayers } from "../image/stored.ts";
import type { BuildHost } from "./host.ts";
import { writeStepImage, writeStepImageFromUpper, tagImage } from "./image-writer.ts";
import { applyMetadata, shellOf } from "./metadata-steps.ts";
import { nopCreatedBy, nopCreatedBySingle, runCreatedBy } from "./history.ts";
import { clampMtimes, createdAt, sourceDateEpoch } from "./reproducible.ts";
import { RootfsWorkspace } from "./fs/workspace.ts";
import { scopedPath } from "./fs/scoped-path.ts";
import { hashSource, keepingParents, resolveSources, type PlacedSource, type Source } from "./steps/copy-sources.ts";
import { dirTree, type SourceTree } from "./fs/source-tree.ts";
import { copyInto, type CopyOwner } from "./steps/copy-into.ts";
import { copyContextDir } from "./steps/copy-from-context.ts";
import { ContextTree } from "./context/context-tree.ts";
import { engineMount, parseRunMount, secretEngineMount, type RunMount } from "./steps/run-mounts.ts";
import { fetchUrl, isUrl } from "./steps/fetch-url.ts";
import { envMap, platformArgs, PROXY_ARGS } from "./variables.ts";
import { StageOutputs } from "./stage-output.ts";
import { Limiter } from "../shared/limiter.ts";
import { StageSlot } from "./stage-slot.ts";

export interface BuildRequest {
  dockerfileText: string;
  dockerfileName: string;
  /** The sent context's files (indexed; on disk only once a step copies from them). */
  context: SourceTree;
  tags: string[];
  buildArgs: Record<string, string | null>;
  target?: string;
  noCache: boolean;
  labels: Record<string, string>;
  network: string;
  platform?: string;
  /** --cache-from: images whose history steps may be taken from. */
  cacheFrom?: string[];
  /** --pull: base images come from their registry even when a local copy exists. */
  pull?: boolean;
  /** The secrets the client sent (one file per id), outside the context: for RUN --mount=type=secret. */
  secretsDir?: string;
}

export interface BuildOutput {
  /** A step's text; `writtenAt` (ms since the epoch) when it was held back and goes out later than it was written. */
  stream(text: string, writtenAt?: number): void;
  aux(value: unknown): void;
}

const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

/** What a step would write, for finding it in a --cache-from image. */
interface CacheProbe {
  createdBy: string;
  config: ContainerConfig;
  author?: string;
}

/** Where a stage's text goes, and its last step's number (numbered up front, so stages may run at once). */
interface StageLog {
  write(text: string): void;
  step: number;
}

interface StageState {
  log: StageLog;
  imageId?: Digest;
  image: ImageConfig;
  /** ARGs declared in this stage so far, with their values (undefined: declared, unset). */
  args: Map<string, string | undefined>;
  cmdSet: boolean;
}

export class Builder {
  private cache: BuildCache;
  private epoch: number | undefined;
  private usedArgs = new Set<string>();
  /** Each built stage's image, once it is made (undefined: FROM scratch and nothing added). */
  private stageRuns = new Map<number, Promise<Digest | undefined>>();
  /** The slot a running stage holds among the stages that build at once. */
  private slots = new Map<number, StageSlot>();
  private totalSteps = 0;
  private df!: Dockerfile;
  private metaArgs = new Map<string, string | undefined>();
  private cacheSources?: Promise<CacheSource[]>;
  /** Base images pulled once for the build, whichever stages name them. */
  private pulls = new Map<string, Promise<Digest>>();
  /** One per build: the client going away, or one stage failing, stops every stage. */
  private controller = new AbortController();
  private signal = this.controller.signal;

  constructor(private host: BuildHost, private req: BuildRequest, private out: BuildOutput, private requestSignal: AbortSignal) {
    this.cache = new BuildCache(host.store.db);
    this.epoch = sourceDateEpoch(req.buildArgs);
  }

  async run(): Promise<Digest> {
    // A request's abort event is not always delivered (its flag is): watch the flag too.
    const stop = () => this.controller.abort();
    this.requestSignal.addEventListener("abort", stop);
    const watch = setInterval(() => this.requestSignal.aborted && stop(), 250);
    try {
      if (this.requestSignal.aborted) stop();
      return await this.runBuild();
    } finally {
      clearInterval(watch);
      this.requestSignal.removeEventListener("abort", stop);
    }
  }

  private async runBuild(): Promise<Digest> {
    if (this.req.platform) {
      const want = parsePlatform(this.req.platform);
      const host = hostPlatform();
      if (want.os !== host.os || want.architecture !== host.architecture) {
        throw new InvalidParameterError(`platform ${this.req.platform} is not supported: this engine builds for ${host.os}/${host.architecture}`);
      }
    }
    this.df = parseDockerfile(this.req.dockerfileText, this.req.dockerfileName);
    const target = targetStage(this.df, this.req.target);
    const auto = platformArgs();
    for (const a of this.df.metaArgs) {
      for (const { name, value } of a.args) {
        const given = this.buildArg(name);
        this.metaArgs.set(name, given ?? (value !== undefined ? this.expand(value, (n) => this.metaArgs.get(n) ?? auto[n]) : auto[name]));
      }
    }
    const needed = this.neededStages(target);
    const order = this.df.stages.filter((s) => needed.has(s.index));
    for (const s of order) this.totalSteps += 1 + s.instructions.length;
    if (Object.keys(this.req.labels).length) this.totalSteps++;
    let final = await this.runStages(order);
    if (Object.keys(this.req.labels).length) final = await this.buildLabels(final);
    if (!final) throw new InvalidParameterError("No image was generated. Is your Dockerfile empty?");
    const unused = Object.keys(this.req.buildArgs).filter((a) => !this.usedArgs.has(a) && !PROXY_ARGS.has(a) && a !== "SOURCE_DATE_EPOCH");
    if (unused.length) this.out.stream(`[Warning] One or more build-args [${unused.sort().join(" ")}] were not consumed\n`);
    this.out.aux({ ID: final });
    this.out.stream(`Successfully built ${short(final)}\n`);
    tagImage(this.host.store, final, this.req.tags);
    for (const t of this.req.tags) this.out.stream(`Successfully tagged ${familiar(t)}\n`);
    return final;
  }

  private buildArg(name: string): string | undefined {
    if (!(name in this.req.buildArgs)) return undefined;
    this.usedArgs.add(name);
    const v = this.req.buildArgs[name];
    // `--build-arg NAME` without a value takes it from the client's environment; absent there, unset.
    return v === null ? undefined : v;
  }

  private expand(word: string, vars: Vars): string {
    try {
      return expandWord(word, vars, this.df.directives.escape);
    } catch (e) {
      if (e instanceof SubstitutionError) throw new InvalidParameterError(e.message);
      throw e;
    }
  }

  /** A heredoc body: variables substituted, quotes and escapes left as written. */
  private expandText(text: string, vars: Vars): string {
    const esc = this.df.directives.escape;
    const literal = text.replace(/[\\`"']/g, (ch) => (ch === esc || ch === '"' || ch === "'" ? esc + ch : ch));
    return this.expand(literal, vars);
  }

  /**
   * The needed stages, those that do not wait for one another at the same time (at most
   * about one per core); a stage that needs another's image waits for it without holding
   * its slot. The first failure stops the others, and is what the build reports once
   * all of them have cleaned up.
   */
  private async runStages(order: Stage[]): Promise<Digest | undefined> {
    const outputs = new StageOutputs(this.out, order.length);
    const limiter = new Limiter(Math.max(2, navigator.hardwareConcurrency || 1));
    let failed: { error: unknown } | undefined;
    let first = 0;
    const runs = order.map((s, i) => {
      const log: StageLog = { write: outputs.writer(i), step: first };
      first += 1 + s.instructions.length;
      const slot = new StageSlot(limiter);
      this.slots.set(s.index, slot);
      const done = slot.hold(() => this.runStage(s, log)).then(
        (id) => {
          outputs.finish(i);
          return id;
        },
        (error: unknown) => {
          if (!failed) {
            failed = { error };
            this.controller.abort();
          }
          throw error;
        },
      );
      this.stageRuns.set(s.index, done);
      return done;
    });
    const results = await Promise.allSettled(runs);
    if (failed) {
      outputs.flushAll();
      throw failed.error;
    }
    const last = results.at(-1);
    return last?.status === "fulfilled" ? last.value : undefined;
  }

  /** An earlier stage's image: waited for with the caller's slot given up meanwhile. */
  private async stageImage(stage: Stage, waiting: Stage): Promise<Digest | undefined> {
    const run = this.stageRuns.get(stage.index);
    if (!run) throw new InvalidParameterError(`stage ${stage.name ?? stage.index} is not built for this target`);
    const slot = this.slots.get(waiting.index);
    return slot ? slot.waitFor(run) : run;
  }

  /** The stages the target needs: itself and, transitively, those its FROM, COPY --from and RUN --mount from= name. */
  private neededStages(target: Stage): Set<number> {
    const need = new Set<number>();
    const visit = (s: Stage) => {
      if (need.has(s.index)) return;
      need.add(s.index);
      const refs = [s.from.image, ...s.instructions.flatMap((i) => (i.kind === "COPY" && i.from ? [i.from] : i.kind === "RUN" ? mountSources(i) : []))];
      for (const r of refs) {
        const dep = this.stageByName(this.expand(r, (n) => this.metaArgs.get(n)), s.index);
        if (dep) visit(dep);
      }
    };
    visit(target);
    return need;
  }

  private stageByName(name: string, before: number): Stage | undefined {
    const lower = name.toLowerCase();
    const byName = this.df.stages.find((s) => s.index < before && s.name === lower);
    if (byName) return byName;
    if (/^\d+$/.test(name) && Number(name) < before) return this.df.stages[Number(name)];
    return undefined;
  }

  private announce(log: StageLog, text: string): void {
    log.step++;
    log.write(`Step ${log.step}/${this.totalSteps} : ${text}\n`);
  }

  private checkCancelled(): void {
    if (this.signal.aborted) throw new InvalidParameterError("build cancelled");
  }

  private async runStage(s: Stage, log: StageLog): Promise<Digest | undefined> {
    this.checkCancelled();
    this.announce(log, s.from.original);
    const fromName = this.expand(s.from.image, (n) => this.metaArgs.get(n));
    const st = await this.beginStage(s, fromName, log);
    log.write(` ---> ${st.imageId ? short(st.imageId) : "scratch"}\n`);
    const triggers = st.image.config?.OnBuild ?? [];
    if (triggers.length) {
      log.write(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? "s" : ""}\n`);
      st.image = { ...st.image, config: { ...st.image.config, OnBuild: null } };
      for (const t of triggers) {
        const m = /^(\S+)\s*([\s\S]*)$/.exec(t)!;
        const ins = parseInstruction({ keyword: m[1]!.toUpperCase(), rest: m[2]!, line: s.from.line, heredocs: [] }, this.df.directives.escape, this.df.file);
        await this.runInstruction(st, ins, s);
      }
    }
    for (const ins of s.instructions) {
      this.checkCancelled();
      this.announce(log, ins.original);
      await this.runInstruction(st, ins, s);
    }
    return st.imageId;
  }

  private async beginStage(s: Stage, from: string, log: StageLog): Promise<StageState> {
    const args = new Map<string, string | undefined>();
    if (from.toLowerCase() === "scratch") {
      const p = hostPlatform();
      return {
        image: {
          architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}),
          config: { Env: [DEFAULT_PATH] }, rootfs: { type: "layers", diff_ids: [] }, history: [],
        },
        log, args, cmdSet: false,
      };
    }
    const stage = this.stageByName(from, s.index);
    let id: Digest | undefined;
    if (stage) {
      id = await this.stageImage(stage, s);
      if (!id) throw new InvalidParameterError(`stage ${from} produced no image`);
    } else id = await this.imageFor(from, log);
    const image = await this.host.store.blobs.readJson<ImageConfig>(id);
    return { log, imageId: id, image, args, cmdSet: false };
  }

  private async imageFor(name: string, log: StageLog): Promise<Digest> {
    const local = this.req.pull ? undefined : this.host.findImage(name);
    if (local) return local;
    let pull = this.pulls.get(name);
    if (!pull) {
      pull = this.host.pullImage(name, this.req.platform, (l) => log.write(`${l}\n`), this.signal);
      this.pulls.set(name, pull);
    }
    return pull;
  }

  private vars(st: StageState): Vars {
    const env = envMap(st.image.config?.Env);
    return (n) => env.get(n) ?? st.args.get(n);
  }

  /** Args in scope with values and not overridden by ENV, sorted: what RUN sees and history shows. */
  private runArgs(st: StageState): [string, string][] {
    const env = envMap(st.image.config?.Env);
    return [...st.args].filter((a): a is [string, string] => a[1] !== undefined && !env.has(a[0])).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private async runInstruction(st: StageState, ins: Instruction, s: Stage): Promise<void> {
    switch (ins.kind) {
      case "ARG":
        return this.argStep(st, ins);
      case "RUN":
        return this.runStep(st, ins, s);
      case "COPY":
      case "ADD":
        return this.copyStep(st, ins, s);
      case "WORKDIR":
        return this.workdirStep(st, ins);
      default: {
        const r = applyMetadata(ins, st.image.config ?? {}, this.vars(st), this.df.directives.escape, st.cmdSet);
        if (!r) throw new InvalidParameterError(`${ins.kind} cannot be used here`);
        if (ins.kind === "CMD") st.cmdSet = true;
        await this.configStep(st, r.config, r.createdBy, r.author);
      }
    }
  }

  private async argStep(st: StageState, ins: Extract<Instruction, { kind: "ARG" }>): Promise<void> {
    const auto = platformArgs();
    for (const { name, value } of ins.args) {
      const given = this.buildArg(name);
      const fallback = value !== undefined ? this.expand(value, this.vars(st)) : this.metaArgs.get(name) ?? auto[name];
      st.args.set(name, given ?? fallback);
    }
    // The values stay out of the key: only the steps that use them change with them.
    const shown = ins.args.map((a) => (a.value !== undefined ? `${a.name}=${a.value}` : a.name)).join(" ");
    await this.configStep(st, st.image.config ?? {}, nopCreatedBy(`ARG ${shown}`));
  }

  private newConfig(st: StageState, config: ContainerConfig, createdBy: string, emptyLayer: boolean, author?: string): ImageConfig {
    const created = createdAt(this.epoch);
    const entry: HistoryEntry = { created, created_by: createdBy, ...(emptyLayer ? { empty_layer: true } : {}) };
    const { container: _c, container_config: _cc, ...rest } = st.image;
    return { ...rest, created, ...(author ? { author } : {}), config, history: [...(st.image.history ?? []), entry] };
  }

  /** Looks the key up; on a hit, moves the stage to the cached image and says so. */
  private async fromCache(st: StageState, key: string, step: CacheProbe): Promise<boolean> {
    if (this.req.noCache) return false;
    const hit = this.cache.lookup(key) ?? (await this.fromCacheSources(st, key, step));
    if (!hit) return false;
    st.imageId = hit;
    st.image = await this.host.store.blobs.readJson<ImageConfig>(hit);
    st.log.write(` ---> Using cache\n ---> ${short(hit)}\n`);
    return true;
  }

  /** A step found in a --cache-from image's history: its image made from the stage's and the source's layers, and remembered. */
  private async fromCacheSources(st: StageState, key: string, step: CacheProbe): Promise<Digest | undefined> {
    this.cacheSources ??= this.loadCacheSources();
    const m = matchCacheSource(st.imageId ? st.image : undefined, await this.cacheSources, step.createdBy);
    if (!m) return undefined;
    let id = m.source.id;
    if (!m.last) {
      const { container: _c, container_config: _cc, ...rest } = st.image;
      const config: ImageConfig = { ...rest, created: m.entry.created, ...(step.author ? { author: step.author } : {}), config: step.config, history: [...(st.image.history ?? []), m.entry] };
      const layer = m.layer !== undefined ? storedLayers(this.host.store, m.source.id)[m.layer] : undefined;
      id = await writeStepImage(this.host.store, st.imageId, config, layer);
    }
    this.cache.record(key, id);
    return id;
  }

  /** The --cache-from images there are; a name with no local image is passed over, as dockerd does. */
  private async loadCacheSources(): Promise<CacheSource[]> {
    const out: CacheSource[] = [];
    for (const name of this.req.cacheFrom ?? []) {
      const id = this.host.findImage(name);
      if (id) out.push({ id, image: await this.host.store.blobs.readJson<ImageConfig>(id) });
    }
    return out;
  }

  private async finishStep(st: StageState, key: string, id: Digest): Promise<void> {
    this.cache.record(key, id);
    st.imageId = id;
    st.image = await this.host.store.blobs.readJson<ImageConfig>(id);
    st.log.write(` ---> ${short(id)}\n`);
  }

  private async configStep(st: StageState, config: ContainerConfig, createdBy: string, author?: string): Promise<void> {
    const key = BuildCache.key({ parent: st.imageId ?? "scratch", createdBy, config, author, epoch: this.epoch });
    if (await this.fromCache(st, key, { createdBy, config, author })) return;
    const id = await writeStepImage(this.host.store, st.imageId, this.newConfig(st, config, createdBy, true, author));
    await this.finishStep(st, key, id);
  }

  /**
   * RUN --network: none always; default the build's own network; host only in a build that is
   * on the host's network already (BuildKit asks for the network.host entitlement, which a
   * build request here cannot carry).
   */
  private stepNetwork(asked: string | undefined): string {
    if (asked === "none") return "none";
    if (asked === "host" && this.req.network !== "host") throw new InvalidParameterError("network.host is not allowed (RUN --network=host needs a build with --network host)");
    return this.req.network;
  }

  private async runStep(st: StageState, ins: RunInstruction, s: Stage): Promise<void> {
    if (!st.imageId) throw new InvalidParameterError(`The command '${describeRun(st, ins)}' cannot run: the image has no files (FROM scratch)`);
    const c = st.image.config ?? {};
    let argv: string[];
    if ("exec" in ins.command) argv = ins.command.exec;
    else {
      // Heredocs go to the shell with the command that reads them; a lone heredoc is the script itself.
      const lone = ins.heredocs.length === 1 && ins.command.shell.trim() === `<<${ins.heredocs[0]!.name}`;
      const script = lone ? ins.heredocs[0]!.body : ins.command.shell + (ins.heredocs.length ? "\n" + ins.heredocs.map((h) => `${h.body}${h.name}\n`).join("") : "");
      argv = [...shellOf(c), script];
    }
    const args = this.runArgs(st);
    const createdBy = runCreatedBy(argv, args);
    const network = this.stepNetwork(ins.network);
    const runMounts = ins.mounts.map((m) => parseRunMount(this.expand(m, this.vars(st))));
    const sources: RootfsWorkspace[] = [];
    let secretCopies: string | undefined;
    try {
      // A bind mount's files are the step's input as much as its command: the key has their
      // content (the context's, hashed) or the image they come from (a stage's or an image's ID).
      const bound: (SourceTree | undefined)[] = [];
      const inputs: (string | undefined)[] = [];
      for (const m of runMounts) {
        if (m.type !== "bind") {
          bound.push(undefined);
          inputs.push(undefined);
        } else if (m.from !== undefined) {
          const id = await this.sourceImage(m.from, s, st.log, ins.line);
          const ws = this.workspace(id);
          sources.push(ws);
          bound.push(dirTree(ws.merged));
          inputs.push(id ?? "scratch");
        } else {
          bound.push(this.req.context);
          const hasher = new Bun.CryptoHasher("sha256");
          for (const src of resolveSources(this.req.context, m.source ?? "/", "RUN --mount")) await hashSource(src, hasher);
          inputs.push(hasher.digest("hex"));
        }
      }
      const key = BuildCache.key({ parent: st.imageId, createdBy, network, mounts: runMounts, inputs, epoch: this.epoch });
      if (await this.fromCache(st, key, { createdBy, config: st.image.config ?? {} })) return;
      await this.runContainer(st, argv, args, createdBy, network, runMounts, bound, key, () => (secretCopies ??= mkdtempSync(join(this.host.tmpDir(), "build-secrets-"))));
    } finally {
      for (const ws of sources) ws.dispose();
      if (secretCopies) rmSync(secretCopies, { recursive: true, force: true });
    }
  }

  private async runContainer(
    st: StageState, argv: string[], args: [string, string][], createdBy: string, network: string,
    runMounts: RunMount[], bound: (SourceTree | undefined)[], key: string, secretCopies: () => string,
  ): Promise<void> {
    const c = st.image.config ?? {};
    const env = [...(c.Env ?? []), ...args.map(([k, v]) => `${k}=${v}`)];
    for (const p of PROXY_ARGS) {
      const v = this.req.buildArgs[p];
      if (typeof v === "string") env.push(`${p}=${v}`);
    }
    const mounts = [];
    const stubs: string[] = [];
    for (const [i, m] of runMounts.entries()) {
      if (m.type === "secret") {
        const mount = secretEngineMount(m, c.WorkingDir || "/", this.req.secretsDir, secretCopies());
        if (mount) {
          mounts.push(mount);
          stubs.push(mount.Target as string);
        }
        continue;
      }
      const tree = bound[i];
      const mount = engineMount(m, c.WorkingDir || "/", tree ? await tree.directory() : "", this.host.cacheMountDir());
      mounts.push(mount);
      // What the runtime makes to mount onto stays out of the layer too: BuildKit leaves no mount stubs.
      stubs.push(mount.Target as string);
    }
    let containerId = "";
    const result = await this.host.run(
      { imageId: st.imageId!, argv, env, user: c.User || undefined, workdir: c.WorkingDir || undefined, network, mounts, stubs, clampMtime: this.epoch },
      (id) => {
        containerId = id;
        st.log.write(` ---> Running in ${id.slice(0, 12)}\n`);
      },
      (text) => st.log.write(text),
      this.signal,
    );
    try {
      this.checkCancelled();
      if (result.exitCode !== 0) {
        throw new BuildStepError(`The command '${argv.join(" ")}' returned a non-zero code: ${result.exitCode}`, result.exitCode);
      }
      const id = await writeStepImage(this.host.store, st.imageId, this.newConfig(st, c, createdBy, false), result.diff());
      await result.remove();
      st.log.write(`Removing intermediate container ${containerId.slice(0, 12)}\n`);
      await this.finishStep(st, key, id);
    } finally {
      await result.remove().catch(() => {}); // removed on the success path already, or the step's error is the one to report
    }
  }

  /** The files of an earlier stage or of an image (COPY --from, RUN --mount from=), mounted for one step. */
  private async sourceWorkspace(fromWord: string, s: Stage, log: StageLog, line: number): Promise<RootfsWorkspace> {
    return this.workspace(await this.sourceImage(fromWord, s, log, line));
  }

  /** The image an earlier stage made, or a named image (pulled if missing); undefined for a stage FROM scratch that added nothing. */
  private async sourceImage(fromWord: string, s: Stage, log: StageLog, line: number): Promise<Digest | undefined> {
    const from = this.expand(fromWord, (n) => this.metaArgs.get(n));
    const stage = this.stageByName(from, s.index);
    if (stage) return this.stageImage(stage, s);
    // Neither an earlier stage nor an image there is: the classic builder's words, with the file and line.
    const where = `${this.df.file} line ${line}`;
    if (/^\d+$/.test(from)) throw new InvalidParameterError(`invalid from flag value ${from}: refers to current build stage or a later one (${where})`);
    try {
      return await this.imageFor(from, log);
    } catch (e) {
      if (this.signal.aborted) throw e;
      throw new InvalidParameterError(`invalid from flag value ${from}: ${messageOf(e)} (${where})`);
    }
  }

  private async workdirStep(st: StageState, ins: WordInstruction): Promise<void> {
    const r = applyMetadata(ins, st.image.config ?? {}, this.vars(st), this.df.directives.escape, st.cmdSet)!;
    const dir = r.config.WorkingDir!;
    const key = BuildCache.key({ parent: st.imageId ?? "scratch", createdBy: r.createdBy, epoch: this.epoch });
    if (await this.fromCache(st, key, { createdBy: r.createdBy, config: r.config })) return;
    const ws = this.workspace(st.imageId);
    try {
      let created = false;
      if (!existsSync(scopedPath(ws.merged, dir))) {
        mkdirSync(scopedPath(ws.merged, dir), { recursive: true, mode: 0o755 });
        created = true;
      }
      ws.close();
      const config = this.newConfig(st, r.config, r.createdBy, !created);
      const id = await writeStepImage(this.host.store, st.imageId, config, created ? this.diffOf(ws) : undefined);
      await this.finishStep(st, key, id);
    } finally {
      ws.dispose();
    }
  }

  private workspace(imageId: Digest | undefined): RootfsWorkspace {
    const dir = mkdtempSync(join(this.host.tmpDir(), "build-ws-"));
    return new RootfsWorkspace(dir, imageId ? this.host.layerDirs(imageId) : []).open();
  }

  private diffOf(ws: RootfsWorkspace): ReadableStream<Uint8Array> {
    return tarStream(clampMtimes(directoryEntries(ws.upper, { overlayUpper: true }), this.epoch));
  }

  private async copyStep(st: StageState, ins: CopyInstruction, s: Stage): Promise<void> {
    const vars = this.vars(st);
    const x = (w: string) => this.expand(w, vars);
    const c = st.image.config ?? {};
    let dest = x(ins.dest);
    if (!dest.startsWith("/")) dest = posix.join(c.WorkingDir || "/", dest) + (dest.endsWith("/") || dest === "." ? "/" : "");
    // The source tree: the context, or another stage's or image's files.
    let sourceWs: RootfsWorkspace | undefined;
    let sourceTree = this.req.context;
    let scratch: string | undefined;
    let placedFiles = 0;
    // Each fetched or written file gets a directory of its own: two URLs with one base name must not meet.
    const scratchDir = () => {
      scratch ??= mkdtempSync(join(this.host.tmpDir(), "build-step-"));
      const dir = join(scratch, String(placedFiles++));
      mkdirSync(dir);
      return dir;
    };
    try {
      if (ins.from !== undefined) {
        sourceWs = await this.sourceWorkspace(ins.from, s, st.log, ins.line);
        sourceTree = dirTree(sourceWs.merged);
      }
      const sources: Source[] = [];
      // Accepted by the parser as BuildKit's, but copying everything would be wrong: say so.
      if (ins.excludes.length) throw new InvalidParameterError(`${ins.kind} --exclude is not supported yet`);
      if (ins.checksum !== undefined && !ins.sources.every((p) => isUrl(x(p)))) throw new InvalidParameterError("checksum can't be specified for non-HTTP(S) sources");
      for (const p of ins.sources) {
        const src = x(p);
        if (ins.kind === "ADD" && isUrl(src)) sources.push(await fetchUrl(src, scratchDir(), ins.checksum && x(ins.checksum), this.signal));
        else if (ins.parents) sources.push(...keepingParents(src, resolveSources(sourceTree, src, ins.kind)));
        else sources.push(...resolveSources(sourceTree, src, ins.kind));
      }
      for (const h of ins.heredocs) {
        const dir = scratchDir();
        await Bun.write(join(dir, h.name), h.expand ? this.expandText(h.body, vars) : h.body);
        sources.push({ rel: h.name, tree: dirTree(dir), path: h.name, verbatim: true });
      }
      const hasher = new Bun.CryptoHasher("sha256");
      for (const src of sources) await hashSource(src, hasher);
      const hash = hasher.digest("hex");
      const kind = sources.length > 1 ? "multi" : sources[0]!.tree.lstat(sources[0]!.path)?.kind === "dir" ? "dir" : "file";
      const createdBy = nopCreatedBySingle(`${ins.kind} ${kind}:${hash} in ${dest} `);
      const chmod = ins.chmod !== undefined ? parseChmod(ins.chmod) : undefined;
      const key = BuildCache.key({ parent: st.imageId ?? "scratch", createdBy, chown: ins.chown && x(ins.chown), chmod, epoch: this.epoch, parents: ins.parents || undefined });
      if (await this.fromCache(st, key, { createdBy, config: c })) return;
      const ws = this.workspace(st.imageId);
      try {
        const owner = ins.chown !== undefined ? resolveOwner(ws.merged, x(ins.chown)) : undefined;
        await copyInto(ws.merged, await placed(sources), dest, { what: ins.kind, extract: ins.kind === "ADD", ...(owner ? { owner } : {}), ...(chmod !== undefined ? { chmod } : {}) });
        ws.close();
        const config = this.newConfig(st, c, createdBy, false);
        // The copy becomes the stored layer as it is, unless its tar's mtimes are clamped (then it is unpacked from the tar).
        const id = this.epoch === undefined
          ? await writeStepImageFromUpper(this.host.store, st.imageId, config, ws.upper)
          : await writeStepImage(this.host.store, st.imageId, config, this.diffOf(ws));
        await this.finishStep(st, key, id);
      } finally {
        ws.dispose();
      }
    } finally {
      sourceWs?.dispose();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** `--label`s: one more config step on the final image, as the classic builder appends them. */
  private async buildLabels(final: Digest | undefined): Promise<Digest | undefined> {
    if (!final) return final;
    const text = Object.entries(this.req.labels).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(" ");
    const log: StageLog = { write: (t) => this.out.stream(t), step: this.totalSteps - 1 };
    this.announce(log, `LABEL ${text}`);
    const image = await this.host.store.blobs.readJson<ImageConfig>(final);
    const st: StageState = { log, imageId: final, image, args: new Map(), cmdSet: true };
    await this.configStep(st, { ...image.config, Labels: { ...(image.config?.Labels ?? {}), ...this.req.labels } }, nopCreatedBy(`LABEL ${text}`));
    return st.imageId;
  }
}

/** A failing RUN: its exit code goes into the error's detail. */
export class BuildStepError extends InvalidParameterError {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

/** The sources on disk: the context is unpacked now if it was not yet, unless only its directories are copied (read from its tar). */
async function placed(sources: Source[]): Promise<PlacedSource[]> {
  return Promise.all(sources.map(async (src) => {
    const tree = src.tree;
    if (tree instanceof ContextTree && tree.readsInPlace && src.kept === undefined && tree.lstat(src.path)?.kind === "dir") {
      return { ...src, abs: "", copyDir: (target, owner, chmod) => copyContextDir(tree, src.path, target, owner, chmod) } satisfies PlacedSource;
    }
    const dir = await src.tree.directory();
    return { ...src, abs: src.path ? `${dir}/${src.path}` : dir };
  }));
}

/** The stages or images a RUN's --mount=from= names. */
function mountSources(ins: RunInstruction): string[] {
  return ins.mounts.flatMap((m) => /(?:^|,)from=([^,]+)/.exec(m)?.[1] ?? []);
}

function describeRun(st: StageState, ins: RunInstruction): string {
  return "exec" in ins.command ? ins.command.exec.join(" ") : [...shellOf(st.image.config ?? {}), ins.command.shell].join(" ");
}

function parseChmod(v: string): number {
  if (!/^[0-7]{3,4}$/.test(v)) throw new InvalidParameterError(`invalid chmod parameter: invalid mode: ${v}`);
  return parseInt(v, 8);
}

/** --chown=user[:group], by number or by name in the image's /etc/passwd and /etc/group. */
function resolveOwner(root: string, spec: string): CopyOwner {
  const [u, g] = spec.split(":");
  const read = (p: string) => {
    try {
      return readFileSync(scopedPath(root, p), "utf8").split("\n").map((l) => l.split(":"));
    } catch {
      return [];
    }
  };
  let uid: number;
  let primary: number | undefined;
  if (/^\d+$/.test(u!)) uid = Number(u);
  else {
    const row = read("/etc/passwd").find((r) => r[0] === u);
    if (!row) throw new InvalidParameterError(`unable to convert uid/gid chown string to host mapping: can't find uid for user ${u}: no such user: ${u}`);
    uid = Number(row[2]);
    primary = Number(row[3]);
  }
  let gid: number;
  if (g === undefined || g === "") gid = primary ?? uid;
  else if (/^\d+$/.test(g)) gid = Number(g);
  else {
    const row = read("/etc/group").find((r) => r[0] === g);
    if (!row) throw new InvalidParameterError(`unable to convert uid/gid chown string to host mapping: can't find gid for group ${g}: no such group: ${g}`);
    gid = Number(row[2]);
  }
  return { uid, gid };
}

function familiar(name: string): string {
  return name.replace(/^docker\.io\/library\//, "").replace(/^docker\.io\//, "");
}

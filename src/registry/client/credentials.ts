// Credentials the way the docker CLI keeps them: ~/.docker/config.json
// ($DOCKER_CONFIG/config.json) with `auths` (base64 "user:pass" in `auth`),
// `credHelpers` per registry and `credsStore` for all, both run as
// `docker-credential-<name> get|store|erase`.
import { join, dirname } from "node:path";
import { mkdirSync, readFileSync, renameSync, writeFileSync, chmodSync, openSync, fsyncSync, closeSync } from "node:fs";
import { nodeOs, randomHex } from "../../builtins.ts";
import { BerthError, InvalidParameterError, errnoCode } from "../../errors.ts";

export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (Docker's "identitytoken"). */
  identityToken?: string;
  /** A bearer token to send as is ("registrytoken"). */
  registryToken?: string;
}

/** Docker Hub's key in config.json. */
export const DOCKER_HUB_KEY = "https://index.docker.io/v1/";

export function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG || join(process.env.HOME || nodeOs().homedir(), ".docker");
}

/** The config.json key for a registry domain (docker.io → Docker Hub's URL). */
export function credentialKey(domain: string): string {
  return ["docker.io", "index.docker.io", "registry-1.docker.io"].includes(domain) ? DOCKER_HUB_KEY : domain;
}

/** "https://host:5000/v1/" → "host:5000" (how Docker matches auths keys). */
function keyHost(key: string): string {
  return key.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
}

type ConfigFile = Record<string, unknown> & {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
};

export function readDockerConfig(dir = dockerConfigDir()): ConfigFile {
  let text: string;
  try {
    text = readFileSync(join(dir, "config.json"), "utf8");
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return {};
    throw e;
  }
  if (text.trim() === "") return {};
  try {
    const v = JSON.parse(text);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    return v;
  } catch (e) {
    throw new BerthError(`loading config file ${join(dir, "config.json")}: ${(e as Error).message}`, 500);
  }
}

function helperFor(cfg: ConfigFile, domain: string): string | undefined {
  const key = credentialKey(domain);
  return cfg.credHelpers?.[key] ?? cfg.credHelpers?.[keyHost(key)] ?? cfg.credsStore;
}

function runHelper(helper: string, action: "get" | "store" | "erase", input: string): { ok: boolean; out: string } {
  const bin = `docker-credential-${helper}`;
  const path = Bun.which(bin, { PATH: process.env.PATH ?? "" });
  if (!path) {
    throw new BerthError(`error getting credentials - err: exec: "${bin}": executable file not found in $PATH, out: \`\``, 500);
  }
  const p = Bun.spawnSync([path, action], { stdin: new TextEncoder().encode(input), stdout: "pipe", stderr: "pipe" });
  const out = (p.stdout.toString() + p.stderr.toString()).trim();
  return { ok: p.exitCode === 0, out };
}

export function getCredentials(domain: string, dir = dockerConfigDir()): Credentials | undefined {
  const cfg = readDockerConfig(dir);
  const key = credentialKey(domain);
  const helper = helperFor(cfg, domain);
  if (helper) {
    const r = runHelper(helper, "get", key);
    if (!r.ok) {
      if (/credentials not found/i.test(r.out)) return undefined;
      throw new BerthError(`error getting credentials - err: exit status 1, out: \`${r.out}\``, 500);
    }
    const v = JSON.parse(r.out) as { Username?: string; Secret?: string };
    if (!v.Secret) return undefined;
    return v.Username === "<token>" ? { identityToken: v.Secret } : { username: v.Username, password: v.Secret };
  }
  const auths = cfg.auths ?? {};
  const entry = auths[key] ?? Object.entries(auths).find(([k]) => keyHost(k) === keyHost(key))?.[1];
  if (!entry) return undefined;
  const c: Credentials = {};
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i < 0) throw new BerthError(`invalid auth configuration file ${join(dir, "config.json")}`, 500);
    c.username = decoded.slice(0, i);
    c.password = decoded.slice(i + 1);
  } else {
    if (entry.username) c.username = entry.username;
    if (entry.password) c.password = entry.password;
  }
  if (entry.identitytoken) c.identityToken = entry.identitytoken;
  if (entry.registrytoken) c.registryToken = entry.registrytoken;
  return Object.keys(c).length ? c : undefined;
}

/** Atomic, mode 0600; every key other than the entry changed is kept. */
function writeDockerConfig(dir: string, cfg: ConfigFile): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, "config.json");
  const tmp = join(dirname(file), `.config.json.${randomHex(6)}`);
  writeFileSync(tmp, JSON.stringify(cfg, null, "\t") + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  const fd = openSync(tmp, "r");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}

/** `docker login`'s write: the helper when one applies, else an `auths` entry. */
export function storeCredentials(domain: string, creds: { username: string; password: string; identityToken?: string }, dir = dockerConfigDir()): void {
  if (!creds.username) throw new InvalidParameterError("Username is required");
  const cfg = readDockerConfig(dir);
  const key = credentialKey(domain);
  const helper = helperFor(cfg, domain);
  if (helper) {
    const secret = creds.identityToken ?? creds.password;
    const user = creds.identityToken ? "<token>" : creds.username;
    const r = runHelper(helper, "store", JSON.stringify({ ServerURL: key, Username: user, Secret: secret }));
    if (!r.ok) throw new BerthError(`error storing credentials - err: exit status 1, out: \`${r.out}\``, 500);
    const auths = { ...(cfg.auths ?? {}) };
    auths[key] = {};
    writeDockerConfig(dir, { ...cfg, auths });
    return;
  }
  const auths = { ...(cfg.auths ?? {}) };
  const entry: Record<string, string> = creds.identityToken
    ? { identitytoken: creds.identityToken }
    : { auth: Buffer.from(`${creds.username}:${creds.password}`).toString("base64") };
  auths[key] = entry;
  writeDockerConfig(dir, { ...cfg, auths });
}

/** `docker logout`; false when nothing was stored for the registry. */
export function eraseCredentials(domain: string, dir = dockerConfigDir()): boolean {
  const cfg = readDockerConfig(dir);
  const key = credentialKey(domain);
  const helper = helperFor(cfg, domain);
  let found = false;
  if (helper) {
    try {
      found = runHelper(helper, "erase", key).ok;
    } catch {
      /* helper gone: still drop the auths entry */
    }
  }
  const auths = { ...(cfg.auths ?? {}) };
  for (const k of Object.keys(auths)) {
    if (k === key || keyHost(k) === keyHost(key)) { delete auths[k]; found = true; }
  }
  if (found) writeDockerConfig(dir, { ...cfg, auths });
  return found;
}

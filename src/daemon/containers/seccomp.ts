// Which seccomp profile a container runs under, as dockerd chooses it: none
// when privileged or `seccomp=unconfined`; the JSON profile the client sent
// with `seccomp=` (the docker CLI reads the file and sends its content); the
// built-in default for `seccomp=builtin`; and when the container says nothing,
// the daemon's `--seccomp-profile` (builtin, unconfined or a file read at start).
import { readFileSync } from "node:fs";
import { InvalidParameterError } from "../../errors.ts";
import { defaultCapabilities, defaultProfile, nativeArch, ProfileError, resolveProfile, seccompProgram, type Profile, type SeccompProgram } from "../../runtime/index.ts";

type Json = Record<string, any>;

/** The daemon's --seccomp-profile and --no-new-privileges: what a container that asks for nothing gets. */
export interface SecurityDefaults {
  /** "builtin", "unconfined", or the path the daemon's profile was read from (as `info` names it). */
  seccompProfilePath: string;
  /** The profile read from that path. */
  seccompProfile?: Profile;
  noNewPrivileges: boolean;
}

export const builtinSecurity: SecurityDefaults = { seccompProfilePath: "builtin", noNewPrivileges: false };

/** Reads and checks the daemon's profile at start, so that a bad file stops the daemon rather than every container. */
export function loadSecurityDefaults(profile: string | undefined, noNewPrivileges = false): SecurityDefaults {
  if (!profile || profile === "builtin" || profile === "unconfined") return { seccompProfilePath: profile || "builtin", noNewPrivileges };
  let text: string;
  try {
    text = readFileSync(profile, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`opening seccomp profile (${profile}) failed: open ${profile}: ${err.code === "ENOENT" ? "no such file or directory" : err.message}`);
  }
  try {
    const parsed = JSON.parse(text) as Profile;
    resolveProfile(parsed, defaultCapabilities);
    return { seccompProfilePath: profile, seccompProfile: parsed, noNewPrivileges };
  } catch (e) {
    throw new Error(`loading seccomp profile (${profile}) failed: ${(e as Error).message}`);
  }
}

/** The value of the last `seccomp=`/`seccomp:` option, if any. */
function seccompOption(opts: unknown): string | undefined {
  if (!Array.isArray(opts)) return undefined;
  let value: string | undefined;
  for (const o of opts) {
    const m = /^seccomp[=:]([\s\S]*)$/.exec(String(o));
    if (m) value = m[1];
  }
  return value;
}

function profileOf(value: string): Profile {
  try {
    return JSON.parse(value) as Profile;
  } catch (e) {
    throw new InvalidParameterError(`Decoding seccomp profile failed: ${(e as Error).message}`);
  }
}

/** At create: a profile sent with the options must decode and resolve (dockerd finds out only at start). */
export function checkSeccompOption(opts: unknown, capabilities: string[]): void {
  const value = seccompOption(opts);
  if (value === undefined || value === "unconfined" || value === "builtin") return;
  try {
    resolveProfile(profileOf(value), capabilities);
  } catch (e) {
    if (e instanceof ProfileError) throw new InvalidParameterError(e.message);
    throw e;
  }
}

/** The compiled filter for a container with `capabilities`; undefined: it runs unconfined. */
export function containerSeccomp(hc: Json, capabilities: string[], daemon: SecurityDefaults = builtinSecurity): SeccompProgram | undefined {
  if (hc.Privileged) return undefined;
  const value = seccompOption(hc.SecurityOpt);
  if (value === "unconfined") return undefined;
  if (value !== undefined) return seccompProgram(value === "builtin" ? defaultProfile : profileOf(value), capabilities);
  if (daemon.seccompProfile) return seccompProgram(daemon.seccompProfile, capabilities);
  if (daemon.seccompProfilePath === "unconfined") return undefined;
  return seccompProgram(defaultProfile, capabilities);
}

/** `info`'s SecurityOptions, in dockerd's words. */
export function securityOptions(cgroupVersion: string, daemon: SecurityDefaults = builtinSecurity): string[] {
  const out: string[] = [];
  if (nativeArch()) out.push(`name=seccomp,profile=${daemon.seccompProfilePath}`);
  if (cgroupVersion === "2") out.push("name=cgroupns");
  if (daemon.noNewPrivileges) out.push("name=no-new-privileges");
  return out;
}

/** dockerd's warning in `info` when containers do not get the default profile. */
export function securityWarnings(daemon: SecurityDefaults): string[] {
  return nativeArch() && daemon.seccompProfilePath !== "builtin" ? ["WARNING: daemon is not using the default seccomp profile"] : [];
}

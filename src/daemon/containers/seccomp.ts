// Which seccomp profile a container runs under, as dockerd chooses it: none
// when privileged or `seccomp=unconfined`; the JSON profile the client sent
// with `seccomp=` (the docker CLI reads the file and sends its content); the
// built-in default (`seccomp=builtin`, or nothing said).
import { InvalidParameterError } from "../../errors.ts";
import { defaultProfile, nativeArch, ProfileError, resolveProfile, seccompProgram, type Profile, type SeccompProgram } from "../../runtime/index.ts";

type Json = Record<string, any>;

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
export function containerSeccomp(hc: Json, capabilities: string[]): SeccompProgram | undefined {
  if (hc.Privileged) return undefined;
  const value = seccompOption(hc.SecurityOpt);
  if (value === "unconfined") return undefined;
  const profile = value === undefined || value === "builtin" ? defaultProfile : profileOf(value);
  return seccompProgram(profile, capabilities);
}

/** `info`'s SecurityOptions, in dockerd's words. */
export function securityOptions(cgroupVersion: string): string[] {
  const out: string[] = [];
  if (nativeArch()) out.push("name=seccomp,profile=builtin");
  if (cgroupVersion === "2") out.push("name=cgroupns");
  return out;
}

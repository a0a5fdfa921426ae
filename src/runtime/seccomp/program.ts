// A profile made into the program a container's init and its execs install:
// resolved for the container's capabilities, compiled, and kept in a small
// cache (every start and exec asks, and most ask for the same few).
import type { Profile } from "./profile.ts";
import { resolveProfile } from "./resolve.ts";
import { compileFilter } from "./bpf.ts";
import type { SeccompProgram } from "./install.ts";

const cache = new Map<string, SeccompProgram | undefined>();
/**
 * The same, by profile object: the built-in profile and the daemon's are the same objects at
 * every start, and writing one out as the text key (7.6 kB for the built-in) cost ~0.3-1 ms a start.
 * A profile sent with a container is parsed anew each time and goes by its text.
 */
const byObject = new WeakMap<Profile, Map<string, SeccompProgram | undefined>>();

/** The program for `profile` and `capabilities`; undefined when the profile turns filtering off or this host has no filter. */
export function seccompProgram(profile: Profile, capabilities: string[]): SeccompProgram | undefined {
  const caps = [...capabilities].sort();
  const capsKey = caps.join(" ");
  const known = byObject.get(profile);
  if (known?.has(capsKey)) return known.get(capsKey);
  const key = JSON.stringify([profile, caps]);
  let program: SeccompProgram | undefined;
  if (cache.has(key)) program = cache.get(key);
  else {
    const f = resolveProfile(profile, capabilities);
    program = f && { program: Buffer.from(compileFilter(f)).toString("base64"), flags: f.flags };
    if (cache.size >= 32) cache.delete(cache.keys().next().value!);
    cache.set(key, program);
  }
  // Kept for a few capability sets per profile object, as the text cache keeps 32 in all.
  const perObject = known ?? new Map<string, SeccompProgram | undefined>();
  if (perObject.size >= 8) perObject.delete(perObject.keys().next().value!);
  perObject.set(capsKey, program);
  if (!known) byObject.set(profile, perObject);
  return program;
}

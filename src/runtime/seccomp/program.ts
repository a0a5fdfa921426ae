// A profile made into the program a container's init and its execs install:
// resolved for the container's capabilities, compiled, and kept in a small
// cache (every start and exec asks, and most ask for the same few).
import type { Profile } from "./profile.ts";
import { resolveProfile } from "./resolve.ts";
import { compileFilter } from "./bpf.ts";
import type { SeccompProgram } from "./install.ts";

const cache = new Map<string, SeccompProgram | undefined>();

/** The program for `profile` and `capabilities`; undefined when the profile turns filtering off or this host has no filter. */
export function seccompProgram(profile: Profile, capabilities: string[]): SeccompProgram | undefined {
  const key = JSON.stringify([profile, [...capabilities].sort()]);
  if (cache.has(key)) return cache.get(key);
  const f = resolveProfile(profile, capabilities);
  const program = f && { program: Buffer.from(compileFilter(f)).toString("base64"), flags: f.flags };
  if (cache.size >= 32) cache.delete(cache.keys().next().value!);
  cache.set(key, program);
  return program;
}

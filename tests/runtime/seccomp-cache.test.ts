// The compiled-filter cache: by profile object first (the built-in and the
// daemon's profile at every start), by the profile's text otherwise.
import { expect, test } from "bun:test";
import { defaultCapabilities, defaultProfile, seccompProgram } from "../../src/runtime/index.ts";

test("the same profile object and capabilities in any order give the cached program; a copy of it the same filter", () => {
  const a = seccompProgram(defaultProfile, defaultCapabilities);
  expect(a?.program.length).toBeGreaterThan(0);
  expect(seccompProgram(defaultProfile, [...defaultCapabilities].reverse())).toBe(a);
  const copy = JSON.parse(JSON.stringify(defaultProfile));
  expect(seccompProgram(copy, defaultCapabilities)).toEqual(a!);
});

test("other capabilities give another filter (CAP_SYS_ADMIN allows more calls)", () => {
  const plain = seccompProgram(defaultProfile, defaultCapabilities);
  const admin = seccompProgram(defaultProfile, [...defaultCapabilities, "CAP_SYS_ADMIN"]);
  expect(admin?.program).not.toBe(plain?.program);
  expect(seccompProgram(defaultProfile, [...defaultCapabilities, "CAP_SYS_ADMIN"])).toBe(admin);
});

test("a profile that turns filtering off is cached as none, by object too", () => {
  const off = {} as unknown as typeof defaultProfile; // no default action and no rules, as dockerd reads it
  expect(seccompProgram(off, defaultCapabilities)).toBeUndefined();
  expect(seccompProgram(off, defaultCapabilities)).toBeUndefined();
});

// Docker's detach-key syntax and the matcher that watches stdin for it.
import { expect, test } from "bun:test";
import { DetachMatcher, parseDetachKeys } from "../../src/shared/detach-keys.ts";

test("the syntax: ctrl-<letter or @[\\]^_> or one character, comma-separated; default ctrl-p,ctrl-q", () => {
  expect(parseDetachKeys(undefined)).toEqual([0x10, 0x11]);
  expect(parseDetachKeys("ctrl-a,x")).toEqual([1, 120]);
  expect(parseDetachKeys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_")).toEqual([0, 27, 28, 29, 30, 31]);
  expect(() => parseDetachKeys("ctrl-foo")).toThrow("Invalid detach keys (ctrl-foo) provided");
  expect(() => parseDetachKeys("ab")).toThrow("Invalid detach keys (ab) provided");
});

test("the matcher holds back a possible start, releases it when it was not one, and stops at the sequence", () => {
  const m = new DetachMatcher([0x10, 0x11]);
  const text = (u: Uint8Array) => Buffer.from(u).toString("latin1");
  expect(text(m.push(Buffer.from("ab\x10")).forward)).toBe("ab");
  // The held ctrl-p was not the start after all: it goes out with what follows.
  expect(text(m.push(Buffer.from("c")).forward)).toBe("\x10c");
  // Split across chunks, then found.
  expect(m.push(Buffer.from("d\x10"))).toEqual({ forward: Uint8Array.from([0x64]), detached: false });
  expect(m.push(Buffer.from("\x11ignored"))).toEqual({ forward: new Uint8Array(), detached: true });
  // A repeated first key: the last one may start the sequence.
  const r = new DetachMatcher([0x10, 0x11]).push(Buffer.from("\x10\x10\x11"));
  expect(r).toEqual({ forward: Uint8Array.from([0x10]), detached: true });
});

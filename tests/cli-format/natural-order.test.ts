import { expect, test } from "bun:test";
import { naturalCompare } from "../../src/cli/format/natural-order.ts";

test("names sort as the docker CLI sorts volumes: numbers by value, digits first", () => {
  const names = ["vol10", "vol9", "clivol", "9c7", "87d", "32135166", "vol09", "a", "ab", "Z"];
  expect([...names].sort(naturalCompare)).toEqual(["9c7", "87d", "32135166", "Z", "a", "ab", "clivol", "vol9", "vol09", "vol10"]);
});

// The host's users, groups and subordinate id ranges, read from /etc as
// getpwnam and shadow-utils read them (the `etc` argument lets tests use a
// directory of their own).
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface SubordinateRange {
  name: string;
  start: number;
  count: number;
}

function rows(path: string): string[][] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(":"));
}

export function passwdEntries(etc: string): { name: string; uid: number; gid: number }[] {
  return rows(join(etc, "passwd")).filter((r) => r.length >= 4).map((r) => ({ name: r[0]!, uid: Number(r[2]), gid: Number(r[3]) }));
}

export function groupEntries(etc: string): { name: string; gid: number }[] {
  return rows(join(etc, "group")).filter((r) => r.length >= 3).map((r) => ({ name: r[0]!, gid: Number(r[2]) }));
}

/** /etc/subuid or /etc/subgid: `name-or-id:start:count` lines. */
export function subordinateRanges(etc: string, file: "subuid" | "subgid"): SubordinateRange[] {
  return rows(join(etc, file))
    .filter((r) => r.length >= 3 && /^\d+$/.test(r[1]!) && /^\d+$/.test(r[2]!))
    .map((r) => ({ name: r[0]!, start: Number(r[1]), count: Number(r[2]) }));
}

// dockerd's --group (-G): the unix socket is 0660 root:GROUP, so members of
// that group may drive the engine. By default the group is "docker" when the
// host has one (the socket stays root's alone otherwise); a group asked for by
// name or number that the host does not have is an error, as in dockerd.
import { readFileSync } from "node:fs";

export const defaultSocketGroup = "docker";

/** The gid for the socket, or undefined to leave it root's. */
export function socketGroupId(name: string | undefined): number | undefined {
  const wanted = name ?? defaultSocketGroup;
  if (wanted === "") return undefined;
  let lines: string[] = [];
  try {
    lines = readFileSync("/etc/group", "utf8").split("\n");
  } catch {
    // no group file: only a number can name a group
  }
  const entry = lines.map((l) => l.split(":")).find((f) => f[0] === wanted || f[2] === wanted);
  if (entry) return Number(entry[2]);
  if (/^\d+$/.test(wanted)) return Number(wanted);
  if (name === undefined) return undefined;
  throw new Error(`group ${wanted} not found`);
}

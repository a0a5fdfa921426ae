// Resolving `--user` inside the container's own /etc/passwd and /etc/group,
// as Docker does: names or numbers, `user[:group]`, plus supplementary groups.
import { ownFiles, type FileView } from "./file-view.ts";

export interface ResolvedUser {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

function readTable(files: FileView, path: string): string[][] {
  try {
    return files.read(path).split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(":"));
  } catch {
    return [];
  }
}

export function resolveUser(spec: string, files: FileView = ownFiles()): ResolvedUser {
  const [userPart = "", groupPart] = spec.split(":", 2);
  const passwd = readTable(files, "/etc/passwd");
  const group = readTable(files, "/etc/group");
  let uid = 0;
  let gid = 0;
  let home = "/";
  let name: string | undefined;
  if (userPart === "") {
    const root0 = passwd.find((p) => p[2] === "0");
    name = root0?.[0] ?? "root";
    // runc's default without a passwd entry is "/", not /root.
    home = root0?.[5] || "/";
  } else if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const p = passwd.find((e) => e[2] === userPart);
    if (p) {
      gid = Number(p[3]);
      home = p[5] || "/";
      name = p[0];
    }
  } else {
    const p = passwd.find((e) => e[0] === userPart);
    if (!p) throw new Error(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = Number(p[2]);
    gid = Number(p[3]);
    home = p[5] || "/";
    name = p[0];
  }
  if (groupPart !== undefined && groupPart !== "") {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = group.find((e) => e[0] === groupPart);
      if (!g) throw new Error(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(g[2]);
    }
  }
  const groups = name
    ? group.filter((g) => (g[3] ?? "").split(",").includes(name!)).map((g) => Number(g[2])).filter((g) => g !== gid)
    : [];
  return { uid, gid, groups: [gid, ...groups].filter((v, i, a) => a.indexOf(v) === i), home };
}

/** `--group-add`: names or ids, looked up in the container's /etc/group (an id need not be there). */
export function resolveGroups(names: string[] | undefined, files: FileView = ownFiles()): number[] {
  if (!names?.length) return [];
  const group = readTable(files, "/etc/group");
  return names.map((n) => {
    if (/^\d+$/.test(n)) return Number(n);
    const g = group.find((e) => e[0] === n);
    if (!g) throw new Error(`unable to find group ${n}: no matching entries in group file`);
    return Number(g[2]);
  });
}

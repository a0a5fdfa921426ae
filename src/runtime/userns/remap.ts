// dockerd's --userns-remap: `default`, `user[:group]` or `uid[:gid]` names
// the host user and group whose subordinate ranges (/etc/subuid, /etc/subgid)
// every container's ids map to: container root is the first id of the range.
// `default` is berth's own user, made as dockerd makes `dockremap`. The
// messages are dockerd's, and all of this runs before the daemon makes
// anything, so a bad value stops the start whole.
import { hostIdOf, rangesFrom, type IdRange } from "./id-map.ts";
import { groupEntries, passwdEntries, subordinateRanges } from "./host-ids.ts";
import { addRemapUser } from "./remap-user.ts";

export const defaultRemapUser = "berth-remap";

export interface RemapIdentity {
  user: string;
  group: string;
  uidMap: IdRange[];
  gidMap: IdRange[];
}

/** The mapping for `value`; undefined for root, whom dockerd will not remap to itself (user namespaces stay off). */
export function resolveRemap(value: string, etc = "/etc"): RemapIdentity | undefined {
  const parts = value.split(":");
  if (parts.length > 2) throw new Error(`Invalid user/group specification in --userns-remap: ${JSON.stringify(value)}`);
  const [userPart, groupPart] = parts as [string, string?];
  const passwd = passwdEntries(etc);
  const groups = groupEntries(etc);
  let user: string;
  let group: string | undefined;
  if (/^\d+$/.test(userPart)) {
    const uid = Number(userPart);
    const u = passwd.find((p) => p.uid === uid);
    if (!u) throw new Error(`Uid ${uid} has no entry in /etc/passwd: user: unknown userid ${uid}`);
    user = u.name;
    if (groupPart === undefined) {
      const g = groups.find((g) => g.gid === uid);
      if (!g) throw new Error(`Gid ${uid} has no entry in /etc/group: group: unknown groupid ${uid}`);
      group = g.name;
    }
  } else {
    const name = userPart === "default" ? defaultRemapUser : userPart;
    let u = passwd.find((p) => p.name === name);
    if (!u && userPart === "default") {
      try {
        addRemapUser(defaultRemapUser, etc);
      } catch (e) {
        throw new Error(`Error during ${JSON.stringify(defaultRemapUser)} user creation: ${(e as Error).message}`);
      }
      u = passwdEntries(etc).find((p) => p.name === name);
      group = name;
    }
    if (!u) throw new Error(`Error during uid lookup for ${JSON.stringify(name)}: user: unknown user ${name}`);
    user = u.name;
    if (groupPart === undefined && group === undefined) {
      if (!groupEntries(etc).some((g) => g.name === name)) throw new Error(`Error during gid lookup for ${JSON.stringify(name)}: group: unknown group ${name}`);
      group = name;
    }
  }
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) {
      const g = groups.find((g) => g.gid === Number(groupPart));
      if (!g) throw new Error(`Gid ${groupPart} has no entry in /etc/group: group: unknown groupid ${groupPart}`);
      group = g.name;
    } else {
      if (!groups.some((g) => g.name === groupPart)) throw new Error(`Error during gid lookup for ${JSON.stringify(groupPart)}: group: unknown group ${groupPart}`);
      group = groupPart;
    }
  }
  if (user === "root") return undefined;
  const uid = passwd.find((p) => p.name === user)?.uid ?? passwdEntries(etc).find((p) => p.name === user)?.uid;
  const gid = groupEntries(etc).find((g) => g.name === group)?.gid;
  // Lines may name the user or group by number, as shadow-utils allows.
  const subuid = subordinateRanges(etc, "subuid").filter((r) => r.name === user || r.name === String(uid));
  const subgid = subordinateRanges(etc, "subgid").filter((r) => r.name === group || r.name === String(gid));
  if (!subuid.length) throw new Error(`Can't create ID mappings: no subuid ranges found for user ${JSON.stringify(user)}`);
  if (!subgid.length) throw new Error(`Can't create ID mappings: no subgid ranges found for group ${JSON.stringify(group)}`);
  return { user, group: group!, uidMap: rangesFrom(subuid), gidMap: rangesFrom(subgid) };
}

/** The host uid and gid of the container's root under this mapping. */
export function remappedRoot(r: { uidMap: IdRange[]; gidMap: IdRange[] }): { uid: number; gid: number } {
  return { uid: hostIdOf(r.uidMap, 0) ?? 0, gid: hostIdOf(r.gidMap, 0) ?? 0 };
}

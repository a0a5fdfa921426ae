// What an exec looks up in the container's mount namespace before it starts the
// program: its user and groups, its environment's HOME and TERM, the program's
// path, and whether the working directory exists. Both stage 2s use it.
import { existsSync } from "node:fs";
import { resolveGroups, resolveUser } from "../user.ts";
import { lookPath } from "../process.ts";
import { StartError } from "../start-error.ts";
import type { ExecConfig } from "./config.ts";

export interface ExecLookup {
  uid: number;
  gid: number;
  groups: number[];
  file: string;
  env: string[];
  cwd: string;
}

/** Throws the StartError (exit 126/127) Docker reports for a user, program or directory it cannot use. */
export function lookUpExec(cfg: ExecConfig): ExecLookup {
  let user;
  try {
    user = resolveUser(cfg.user);
    user.groups.push(...resolveGroups(cfg.groupAdd).filter((g) => !user!.groups.includes(g)));
  } catch (e) {
    throw new StartError((e as Error).message, 126);
  }
  const env = [...cfg.env];
  if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${user.home}`);
  if (cfg.tty && !env.some((e) => e.startsWith("TERM="))) env.push("TERM=xterm");
  const file = lookPath(cfg.args[0]!, env);
  const cwd = cfg.cwd || "/";
  if (!existsSync(cwd)) throw new StartError(`chdir to cwd ("${cwd}") set in config.json failed: no such file or directory`, 126);
  return { uid: user.uid, gid: user.gid, groups: user.groups, file, env, cwd };
}

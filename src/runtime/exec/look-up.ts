// What an exec looks up in the container before it starts the program: its
// user and groups, its environment's HOME and TERM, the program's path, and
// whether the working directory exists. The TypeScript stage 2 reads the
// files from inside the container's mount namespace; the daemon, for the
// runner, through the container's root (container-files.ts).
import { resolveGroups, resolveUser } from "../user.ts";
import { lookPath } from "../process.ts";
import { StartError } from "../start-error.ts";
import { ownFiles, type FileView } from "../file-view.ts";
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
export function lookUpExec(cfg: ExecConfig, files: FileView = ownFiles(cfg.cwd || "/")): ExecLookup {
  let user;
  try {
    user = resolveUser(cfg.user, files);
    user.groups.push(...resolveGroups(cfg.groupAdd, files).filter((g) => !user!.groups.includes(g)));
  } catch (e) {
    throw new StartError((e as Error).message, 126);
  }
  const env = [...cfg.env];
  if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${user.home}`);
  if (cfg.tty && !env.some((e) => e.startsWith("TERM="))) env.push("TERM=xterm");
  // As runc: a relative program is found from the working directory, where it is started.
  const file = lookPath(cfg.args[0]!, env, files);
  const cwd = cfg.cwd || "/";
  if (!files.kind(cwd)) throw new StartError(`chdir to cwd ("${cwd}") set in config.json failed: no such file or directory`, 126);
  return { uid: user.uid, gid: user.gid, groups: user.groups, file, env, cwd };
}

// Where the daemon listens when no -H is given. Its own leaf: the CLI needs it on
// every command's start, without the daemon's config code (and its node:fs).
export const defaultSocket = "/run/berth/berth.sock";

/** `<exec-root>/berth.sock` (BERTH_EXEC_ROOT lets tests move it). */
export function defaultSocketPath(execRoot = process.env.BERTH_EXEC_ROOT || "/run/berth"): string {
  return `${execRoot.replace(/\/+$/, "")}/berth.sock`;
}

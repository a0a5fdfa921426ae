// `--ulimit` names and checks as go-units has them (the docker CLI and dockerd
// share it): the rlimits a container may set, and soft no higher than hard.
export const ulimitNames = ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"];

/** go-units' message for what is wrong with a limit, or undefined. -1 is unlimited. */
export function ulimitProblem(name: string, soft: number, hard: number): string | undefined {
  if (!ulimitNames.includes(name)) return `invalid ulimit type: ${name}`;
  const big = (v: number) => (v === -1 ? Infinity : v);
  if (big(soft) > big(hard)) return `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`;
  return undefined;
}

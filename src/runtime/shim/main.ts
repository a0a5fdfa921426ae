// `berth __shim DIR [SOCKET [ATTACH_COUNT]]` runs one container;
// `berth __shim --standby SOCKET_DIR [CGROUP_PARENT]` loads (listens in SOCKET_DIR, and
// waits in a cgroup under CGROUP_PARENT), then runs the containers it is given on stdin (group.ts).
import { followParentOomScore } from "../oom-score.ts";

export async function shimMain(argv: string[]): Promise<void> {
  followParentOomScore();
  if (argv[0] === "--standby") return (await import("./group.ts")).groupShimMain(argv[1], argv[2]);
  return (await import("./container.ts")).containerShimMain(argv);
}

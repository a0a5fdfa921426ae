// `berth __shim DIR [SOCKET [ATTACH_COUNT]]` runs a container;
// `berth __shim --standby SOCKET_DIR [CGROUP_PARENT]` loads (listens in SOCKET_DIR, and
// waits in a cgroup under CGROUP_PARENT), then reads the argument list as a JSON line on stdin.
export async function shimMain(argv: string[]): Promise<void> {
  if (argv[0] === "--standby") {
    // Load everything, and start stage 2, first: that is the time the standby saves.
    const container = await import("./container.ts");
    const prepared = await container.prepareStandby(argv[1], argv[2]);
    argv = (await import("./standby.ts")).awaitAssignment(() => container.discardStandby(prepared));
    // The daemon booted us at a low priority, so as not to slow the start in progress then; work is normal priority.
    const { setProcessNice } = await import("../libc.ts");
    setProcessNice(process.pid, 0);
    setProcessNice(prepared.init.pid, 0);
    return container.containerShimMain(argv, prepared);
  }
  return (await import("./container.ts")).containerShimMain(argv);
}

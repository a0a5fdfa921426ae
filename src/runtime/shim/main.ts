// `berth __shim DIR [SOCKET [ATTACH_COUNT]]` runs a container;
// `berth __shim exec DIR EXEC_CONFIG [SOCKET [ATTACH_COUNT]]` runs a process in one;
// `berth __shim --standby` loads, then reads either argument list as a JSON line on stdin.
export async function shimMain(argv: string[]): Promise<void> {
  if (argv[0] === "--standby") {
    // Load everything, and start stage 2, first: that is the time the standby saves.
    const [, container] = await Promise.all([import("./exec.ts"), import("./container.ts")]);
    const prepared = container.prepareStandby();
    argv = (await import("./standby.ts")).awaitAssignment(() => container.discardStandby(prepared));
    if (argv[0] !== "exec") return container.containerShimMain(argv, prepared);
    container.discardStandby(prepared);
  }
  if (argv[0] === "exec") return (await import("./exec.ts")).execShimMain(argv.slice(1));
  return (await import("./container.ts")).containerShimMain(argv);
}

// `berth __shim DIR [SOCKET [ATTACH_COUNT]]` runs a container;
// `berth __shim exec DIR EXEC_CONFIG [SOCKET [ATTACH_COUNT]]` runs a process in one.
export async function shimMain(argv: string[]): Promise<void> {
  if (argv[0] === "exec") return (await import("./exec.ts")).execShimMain(argv.slice(1));
  return (await import("./container.ts")).containerShimMain(argv);
}

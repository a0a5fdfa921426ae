// One executable, several roles: the CLI, the daemon, and the per-container
// shim/init stages that the runtime re-executes (see src/runtime).
export {};

const [role, ...rest] = process.argv.slice(2);

switch (role) {
  case "__shim":
    await (await import("./runtime/shim/main.ts")).shimMain(rest);
    break;
  case "__init":
    await (await import("./runtime/init/main.ts")).initMain(rest);
    break;
  case "__exec":
    await (await import("./runtime/exec/main.ts")).execMain(rest);
    break;
  case "__exec-enter":
    await (await import("./runtime/exec/enter.ts")).execEnterMain(rest);
    break;
  default:
    process.exitCode = await (await import("./cli/main.ts")).cliMain(process.argv.slice(2));
}

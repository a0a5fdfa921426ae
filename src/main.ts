// One executable, several roles: the CLI, the daemon, and the per-container
// shim/init/exec stages that the runtime re-executes (see src/runtime).
import { setRoleJitPolicy } from "./jit-policy.ts";

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  setRoleJitPolicy(role);
  switch (role) {
    case "__shim":
      return (await import("./runtime/shim/main.ts")).shimMain(rest);
    case "__init":
      return (await import("./runtime/init/main.ts")).initMain(rest);
    case "__exec":
      return (await import("./runtime/exec/main.ts")).execMain(rest);
    case "__archive":
      return (await import("./runtime/archive/main.ts")).archiveMain(rest);
    case "__apply":
      return (await import("./layer/apply-process/main.ts")).applyMain();
    case "__exec-enter":
      return (await import("./runtime/exec/enter.ts")).execEnterMain(rest);
    default:
      process.exitCode = await (await import("./cli/main.ts")).cliMain(process.argv.slice(2));
  }
}

main().catch((e) => {
  process.stderr.write(`berth: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});

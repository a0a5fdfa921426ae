// The executable starts with JavaScriptCore's JIT reluctant (jitPolicy in scripts/build-options.ts): its
// tier-up thresholds are 8x higher, so code that runs once stays in the interpreter instead of
// being compiled. That suits a CLI command and stage 2 of a container or an exec (__init,
// __exec-enter), which do their work once and execve the container's program. The roles that keep
// running or move data set the normal policy back when they start: the shim, the exec's PTY relay
// (__exec), cp/export (__archive); the daemon and registry serve do it as commands (Command.serves).

/** The roles of src/main.ts that run with the normal JIT policy. */
export const normalJitRoles: readonly string[] = ["__shim", "__exec", "__archive"];

/** Sets the JIT policy a role of the executable runs with. */
export function setRoleJitPolicy(role: string | undefined): void {
  if (role !== undefined && normalJitRoles.includes(role)) Bun.unsafe.setJITPolicy(1);
}

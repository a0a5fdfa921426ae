// The executable starts with JavaScriptCore's JIT reluctant (jitPolicy in scripts/build-options.ts): its
// tier-up thresholds are 8x higher, so code that runs once stays in the interpreter instead of
// being compiled. That suits a CLI command and stage 2 of a container or an exec (__init,
// __exec-enter), which do their work once and execve the container's program. The roles that move
// data set the normal policy back when they start: the shim, the exec's PTY relay (__exec),
// cp/export (__archive), and registry serve as a command (Command.serves).
// The daemon keeps the reluctant policy: what it serves often is still compiled, later, and what it
// runs rarely is not, so the compilers' code and output do not become its pages (interleaved A/B
// after an import: idle USS 22.5 -> 19.2 MB, the same CPU per request after 200 of a kind). So does
// a layer's apply (__apply), whose hot loops are native code: a 71 MB gzip layer took 0.30 s of CPU
// against 0.32 s with the normal policy.

/** The roles of src/main.ts that run with the normal JIT policy. */
export const normalJitRoles: readonly string[] = ["__shim", "__exec", "__archive"];

/** Sets the JIT policy a role of the executable runs with. */
export function setRoleJitPolicy(role: string | undefined): void {
  if (role !== undefined && normalJitRoles.includes(role)) Bun.unsafe.setJITPolicy(1);
}

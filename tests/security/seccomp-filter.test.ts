// The seccomp compiler, checked by running its classic BPF output in a small
// interpreter of the instructions it uses, on the seccomp_data a call makes:
// Docker's default profile call by call (tests/fixtures/classic-bpf.ts), and every comparison operator
// against a plain 64-bit evaluation of random arguments.
import { describe, expect, test } from "bun:test";
import { compileFilter } from "../../src/runtime/seccomp/bpf.ts";
import { defaultProfile, type Profile } from "../../src/runtime/seccomp/profile.ts";
import { ProfileError, RET, resolveProfile } from "../../src/runtime/seccomp/resolve.ts";
import { defaultCapabilities } from "../../src/runtime/spec.ts";
import { runSeccompBpf } from "../fixtures/classic-bpf.ts";

const X86_64 = 0xc000003e, I386 = 0x40000003, AARCH64 = 0xc00000b7, ARM = 0x40000028;

/** How many instructions the last run() executed. */
let executed = 0;

/** Runs a sock_filter program on one call; returns the SECCOMP_RET_* value. */
function run(prog: Uint8Array, arch: number, nr: number, args: bigint[] = []): number {
  const r = runSeccompBpf(prog, arch, nr, args);
  executed = r.executed;
  return r.ret;
}

const ALLOW = RET.ALLOW, EPERM = RET.ERRNO | 1, ENOSYS = RET.ERRNO | 38;
const compile = (p: Profile, caps: string[], arch = "amd64") => compileFilter(resolveProfile(p, caps, arch)!);

describe("seccomp filter compiler", () => {
  const dflt = compile(defaultProfile, defaultCapabilities);
  const admin = compile(defaultProfile, [...defaultCapabilities, "SYS_ADMIN"]);
  // x86_64 numbers
  const nr = { read: 0, clone: 56, personality: 135, socket: 41, unshare: 272, keyctl: 250, add_key: 248, perf_event_open: 298, clone3: 435, io_uring_setup: 425, mount: 165, chroot: 161, ptrace: 101, open_by_handle_at: 304, fchmodat2: 452 };

  test("fits the kernel's limit and allows the everyday calls", () => {
    expect(dflt.length / 8).toBeLessThan(4096);
    for (const n of [0, 1, 2, 3, 9, 59, 60, 231]) expect(run(dflt, X86_64, n)).toBe(ALLOW);
    expect(run(dflt, X86_64, nr.chroot)).toBe(ALLOW); // CAP_SYS_CHROOT is a default capability
    expect(run(dflt, X86_64, nr.ptrace)).toBe(ALLOW); // from kernel 4.8, as with Docker
  });

  test("a call is found by binary search, not by a walk of the list", () => {
    // log2 of the ~250 number ranges, plus the arch check: a linear list would take hundreds for the last calls.
    let most = 0;
    for (let n = 0; n < 1024; n++) {
      run(dflt, X86_64, n);
      most = Math.max(most, executed);
    }
    expect(most).toBeLessThanOrEqual(20);
    run(dflt, X86_64, 110); // getppid, the bench's call
    expect(executed).toBeLessThanOrEqual(16);
  });

  test("refuses with EPERM what Docker's default refuses", () => {
    for (const n of [nr.unshare, nr.keyctl, nr.add_key, nr.perf_event_open, nr.io_uring_setup, nr.mount, nr.open_by_handle_at]) {
      expect(run(dflt, X86_64, n)).toBe(EPERM);
    }
  });

  test("clone without namespace flags only; clone3 is ENOSYS; CAP_SYS_ADMIN lifts both", () => {
    const SIGCHLD = 17n, CLONE_VM = 0x100n, NEWUSER = 0x10000000n, NEWNET = 0x40000000n;
    expect(run(dflt, X86_64, nr.clone, [SIGCHLD | CLONE_VM])).toBe(ALLOW);
    expect(run(dflt, X86_64, nr.clone, [SIGCHLD | NEWUSER])).toBe(EPERM);
    expect(run(dflt, X86_64, nr.clone, [NEWNET])).toBe(EPERM);
    // The upper half of the flags word is outside the mask: it does not matter.
    expect(run(dflt, X86_64, nr.clone, [(1n << 40n) | SIGCHLD])).toBe(ALLOW);
    expect(run(dflt, X86_64, nr.clone3)).toBe(ENOSYS);
    expect(run(admin, X86_64, nr.clone, [NEWUSER])).toBe(ALLOW);
    expect(run(admin, X86_64, nr.clone3)).toBe(ALLOW);
    expect(run(admin, X86_64, nr.unshare)).toBe(ALLOW);
  });

  test("personality takes Docker's five values only, compared on all 64 bits", () => {
    for (const v of [0n, 8n, 0x20000n, 0x20008n, 0xffffffffn]) expect(run(dflt, X86_64, nr.personality, [v])).toBe(ALLOW);
    const READ_IMPLIES_EXEC = 0x400000n;
    expect(run(dflt, X86_64, nr.personality, [READ_IMPLIES_EXEC])).toBe(EPERM);
    expect(run(dflt, X86_64, nr.personality, [1n << 32n])).toBe(EPERM);
  });

  test("sockets of any family but AF_VSOCK", () => {
    expect(run(dflt, X86_64, nr.socket, [2n, 1n])).toBe(ALLOW);
    expect(run(dflt, X86_64, nr.socket, [40n, 1n])).toBe(EPERM);
  });

  test("x32 calls are refused, i386 calls go by the i386 numbers, other arches are killed", () => {
    expect(run(dflt, X86_64, 0x40000000 | nr.read)).toBe(EPERM);
    expect(run(dflt, I386, 3 /* read */)).toBe(ALLOW);
    expect(run(dflt, I386, 310 /* unshare */)).toBe(EPERM);
    expect(run(dflt, I386, 120 /* clone */, [0x10000000n])).toBe(EPERM);
    expect(run(dflt, I386, 120, [17n])).toBe(ALLOW);
    expect(run(dflt, AARCH64, 63)).toBe(RET.KILL_PROCESS);
  });

  test("calls newer than the profile knows are ENOSYS, so a libc falls back", () => {
    expect(run(dflt, X86_64, nr.fchmodat2)).toBe(ENOSYS);
    expect(run(dflt, X86_64, 1000)).toBe(ENOSYS);
    const denyList: Profile = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }] };
    const p = compile(denyList, defaultCapabilities);
    expect(run(p, X86_64, 83 /* mkdir */)).toBe(EPERM);
    expect(run(p, X86_64, 258 /* mkdirat */)).toBe(EPERM);
    expect(run(p, X86_64, 1000)).toBe(ALLOW);
    // A deny list must not be bypassed through the x32 numbers.
    expect(run(p, X86_64, 0x40000000 | 83)).toBe(EPERM);
  });

  test("on an arm64 host: aarch64's numbers, 32-bit ARM's beside them, x86 killed", () => {
    const arm64 = compile(defaultProfile, defaultCapabilities, "arm64");
    const arm64Admin = compile(defaultProfile, [...defaultCapabilities, "SYS_ADMIN"], "arm64");
    expect(arm64.length / 8).toBeLessThan(4096);
    // aarch64: read 63, write 64, openat 56, execve 221, exit_group 94; unshare 97, keyctl 219, mount 40, clone 220, clone3 435, personality 92.
    for (const n of [63, 64, 56, 221, 94]) expect(run(arm64, AARCH64, n)).toBe(ALLOW);
    for (const n of [97, 219, 40]) expect(run(arm64, AARCH64, n)).toBe(EPERM);
    expect(run(arm64, AARCH64, 220, [17n])).toBe(ALLOW);
    expect(run(arm64, AARCH64, 220, [0x10000000n])).toBe(EPERM);
    expect(run(arm64Admin, AARCH64, 220, [0x10000000n])).toBe(ALLOW);
    expect(run(arm64, AARCH64, 435)).toBe(ENOSYS);
    expect(run(arm64, AARCH64, 92, [0x400000n])).toBe(EPERM);
    expect(run(arm64, AARCH64, 92, [0n])).toBe(ALLOW);
    expect(run(arm64, AARCH64, 1000)).toBe(ENOSYS);
    // arch_prctl and modify_ldt are x86's; aarch64 has neither number, and 158 is its getgroups.
    expect(run(arm64, AARCH64, 158)).toBe(ALLOW);
    // 32-bit ARM (EABI): read 3, unshare 337, clone 120, and the ARM-only calls the profile allows on arm.
    expect(run(arm64, ARM, 3)).toBe(ALLOW);
    expect(run(arm64, ARM, 337)).toBe(EPERM);
    expect(run(arm64, ARM, 120, [0x10000000n])).toBe(EPERM);
    expect(run(arm64, ARM, 120, [17n])).toBe(ALLOW);
    for (const n of [270 /* arm_fadvise64_64 */, 0x0f0001 /* breakpoint */, 0x0f0002 /* cacheflush */, 0x0f0005 /* set_tls */]) expect(run(arm64, ARM, n)).toBe(ALLOW);
    expect(run(arm64, ARM, 0x0f0003 /* usr26 */)).toBe(EPERM);
    expect(run(arm64, ARM, 1000)).toBe(ENOSYS);
    expect(run(arm64, X86_64, 0)).toBe(RET.KILL_PROCESS);
    expect(run(arm64, I386, 3)).toBe(RET.KILL_PROCESS);
    // And the x86_64 host's filter kills ARM calls.
    expect(run(dflt, ARM, 3)).toBe(RET.KILL_PROCESS);
  });

  test("a host architecture without call numbers is refused clearly, not left unfiltered", () => {
    for (const arch of ["riscv64", "ppc64le"]) {
      expect(() => resolveProfile(defaultProfile, defaultCapabilities, arch)).toThrow(ProfileError);
      expect(() => resolveProfile(defaultProfile, defaultCapabilities, arch)).toThrow(`seccomp filters are not supported on ${arch} by this engine: run the container with --security-opt seccomp=unconfined`);
    }
    // Turning seccomp off needs no numbers.
    expect(resolveProfile({ defaultAction: "" }, [], "riscv64")).toBeUndefined();
  });

  test("each operator agrees with a 64-bit evaluation", () => {
    const ops: [string, (a: bigint, v: bigint, v2: bigint) => boolean][] = [
      ["SCMP_CMP_EQ", (a, v) => a === v], ["SCMP_CMP_NE", (a, v) => a !== v], ["SCMP_CMP_LT", (a, v) => a < v],
      ["SCMP_CMP_LE", (a, v) => a <= v], ["SCMP_CMP_GT", (a, v) => a > v], ["SCMP_CMP_GE", (a, v) => a >= v],
      ["SCMP_CMP_MASKED_EQ", (a, v, v2) => (a & v) === v2],
    ];
    // Values that differ in one half only, and random ones, within JSON's exact integers.
    const values = [0n, 1n, 5n, 0xffffffffn, 0x100000000n, 0x100000005n, 0x1fffffffffffffn, 0x200000000n | 7n];
    let seed = 12345;
    const rnd = () => BigInt((seed = (seed * 1103515245 + 12345) & 0x7fffffff)) * BigInt((seed = (seed * 1103515245 + 12345) & 0x3fffff) + 1);
    for (let i = 0; i < 8; i++) values.push(rnd() & 0x1fffffffffffffn);
    for (const [op, holds] of ops) {
      for (const v of values) {
        const v2 = v & 0x0f0f0f0f0fn;
        const profile: Profile = { defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 2, value: Number(v), valueTwo: Number(v2), op }] }] };
        const p = compile(profile, []);
        for (const a of values) {
          const want = holds(a, v, v2) ? ALLOW : EPERM;
          expect({ op, a, v, got: run(p, X86_64, 0, [0n, 0n, a]) }).toEqual({ op, a, v, got: want });
        }
      }
    }
  });

  test("bad profiles get dockerd's and runc's words", () => {
    const bad: [unknown, string][] = [
      [{ defaultAction: "SCMP_ACT_NOPE", syscalls: [] }, "string SCMP_ACT_NOPE is not a valid action for seccomp"],
      [{ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 1, op: "SCMP_CMP_ALMOST" }] }] }, "string SCMP_CMP_ALMOST is not a valid operator for seccomp"],
      [{ defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64"], archMap: [{ architecture: "SCMP_ARCH_X86_64", subArchitectures: null }] }, "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'"],
      [{ defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_Z80"] }, "string SCMP_ARCH_Z80 is not a valid arch for seccomp"],
      [{ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ name: "read", names: ["write"], action: "SCMP_ACT_ALLOW" }] }, "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'"],
      [{ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 6, value: 1, op: "SCMP_CMP_EQ" }] }] }, "seccomp argument index 6 is out of range"],
    ];
    for (const [p, message] of bad) {
      expect(() => resolveProfile(p as Profile, [])).toThrow(ProfileError);
      expect(() => resolveProfile(p as Profile, [])).toThrow(message);
    }
    // No default action and no rules: dockerd reads it as seccomp turned off.
    expect(resolveProfile({ defaultAction: "" }, [])).toBeUndefined();
  });
});

// bpf(2) for device programs: load one, attach it to a cgroup v2 directory in
// place of the ones berth attached before. Each bpf_attr is laid out by hand
// (offsets from linux/bpf.h) in a zeroed buffer larger than any of them.
import { ptr } from "bun:ffi";
import { closeSync, openSync, constants } from "node:fs";
import { syscall, SyscallError } from "../libc.ts";
import { deviceProgram } from "./bpf-program.ts";
import type { DeviceRule } from "./rules.ts";

const SYS_bpf = process.arch === "arm64" ? 280 : 321;
const BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9, BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
/** Several programs on one cgroup, all of which must allow: berth's and any a parent has. */
const BPF_F_ALLOW_MULTI = 2;

function bpf(cmd: number, attr: Buffer): number {
  return syscall("bpf", SYS_bpf, cmd, ptr(attr) as unknown as number, attr.length);
}

function loadProgram(insns: Uint8Array): number {
  const license = Buffer.from("Apache-2.0\0");
  const attempt = (log?: Buffer) => {
    const attr = Buffer.alloc(128);
    attr.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
    attr.writeUInt32LE(insns.length / 8, 4);
    attr.writeBigUInt64LE(BigInt(ptr(insns)), 8);
    attr.writeBigUInt64LE(BigInt(ptr(license)), 16);
    if (log) {
      attr.writeUInt32LE(1, 24);
      attr.writeUInt32LE(log.length, 28);
      attr.writeBigUInt64LE(BigInt(ptr(log)), 32);
    }
    attr.write("berth_devices", 48);
    return bpf(BPF_PROG_LOAD, attr);
  };
  try {
    return attempt();
  } catch (e) {
    // Ask again with the verifier's log, for an error that says why.
    const log = Buffer.alloc(16384);
    try {
      return attempt(log);
    } catch {
      const text = log.toString("utf8", 0, Math.max(0, log.indexOf(0)));
      throw new Error(`loading the device program: ${(e as Error).message}${text ? `\n${text}` : ""}`);
    }
  }
}

/** IDs of the device programs attached directly to the cgroup. */
function attachedPrograms(cgroupFd: number): number[] {
  const ids = new Uint32Array(64);
  const attr = Buffer.alloc(128);
  attr.writeUInt32LE(cgroupFd, 0);
  attr.writeUInt32LE(BPF_CGROUP_DEVICE, 4);
  attr.writeBigUInt64LE(BigInt(ptr(ids)), 16);
  attr.writeUInt32LE(ids.length, 24);
  bpf(BPF_PROG_QUERY, attr);
  return [...ids.subarray(0, attr.readUInt32LE(24))];
}

function attachOrDetach(cmd: number, cgroupFd: number, progFd: number): void {
  const attr = Buffer.alloc(128);
  attr.writeUInt32LE(cgroupFd, 0);
  attr.writeUInt32LE(progFd, 4);
  attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
  if (cmd === BPF_PROG_ATTACH) attr.writeUInt32LE(BPF_F_ALLOW_MULTI, 12);
  bpf(cmd, attr);
}

function programFd(id: number): number {
  const attr = Buffer.alloc(128);
  attr.writeUInt32LE(id, 0);
  return bpf(BPF_PROG_GET_FD_BY_ID, attr);
}

/**
 * Makes `rules` the device rules of the cgroup v2 directory: the new program
 * is attached before the old ones are detached, so there is no moment without
 * rules. Rules that allow everything leave no program.
 */
export function applyDeviceRulesV2(cgroupDir: string, rules: readonly DeviceRule[]): void {
  const insns = deviceProgram(rules);
  const cgroupFd = openSync(cgroupDir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const old = attachedPrograms(cgroupFd);
    if (insns) {
      const fd = loadProgram(insns);
      try {
        attachOrDetach(BPF_PROG_ATTACH, cgroupFd, fd);
      } finally {
        closeSync(fd);
      }
    }
    for (const id of old) {
      let fd: number;
      try {
        fd = programFd(id);
      } catch (e) {
        if (e instanceof SyscallError && e.code === "ENOENT") continue; // unloaded meanwhile
        throw e;
      }
      try {
        attachOrDetach(BPF_PROG_DETACH, cgroupFd, fd);
      } finally {
        closeSync(fd);
      }
    }
  } finally {
    closeSync(cgroupFd);
  }
}

/** The number of device programs attached to the cgroup directory (for `info` and tests). */
export function deviceProgramCount(cgroupDir: string): number {
  const fd = openSync(cgroupDir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    return attachedPrograms(fd).length;
  } finally {
    closeSync(fd);
  }
}

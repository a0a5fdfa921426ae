// An engine's memory as the kernel accounts it, from /proc/PID/smaps_rollup:
// USS (the pages only that process maps) and PSS (each shared page divided
// among the processes mapping it, so a sum over processes counts it once).
// The engine is its root processes and their descendants in the roots' PID
// namespace: the containers' own programs, in namespaces of their own, are not
// the engine's cost.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { processTree } from "./_usage.ts";

export interface Memory {
  ussKb: number;
  pssKb: number;
  processes: number;
}

const field = (text: string, key: string) => Number(text.match(new RegExp(`^${key}:\\s+(\\d+)`, "m"))?.[1] ?? 0);

/** One process's USS and PSS (kB); undefined when it is gone. */
export function processMemory(pid: number): Memory | undefined {
  try {
    const r = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return { ussKb: field(r, "Private_Clean") + field(r, "Private_Dirty"), pssKb: field(r, "Pss"), processes: 1 };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** The roots and their descendants that share the first root's PID namespace, summed. */
export function engineMemory(roots: number[]): Memory {
  const pidns = (pid: number) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/pid`);
    } catch {
      return undefined; // gone meanwhile
    }
  };
  const ns = pidns(roots[0]!);
  const total: Memory = { ussKb: 0, pssKb: 0, processes: 0 };
  // A process in another PID namespace is a container's program: it and what it started are left out.
  for (const pid of processTree(roots, (pid) => pidns(pid) === ns)) {
    const m = processMemory(pid);
    if (m) {
      total.ussKb += m.ussKb;
      total.pssKb += m.pssKb;
      total.processes++;
    }
  }
  return total;
}

/** A process's private pages (kB) by what they hold: anonymous memory (heaps), its executable's code, the executable's other pages (for berth: the bundle's source and bytecode), the rest. */
export interface PrivateSplit {
  anonKb: number;
  textKb: number;
  dataKb: number;
  otherKb: number;
}

/** USS split by mapping, from /proc/PID/smaps; undefined when the process is gone. */
export function privateSplit(pid: number): PrivateSplit | undefined {
  let exe: string;
  let smaps: string;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
    smaps = readFileSync(`/proc/${pid}/smaps`, "utf8");
  } catch {
    return undefined; // gone meanwhile
  }
  const out: PrivateSplit = { anonKb: 0, textKb: 0, dataKb: 0, otherKb: 0 };
  let key: keyof PrivateSplit = "otherKb";
  for (const line of smaps.split("\n")) {
    const m = line.match(/^[0-9a-f]+-[0-9a-f]+\s+(\S+)\s+\S+\s+\S+\s+\S+\s*(.*)$/);
    if (m) {
      const [perms, path] = [m[1]!, m[2]!.trim()];
      key = path === exe ? (perms.includes("x") ? "textKb" : "dataKb") : path === "" || path.startsWith("[heap]") || path.startsWith("[anon") ? "anonKb" : "otherKb";
      continue;
    }
    const p = line.match(/^Private_(?:Clean|Dirty):\s+(\d+)/);
    if (p) out[key] += Number(p[1]);
  }
  return out;
}

export const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

/**
 * Other live processes running the same executable as `pid`. Its code pages are shared with
 * them, so its USS is ~13 MB lower while any runs (a berth daemon's standby shim does): an idle
 * figure says how many there were.
 */
export function sameExecutable(pid: number): number {
  let exe: string;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return 0; // gone meanwhile
  }
  let n = 0;
  for (const e of readdirSync("/proc")) {
    const other = Number(e);
    if (!Number.isInteger(other) || other === pid) continue;
    try {
      if (readlinkSync(`/proc/${other}/exe`) === exe) n++;
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return n;
}

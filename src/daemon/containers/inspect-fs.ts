// What a container changed (`docker diff`), read from its overlay upper dir:
// a char device 0/0 is a deletion, an opaque dir or a path the image had is a
// change, anything else is an addition.
import { lstatSync, readdirSync, existsSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { lgetxattr } from "../../layer/fs/libc.ts";

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** Files berth itself places in every container (mount points), which Docker does not report. */
const hidden = new Set(["/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/dev", "/proc", "/sys"]);

export function containerChanges(upper: string, lowers: string[]): Change[] {
  const out: Change[] = [];
  const inLower = (rel: string) => lowers.some((l) => existsSync(join(l, rel)));
  const walk = (rel: string) => {
    for (const name of readdirSync(join(upper, rel)).sort()) {
      const path = `${rel}/${name}`;
      if (hidden.has(path)) continue;
      const st = lstatSync(join(upper, path));
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.push({ Path: path, Kind: 2 });
        continue;
      }
      const existed = inLower(path);
      out.push({ Path: path, Kind: existed ? 0 : 1 });
      const opaque = st.isDirectory() && lgetxattr(join(upper, path), "trusted.overlay.opaque")?.[0] === 0x79;
      if (st.isDirectory() && !opaque) walk(path);
      else if (st.isDirectory()) for (const n of readdirSync(join(upper, path)).sort()) out.push({ Path: `${path}/${n}`, Kind: 1 });
    }
  };
  if (existsSync(upper)) walk("");
  // /etc is in the upper dir for the hidden files above (made there when the image had none): Docker,
  // whose init layer holds them, shows it only when something else changed in it.
  return out.filter((c) => c.Path !== "/etc" || out.some((o) => o.Path.startsWith("/etc/")));
}

/**
 * Drops the placeholder files the runtime creates for its bind mounts from a diff's
 * entries, and the caller's own (`leaveOut`, absolute paths).
 */
export async function* withoutMountPoints<T extends { entry: { path: string } }>(items: AsyncIterable<T>, leaveOut?: Set<string>): AsyncGenerator<T> {
  for await (const item of items) {
    const path = "/" + item.entry.path.replace(/^\.?\/+/, "").replace(/\/$/, "");
    if (leaveOut?.has(path)) continue;
    if (!hidden.has(path) || path === "/dev" || path === "/proc" || path === "/sys") yield item;
  }
}

/**
 * What of `targets` (mount targets, absolute) the runtime made only to mount onto: each
 * target, and each directory above it that the image did not have and that holds nothing else.
 */
export function placeholders(upper: string, lowerDirs: string[], targets: string[]): Set<string> {
  const out = new Set<string>(targets);
  for (const t of targets) {
    for (let dir = posix.dirname(t); dir !== "/"; dir = posix.dirname(dir)) {
      if (lowerDirs.some((l) => existsSync(join(l, dir)))) break;
      let names: string[];
      try {
        names = readdirSync(join(upper, dir));
      } catch {
        break; // not made in this container
      }
      if (!names.every((n) => out.has(posix.join(dir, n)))) break;
      out.add(dir);
    }
  }
  return out;
}

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

function userName(uid: number): string {
  try {
    const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l: string) => l.split(":")[2] === String(uid));
    return line ? line.split(":")[0] : String(uid);
  } catch {
    return String(uid);
  }
}

/** `docker top` with ps -ef's columns, read from /proc for the container's pids. */
export function topOf(pids: number[]): TopResult {
  const ticks = 100;
  const bootSec = Number(readFileSync("/proc/stat", "utf8").match(/^btime (\d+)/m)?.[1] ?? 0);
  const rows: string[][] = [];
  for (const pid of pids.sort((a, b) => a - b)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = fields[1]!;
      const time = Math.floor((Number(fields[11]) + Number(fields[12])) / ticks);
      const start = new Date((bootSec + Number(fields[19]) / ticks) * 1000);
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
      const hh = (n: number) => String(n).padStart(2, "0");
      rows.push([
        userName(uid), String(pid), ppid, "0", `${hh(start.getHours())}:${hh(start.getMinutes())}`, "?",
        `${hh(Math.floor(time / 3600))}:${hh(Math.floor(time / 60) % 60)}:${hh(time % 60)}`, cmd,
      ]);
    } catch {
      // The process ended while we looked.
    }
  }
  return { Titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], Processes: rows };
}

// Files the engine writes or measures for a container.
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export function hostResolvConf(networkMode: string): string {
  if (networkMode === "host" && existsSync("/etc/resolv.conf")) {
    try {
      return readFileSync("/etc/resolv.conf", "utf8");
    } catch {}
  }
  // With no network of its own the container has no reachable resolver; keep the file valid.
  return "nameserver 127.0.0.1\noptions ndots:0\n";
}

/** Bytes used by a tree (for SizeRw), counting hardlinked files once. */
export function duBytes(dir: string): number {
  let total = 0;
  const seen = new Set<string>();
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        total += st.size;
      }
    }
  };
  if (existsSync(dir) && statSync(dir).isDirectory()) walk(dir);
  return total;
}

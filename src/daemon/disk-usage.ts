// How much disk a tree uses (container layers, volumes).
import { existsSync, lstatSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

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

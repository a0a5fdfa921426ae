// Whether this kernel mounts overlayfs here (else containers get a copied rootfs).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { mount, umount2 } from "../libc.ts";

export function overlaySupported(scratch: string): boolean {
  mkdirSync(scratch, { recursive: true });
  const base = mkdtempSync(join(scratch, "overlay-check-"));
  const dirs = ["lower", "upper", "work", "merged"].map((d) => join(base, d));
  for (const d of dirs) mkdirSync(d);
  try {
    mount("overlay", dirs[3]!, "overlay", 0, `lowerdir=${dirs[0]},upperdir=${dirs[1]},workdir=${dirs[2]}`);
    umount2(dirs[3]!, 2);
    return true;
  } catch {
    return false; // the answer: no overlay here
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

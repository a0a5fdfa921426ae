// A fresh filesystem for a benchmark's storage: an ext4 image with a journal
// (as servers format their disks), loop-mounted for the benchmark and thrown
// away after it. Why not a directory on the host's disk: this host's root is
// an ext4 without a journal, where a new inode skips over every inode deleted
// in the last minutes (ext4's recently_deleted check), so creating files right
// after a big delete cost twice the time here, and whichever engine ran after
// another's cleanup paid for it. Falls back to /var/tmp, and says so.
import { $ } from "bun";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";

export interface ScratchFs {
  dir: string;
  /** Where the storage is, for the report. */
  note: string;
  release(): Promise<void>;
}

/** `inodes`: how many the filesystem has (mkfs's -N), for a benchmark that makes more files than ext4's default gives. */
export async function scratchFs(name: string, sizeGiB: number, opts: { inodes?: number } = {}): Promise<ScratchFs> {
  const base = mkdtempSync(`/var/tmp/berth-bench-${name}-`);
  const image = join(base, "fs.img");
  const dir = join(base, "mnt");
  mkdirSync(dir);
  const made = await $`truncate -s ${sizeGiB}G ${image} && mkfs.ext4 -q -F ${opts.inodes ? ["-N", String(opts.inodes)] : []} ${image} && mount -o loop ${image} ${dir}`.nothrow().quiet();
  if (made.exitCode === 0) {
    return {
      dir,
      note: "storage on a fresh loop-mounted ext4 (with a journal) made for this run",
      async release() {
        // Engines may leave mounts (overlays, their own binds) under their data roots.
        await $`umount -R ${dir}`.nothrow().quiet();
        rmSync(base, { recursive: true, force: true });
      },
    };
  }
  const why = made.stderr.toString().trim().split("\n").pop() || `exit ${made.exitCode}`;
  rmSync(image, { force: true });
  return {
    dir,
    note: `storage in /var/tmp (a loop-mounted ext4 could not be made: ${why})`,
    async release() {
      rmSync(base, { recursive: true, force: true });
    },
  };
}

// A writable view of an image's root filesystem for the steps that change
// files without running a program (COPY, ADD, WORKDIR): overlayfs with the
// image's layers below and a fresh upper dir, mounted in the daemon's mount
// namespace for the duration of one step. The upper dir is then the step's
// layer, tarred by the same diff code `commit` uses.
import { mkdirSync, symlinkSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { mount, umount2 } from "../../runtime/libc.ts";
import { tarDirectory } from "../../layer/diff.ts";
import { skipped } from "../../shared/debug-log.ts";

const MNT_DETACH = 2;

export class RootfsWorkspace {
  readonly upper: string;
  readonly merged: string;
  private mounted = false;

  /** `lowerDirs`: the image's layer dirs, topmost first (none for scratch). */
  constructor(readonly dir: string, private lowerDirs: string[]) {
    this.upper = join(dir, "upper");
    this.merged = lowerDirs.length ? join(dir, "merged") : this.upper;
  }

  open(): this {
    mkdirSync(this.upper, { recursive: true, mode: 0o755 });
    if (!this.lowerDirs.length) return this;
    const work = join(this.dir, "work");
    mkdirSync(work, { recursive: true });
    mkdirSync(this.merged, { recursive: true });
    // Mount data is limited to a page: long layer lists go through short links.
    let lowers = this.lowerDirs.join(":");
    if (lowers.length > 3000) {
      const links = join(this.dir, "l");
      mkdirSync(links, { recursive: true });
      this.lowerDirs.forEach((d, i) => symlinkSync(d, join(links, String(i))));
      lowers = this.lowerDirs.map((_d, i) => join(links, String(i))).join(":");
    }
    mount("overlay", this.merged, "overlay", 0, `lowerdir=${lowers},upperdir=${this.upper},workdir=${work}`);
    this.mounted = true;
    return this;
  }

  /** The changes made through `merged`, as an OCI layer tar. Call after close(). */
  diff(): ReadableStream<Uint8Array> {
    return tarDirectory(this.upper, { overlayUpper: true });
  }

  close(): void {
    if (!this.mounted) return;
    umount2(this.merged, MNT_DETACH);
    this.mounted = false;
  }

  /**
   * Unmounts and removes the workspace. The removal runs on in the background: a
   * COPY's upper holds every copied file, and unlinking thousands is disk-bound
   * time the build need not wait for (the daemon sweeps its tmp dir at start).
   */
  dispose(): void {
    try {
      this.close();
    } finally {
      void rm(this.dir, { recursive: true, force: true }).catch(skipped("removing a build step's workspace"));
    }
  }
}

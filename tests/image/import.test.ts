// docker import: rootfs tar (plain, gzip, zstd) → one-layer image, --change, message.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/index.ts";
import { createImageService } from "../../src/daemon/images.ts";
import { makeRootfs } from "../fixtures/image-busybox.ts";
import { consistencyProblems } from "../fixtures/image-store-state.ts";

const dir = mkdtempSync("/tmp/berth-test-import-");
let store: Store;
let rootfs: string;
beforeAll(async () => {
  rootfs = makeRootfs(dir);
  store = await openStore(join(dir, "store"));
  await $`tar -cf ${dir}/rootfs.tar -C ${rootfs} .`.quiet();
  await $`gzip -k ${dir}/rootfs.tar`.quiet();
  if (Bun.which("zstd")) await $`zstd -q -k ${dir}/rootfs.tar`.quiet();
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("import", () => {
  for (const ext of ["tar", "tar.gz", "tar.zst"]) {
    test(`rootfs.${ext}`, async () => {
      if (ext === "tar.zst" && !Bun.which("zstd")) {
        if (process.env.CI === "true") throw new Error("zstd is not installed");
        console.warn("skipping: zstd is not installed");
        return;
      }
      const svc = createImageService(store);
      const id = await svc.importRootfs(Bun.file(join(dir, `rootfs.${ext}`)).stream(), {
        repo: "imported",
        tag: ext.replace(".", "-"),
        message: `from ${ext}`,
        changes: ['CMD ["/bin/sh"]', "ENV A=1 B=2", "EXPOSE 8080", "LABEL x=y", "USER 1000", "WORKDIR /tmp", "VOLUME /data", "STOPSIGNAL SIGTERM", "ENTRYPOINT echo hi"],
      });
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
      const inspect = await svc.inspect(`imported:${ext.replace(".", "-")}`);
      expect(inspect.Id).toBe(id);
      expect(inspect.Comment).toBe(`from ${ext}`);
      const c = inspect.Config as any;
      expect(c.Cmd).toEqual(["/bin/sh"]);
      expect(c.Entrypoint).toEqual(["/bin/sh", "-c", "echo hi"]);
      expect(c.Env).toEqual(["A=1", "B=2"]);
      expect(c.ExposedPorts).toEqual({ "8080/tcp": {} });
      expect(c.Labels).toEqual({ x: "y" });
      expect([c.User, c.WorkingDir, c.StopSignal]).toEqual(["1000", "/tmp", "SIGTERM"]);
      expect(c.Volumes).toEqual({ "/data": {} });
      const history = await svc.history(id);
      expect(history[0]!.Comment).toBe(`from ${ext}`);
      const [layer] = store.images.layersOf(id);
      const diff = store.snapshots.diffPath(layer!.chain_id);
      expect(readlinkSync(join(diff, "bin/ls"))).toBe("busybox");
      expect(statSync(join(diff, "bin/busybox")).size).toBe(statSync("/bin/busybox").size);
      // the blob is kept as it came (compressed stays compressed)
      const blobs = store.images.blobsOfLayer(layer!.diff_id);
      const original = readFileSync(join(dir, `rootfs.${ext}`));
      expect(blobs.map((b) => b.digest)).toContain(`sha256:${new Bun.CryptoHasher("sha256").update(original).digest("hex")}`);
      expect(consistencyProblems(store)).toEqual([]);
    });
  }

  test("the same content imported twice shares the snapshot", async () => {
    const svc = createImageService(store);
    const a = await svc.importRootfs(Bun.file(join(dir, "rootfs.tar")).stream(), { repo: "twice:a" });
    const b = await svc.importRootfs(Bun.file(join(dir, "rootfs.tar.gz")).stream(), { repo: "twice:b" });
    expect(store.images.layersOf(a)[0]!.chain_id).toBe(store.images.layersOf(b)[0]!.chain_id);
  });

  test("a bad --change refuses the import and leaves nothing", async () => {
    const svc = createImageService(store);
    const before = store.images.list().length;
    await expect(svc.importRootfs(Bun.file(join(dir, "rootfs.tar")).stream(), { changes: ["RUN x"] })).rejects.toThrow(
      "RUN is not a valid change command",
    );
    expect(store.images.list().length).toBe(before);
  });
});

import { describe, expect, test } from "bun:test";
import { parseManifest, MAX_MANIFEST_SIZE } from "../../src/image/manifest.ts";
import { MediaType } from "../../src/image/media-types.ts";
import { chainIds, parseImageConfig } from "../../src/image/config.ts";
import { sha256Of } from "../../src/store/digest.ts";

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const d = (c: string): `sha256:${string}` => `sha256:${c.repeat(64)}`;
const manifest = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  config: { mediaType: MediaType.OciConfig, digest: d("a"), size: 10 },
  layers: [{ mediaType: MediaType.OciLayerGzip, digest: d("b"), size: 20 }],
  ...extra,
});

describe("manifest parsing", () => {
  test("OCI manifest without mediaType (as umoci writes)", () => {
    const p = parseManifest(enc(manifest()));
    expect(p.kind).toBe("manifest");
    if (p.kind === "manifest") {
      expect(p.manifest.mediaType).toBe(MediaType.OciManifest);
      expect(p.manifest.layers[0]!.digest).toBe(d("b"));
    }
  });
  test("Docker schema 2 manifest and list", () => {
    const m = parseManifest(enc(manifest({ mediaType: MediaType.DockerManifest, config: { mediaType: MediaType.DockerConfig, digest: d("a"), size: 1 } })));
    expect(m.kind).toBe("manifest");
    const l = parseManifest(enc({ schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [{ mediaType: MediaType.DockerManifest, digest: d("c"), size: 3, platform: { os: "linux", architecture: "amd64" } }] }));
    expect(l.kind).toBe("index");
    if (l.kind === "index") expect(l.index.manifests[0]!.platform).toEqual({ os: "linux", architecture: "amd64" });
  });
  test("index without mediaType is recognised by its shape", () => {
    expect(parseManifest(enc({ schemaVersion: 2, manifests: [] as unknown[] })).kind).toBe("index");
  });
  test("schema 1 is refused clearly", () => {
    expect(() => parseManifest(enc({ schemaVersion: 1, name: "x", fsLayers: [] }))).toThrow(/schema 1 is no longer supported/);
  });
  test("unknown layer media type is refused by name", () => {
    expect(() => parseManifest(enc(manifest({ layers: [{ mediaType: "application/x-weird", digest: d("b"), size: 1 }] })))).toThrow(
      "unsupported layer media type: application/x-weird",
    );
  });
  test("bad digests, sizes and algorithms", () => {
    expect(() => parseManifest(enc(manifest({ config: { mediaType: MediaType.OciConfig, digest: "sha256:xyz", size: 1 } })))).toThrow(/invalid config digest/);
    expect(() => parseManifest(enc(manifest({ config: { mediaType: MediaType.OciConfig, digest: "sha512:" + "a".repeat(128), size: 1 } })))).toThrow(/unsupported config digest algorithm/);
    expect(() => parseManifest(enc(manifest({ config: { mediaType: MediaType.OciConfig, digest: d("a"), size: -1 } })))).toThrow(/bad size/);
    expect(() => parseManifest(enc(manifest({ config: { mediaType: MediaType.OciConfig, digest: "sha256:../../etc/passwd", size: 1 } })))).toThrow(/invalid/);
  });
  test("unsupported config type, not JSON, too large", () => {
    expect(() => parseManifest(enc(manifest({ config: { mediaType: "application/vnd.cncf.helm.config.v1+json", digest: d("a"), size: 1 } })))).toThrow(/unsupported config media type/);
    expect(() => parseManifest(new TextEncoder().encode("{nope"))).toThrow(/not valid JSON/);
    expect(() => parseManifest(new Uint8Array(MAX_MANIFEST_SIZE + 1))).toThrow(/too large/);
  });
});

describe("image config", () => {
  test("chain IDs", () => {
    const a = d("1") as `sha256:${string}`;
    const b = d("2") as `sha256:${string}`;
    const c = d("3") as `sha256:${string}`;
    const ids = chainIds([a, b, c]);
    expect(ids[0]).toBe(a);
    expect(ids[1]).toBe(sha256Of(`${a} ${b}`));
    expect(ids[2]).toBe(sha256Of(`${ids[1]} ${c}`));
  });
  test("validation", () => {
    expect(() => parseImageConfig(enc({ os: "linux", architecture: "amd64", rootfs: { type: "x", diff_ids: [] } }))).toThrow(/rootfs/);
    expect(() => parseImageConfig(enc({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: ["nope"] } }))).toThrow(/diff_id/);
    expect(parseImageConfig(enc({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [d("a")] } })).os).toBe("linux");
  });
});

// Media types of Docker schema 2 and OCI image spec objects.
export const MediaType = {
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  DockerConfig: "application/vnd.docker.container.image.v1+json",
  DockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  DockerLayerForeignGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  DockerLayerZstd: "application/vnd.docker.image.rootfs.diff.tar.zstd",
  DockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  DockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  OciManifest: "application/vnd.oci.image.manifest.v1+json",
  OciIndex: "application/vnd.oci.image.index.v1+json",
  OciConfig: "application/vnd.oci.image.config.v1+json",
  OciLayer: "application/vnd.oci.image.layer.v1.tar",
  OciLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  OciLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  OciLayerNondistributable: "application/vnd.oci.image.layer.nondistributable.v1.tar",
  OciLayerNondistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  OciLayerNondistributableZstd: "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  /** Docker's plain-tar layer in archives written by `docker save` (also seen as the OCI one). */
  DockerLayerTar: "application/vnd.docker.image.rootfs.diff.tar",
} as const;

export type LayerCompression = "none" | "gzip" | "zstd";

const LAYER_TYPES: Record<string, LayerCompression> = {
  [MediaType.DockerLayerGzip]: "gzip",
  [MediaType.DockerLayerForeignGzip]: "gzip",
  [MediaType.DockerLayerZstd]: "zstd",
  [MediaType.DockerLayerTar]: "none",
  [MediaType.OciLayer]: "none",
  [MediaType.OciLayerGzip]: "gzip",
  [MediaType.OciLayerZstd]: "zstd",
  [MediaType.OciLayerNondistributable]: "none",
  [MediaType.OciLayerNondistributableGzip]: "gzip",
  [MediaType.OciLayerNondistributableZstd]: "zstd",
};

export function layerCompression(mediaType: string): LayerCompression | undefined {
  return LAYER_TYPES[mediaType];
}

export function isLayerMediaType(mediaType: string): boolean {
  return mediaType in LAYER_TYPES;
}

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MediaType.OciIndex || mt === MediaType.DockerManifestList;
}

export function isManifestMediaType(mt: string | undefined): boolean {
  return mt === MediaType.OciManifest || mt === MediaType.DockerManifest;
}

/** The OCI layer media type for a compression, used for layers we write ourselves. */
export function ociLayerType(c: LayerCompression): string {
  return c === "gzip" ? MediaType.OciLayerGzip : c === "zstd" ? MediaType.OciLayerZstd : MediaType.OciLayer;
}

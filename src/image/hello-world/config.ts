// The OCI image config skeleton of the built-in hello-world image. The store
// builds the one-file layer (/hello = helloWorldProgram(arch)) and fills in
// rootfs.diff_ids. A fixed creation time keeps the image ID identical across
// berth builds and machines.
import type { ImageConfig } from "../config.ts";
import type { HelloWorldArch } from "./program.ts";

export const HELLO_WORLD_CREATED = "2025-01-01T00:00:00Z";
export const HELLO_WORLD_PATH = "/hello";
const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function helloWorldImageConfig(arch: HelloWorldArch): ImageConfig {
  return {
    architecture: arch,
    os: "linux",
    ...(arch === "arm64" ? { variant: "v8" } : {}),
    created: HELLO_WORLD_CREATED,
    config: {
      Env: [DEFAULT_PATH],
      Cmd: [HELLO_WORLD_PATH],
      WorkingDir: "/",
    },
    rootfs: { type: "layers", diff_ids: [] },
    history: [
      {
        created: HELLO_WORLD_CREATED,
        created_by: `COPY hello ${HELLO_WORLD_PATH} # berth built-in hello-world program`,
      },
      {
        created: HELLO_WORLD_CREATED,
        created_by: `CMD ["${HELLO_WORLD_PATH}"]`,
        empty_layer: true,
      },
    ],
  };
}

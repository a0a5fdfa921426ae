// Built-in images seeded into a fresh store: hello-world:latest for the
// host's architecture (/hello from src/image/hello-world, Cmd ["/hello"]).
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";
import { helloWorldProgram, helloWorldImageConfig, HELLO_WORLD_CREATED, type HelloWorldArch } from "./hello-world/program.ts";
import { streamedLayer } from "./model.ts";
import { hostPlatform } from "./platform.ts";
import { withWriteSession } from "./session.ts";
import { storeImage } from "./write/write-image.ts";
import { newTarHeaderEncoder } from "./archive/tar-out.ts";

export const HELLO_WORLD_TAG = "docker.io/library/hello-world:latest";

/** The one-file layer: `hello`, mode 0755, with a fixed mtime so the digest never changes. */
export function helloWorldLayer(arch: HelloWorldArch): Uint8Array {
  const program = helloWorldProgram(arch);
  const tar = newTarHeaderEncoder();
  const mtime = Date.parse(HELLO_WORLD_CREATED) / 1000;
  return Buffer.concat([
    tar.header({ path: "hello", type: "file", mode: 0o755, uid: 0, gid: 0, size: program.byteLength, mtime }),
    program,
    tar.padding(program.byteLength),
    tar.end(),
  ]);
}

export async function seedHelloWorld(store: Store, arch?: HelloWorldArch): Promise<Digest | undefined> {
  const host = hostPlatform().architecture;
  const a = arch ?? (host === "amd64" || host === "arm64" ? host : undefined);
  if (!a) return undefined; // no program for this architecture
  const base = helloWorldImageConfig(a);
  const layer = helloWorldLayer(a);
  const image = { config: base, layers: [streamedLayer((async function* () { yield layer; })())] };
  return withWriteSession(store, (s) => storeImage(s, image, [{ name: HELLO_WORLD_TAG, kind: "tag" }]));
}

/** Seeds a store once in its life: an image the user removed is not seeded again. */
export async function seedBuiltinImages(store: Store): Promise<void> {
  if (store.meta("seeded")) return;
  await seedHelloWorld(store);
  store.setMeta("seeded", String(Date.now()));
}

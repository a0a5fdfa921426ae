// `berth __apply`: applies layers for the daemon, one at a time, in a process
// of the executable's own (protocol.ts). The daemon runs every layer it writes
// (pull, load, import, commit, seed) here, not on a thread of its own: the
// decompressor, the tar walker, the hashing and the JIT's work on them never
// touch the daemon's pages, which an idle daemon would otherwise keep. A
// process that failed a layer exits; one that did not waits for the next.
import { closeSync, openSync, writeSync } from "node:fs";
import { applyLayer } from "../apply.ts";
import { withFollowedFile } from "../source.ts";
import { FrameReader, type ChildReply, type ChildStart } from "./protocol.ts";

/** Never iterated: applyLayer reads a followed file by its descriptor. */
async function* unread(): AsyncGenerator<Uint8Array> {
  throw new Error("a followed layer file is read by descriptor");
}

/** Whether a layer's E frame has been read. */
interface LayerEnd {
  seen: boolean;
}

/** The frames of one layer's source up to its E: D frames' bytes, or L frames' lengths. */
async function* frames(input: FrameReader, kind: "D" | "L", end: LayerEnd): AsyncGenerator<Uint8Array | number> {
  for (;;) {
    const line = await input.line();
    if (line === undefined) throw new Error("the daemon went away before the layer's end");
    if (line === "E") {
      end.seen = true;
      return;
    }
    const n = Number(line.slice(2));
    if (line[0] !== kind || line[1] !== " " || !Number.isSafeInteger(n) || n < 0) throw new Error(`unexpected frame from the daemon: ${JSON.stringify(line.slice(0, 40))}`);
    if (kind === "L") yield n;
    else yield* input.bytes(n);
  }
}

async function applyOne(input: FrameReader, start: ChildStart): Promise<ChildReply> {
  const fd = start.file ? openSync(start.file, "r") : undefined;
  const end: LayerEnd = { seen: false };
  try {
    const source = fd !== undefined
      ? withFollowedFile(unread(), { fd, size: start.opts.blobSize, lengths: () => frames(input, "L", end) as AsyncGenerator<number>, close: async () => {} })
      : (frames(input, "D", end) as AsyncGenerator<Uint8Array>);
    const result = await applyLayer(source, start.target, start.opts);
    // The applier reads its source to the end (the blob's digest covers every byte): a frame left
    // would be read as the next layer's. tests/layer/apply-process.test.ts holds it to that.
    if (!end.seen) throw new Error("the applier stopped before the layer's end");
    return { result };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export async function applyMain(): Promise<void> {
  const input = new FrameReader(Bun.stdin.stream().getReader());
  // The hash thread's start is awaited through Atomics.waitAsync, which holds no event-loop
  // reference: this timer keeps the process up until stdin ends.
  const alive = setInterval(() => {}, 1 << 30);
  for (;;) {
    const line = await input.line();
    if (line === undefined) break; // the daemon is done with this process
    let reply: ChildReply;
    try {
      if (!line.startsWith("S ")) throw new Error(`unexpected frame from the daemon: ${JSON.stringify(line.slice(0, 40))}`);
      reply = await applyOne(input, JSON.parse(line.slice(2)) as ChildStart);
    } catch (e) {
      reply = { error: { name: (e as Error)?.name ?? "Error", message: String((e as Error)?.message ?? e) } };
    }
    writeSync(1, JSON.stringify(reply) + "\n");
    // After a failure the rest of that layer's frames may still come: this process is not used again.
    if ("error" in reply) process.exit(1);
  }
  clearInterval(alive);
  process.exit(0);
}

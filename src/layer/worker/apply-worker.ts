// Worker entry: applies layers, one at a time, with the ordinary applier, their
// bytes fed by the thread that owns the source. Runs on its own thread so that
// the file system calls of several layers (and the daemon's event loop) do not
// queue behind each other; kept for the next layer while the pool wants it.
import { applyLayer } from "../apply.ts";
import { followedChunks } from "../source.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

declare const self: Worker;

const queue: Uint8Array[] = [];
let ended = false;
let aborted: string | undefined;
let wake: (() => void) | undefined;
/** How far the followed file is written. */
let written = 0;
const post = (m: FromWorker) => self.postMessage(m);

/** Where a followed file is read into: the applier is done with each chunk before it asks for the next. */
let readBuffer: Uint8Array | undefined;
const READ_SIZE = 1 << 20;

/** How far the followed file is written, as the owner tells it. */
async function* lengths(): AsyncGenerator<number> {
  let told = 0;
  for (;;) {
    if (aborted !== undefined) throw new Error(aborted);
    if (told < written) {
      told = written;
      yield told;
      continue;
    }
    if (ended) return;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
}

async function* source(): AsyncGenerator<Uint8Array> {
  for (;;) {
    if (aborted !== undefined) throw new Error(aborted);
    const chunk = queue.shift();
    if (chunk) {
      post({ kind: "ack" });
      yield chunk;
      continue;
    }
    if (ended) return;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  switch (m.kind) {
    case "start":
      queue.length = 0;
      ended = false;
      aborted = undefined;
      written = 0;
      applyLayer(m.fd === undefined ? source() : followedChunks(m.fd, lengths(), (readBuffer ??= new Uint8Array(READ_SIZE))), m.target, m.opts).then(
        (result) => post({ kind: "done", result }),
        (e) => post({ kind: "error", name: (e as Error)?.name ?? "Error", message: String((e as Error)?.message ?? e) }),
      );
      return;
    case "chunk":
      queue.push(m.data);
      break;
    case "grew":
      written = m.to;
      break;
    case "end":
      ended = true;
      break;
    case "abort":
      aborted = m.message;
      break;
  }
  wake?.();
};

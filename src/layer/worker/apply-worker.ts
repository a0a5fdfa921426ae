// Worker entry: applies layers, one at a time, with the ordinary applier, their
// bytes fed by the thread that owns the source. Runs on its own thread so that
// the file system calls of several layers (and the daemon's event loop) do not
// queue behind each other; kept for the next layer while the pool wants it.
import { applyLayer } from "../apply.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

declare const self: Worker;

const queue: Uint8Array[] = [];
let ended = false;
let aborted: string | undefined;
let wake: (() => void) | undefined;
const post = (m: FromWorker) => self.postMessage(m);

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
      applyLayer(source(), m.target, m.opts).then(
        (result) => post({ kind: "done", result }),
        (e) => post({ kind: "error", name: (e as Error)?.name ?? "Error", message: String((e as Error)?.message ?? e) }),
      );
      return;
    case "chunk":
      queue.push(m.data);
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

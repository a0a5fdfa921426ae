// Streamed JSON progress (pull, push) the way dockerd answers: headers go out
// with the first message, so a failure before it (unknown image, bad
// credentials) is still an HTTP error with its status; a failure after it is
// an {"error": …} line in the stream.
import { BerthError } from "../errors.ts";
import type { ProgressMessage } from "../shared/json-message.ts";

export type Emit = (m: ProgressMessage) => void;

export async function progressResponse(run: (emit: Emit) => Promise<void>): Promise<Response> {
  const enc = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let started = false;
  let closed = false;
  let markStarted!: () => void;
  const firstMessage = new Promise<void>((resolve) => (markStarted = resolve));
  const body = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: () => void (closed = true),
  });
  const emit: Emit = (m) => {
    if (closed) return;
    controller.enqueue(enc.encode(JSON.stringify(m) + "\n"));
    if (!started) {
      started = true;
      markStarted();
    }
  };
  const finish = () => {
    if (!closed) controller.close();
    closed = true;
  };
  const done = run(emit).then(finish, (e) => {
    if (!started) throw e;
    const message = e instanceof BerthError || e instanceof Error ? e.message : String(e);
    emit({ errorDetail: { message }, error: message });
    finish();
  });
  await Promise.race([firstMessage, done]);
  return new Response(body, { status: 200, headers: { "Content-Type": "application/json" } });
}

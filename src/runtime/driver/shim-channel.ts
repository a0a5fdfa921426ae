// A group shim's report: one stdout for all its containers, each line "TAG LINE"
// (see src/runtime/shim/group.ts), handed to the start that sent TAG.
import { readLines } from "./line-reader.ts";

/** The lines of one tag, in order; they end with the shim's stdout or when closed. */
class Inbox {
  private queue: string[] = [];
  private wake?: () => void;
  private ended = false;

  push(line: string): void {
    this.queue.push(line);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *lines(): AsyncGenerator<string> {
    for (;;) {
      if (this.queue.length) {
        yield this.queue.shift()!;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

export class ShimChannel {
  private inboxes = new Map<string, Inbox>();
  private ended = false;

  constructor(stdout: NodeJS.ReadableStream) {
    void this.pump(stdout);
  }

  private async pump(stdout: NodeJS.ReadableStream): Promise<void> {
    try {
      for await (const line of readLines(stdout)) {
        const sp = line.indexOf(" ");
        this.inboxes.get(sp < 0 ? line : line.slice(0, sp))?.push(sp < 0 ? "" : line.slice(sp + 1));
      }
    } catch {
      // A read error is the pipe's end: the shim is gone, as at EOF.
    }
    this.ended = true;
    for (const inbox of this.inboxes.values()) inbox.end();
  }

  /** Opens TAG's lines (before TAG is sent, so that none is missed); `close` when done with them. */
  open(tag: string): { lines: AsyncGenerator<string>; close: () => void } {
    const inbox = new Inbox();
    if (this.ended) inbox.end();
    this.inboxes.set(tag, inbox);
    return {
      lines: inbox.lines(),
      close: () => {
        inbox.end();
        this.inboxes.delete(tag);
      },
    };
  }
}

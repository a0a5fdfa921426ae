// Stages build at the same time, but the classic builder's text is one
// sequence of steps: each stage's text is held back until every stage before
// it has finished, so the output reads as a sequential build's would. The
// earliest unfinished stage streams as it goes. Held text goes out with the
// time it was written, so that a client drawing the steps' times (berth build on
// a terminal) can show how long a step of a concurrent stage really took.
import type { BuildOutput } from "./builder.ts";

export class StageOutputs {
  private held: { text: string; at: number }[][];
  private finished: boolean[];
  /** The stage whose text goes out as it comes. */
  private live = 0;

  constructor(private out: BuildOutput, count: number) {
    this.held = Array.from({ length: count }, () => []);
    this.finished = Array.from({ length: count }, () => false);
  }

  /** What stage `i` (its place among the built stages) writes. */
  writer(i: number): (text: string) => void {
    return (text) => {
      if (i === this.live) this.out.stream(text);
      else this.held[i]!.push({ text, at: Date.now() });
    };
  }

  /** Stage `i` wrote its last: the next stages' held text goes out, up to one still building. */
  finish(i: number): void {
    this.finished[i] = true;
    while (this.live < this.held.length && this.finished[this.live]) {
      this.live++;
      this.flush(this.live);
    }
  }

  /** The build stopped: whatever is held goes out, in stage order. */
  flushAll(): void {
    for (let i = this.live; i < this.held.length; i++) this.flush(i);
    this.live = this.held.length;
  }

  private flush(i: number): void {
    const texts = this.held[i];
    if (!texts?.length) return;
    this.held[i] = [];
    for (const { text, at } of texts) this.out.stream(text, at);
  }
}

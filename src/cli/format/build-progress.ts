// `berth build`'s progress on a terminal, drawn from the classic builder's
// step messages: one line per step with its state (cached, running, done,
// failed) and time, the running step's last lines of output under it, and a
// summary at the end. The block is redrawn in place; anything that is not a
// step's (warnings, "Successfully tagged") is printed after it. A step ends
// with its last message (" ---> ID"), at the time that message was written:
// a concurrent stage's text reaches the client late, in one burst.

const ESC = "\x1b[";
/** Output lines shown under the running step. */
const TAIL = 5;

interface Step {
  label: string;
  state: "running" | "cached" | "done" | "failed";
  started: number;
  /** When its latest message was written. */
  last: number;
  ended?: number;
  output: string[];
}

export class BuildProgress {
  private steps: Step[] = [];
  private trailer: string[] = [];
  private partial = "";
  private drawn = 0;
  private started = Date.now();
  private timer: ReturnType<typeof setInterval>;

  constructor(private write: (text: string) => void, private columns: number, private now: () => number = Date.now) {
    this.started = now();
    // The running step's clock moves even when it prints nothing.
    this.timer = setInterval(() => this.draw(), 250);
  }

  /** One `stream` message's text (lines may arrive in pieces), and when it was written if that was before now. */
  add(text: string, writtenAt?: number): void {
    const at = writtenAt ?? this.now();
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line, at);
    this.draw();
  }

  /** The end: the last step closed (failed when `error` is set), the summary and what followed drawn. */
  finish(error?: string): void {
    this.stop();
    if (this.partial) this.line(this.partial, this.now());
    this.partial = "";
    const last = this.current();
    if (last) this.close(last, error ? "failed" : "done", error ? this.now() : last.last);
    const cached = this.steps.filter((s) => s.state === "cached").length;
    const seconds = ((this.now() - this.started) / 1000).toFixed(1);
    const summary = error
      ? `Build failed after ${seconds}s at step ${this.steps.length}`
      : `Built in ${seconds}s: ${this.steps.length} step${this.steps.length === 1 ? "" : "s"}, ${cached} cached`;
    this.draw([summary, ...this.trailer]);
  }

  /** Stops the clock's redraws (an interrupted stream never reaches finish). */
  stop(): void {
    clearInterval(this.timer);
  }

  private current(): Step | undefined {
    const s = this.steps[this.steps.length - 1];
    return s?.state === "running" ? s : undefined;
  }

  private close(s: Step, state: Step["state"], at: number): void {
    if (s.state !== "running") return;
    s.state = state;
    s.ended = Math.max(at, s.started);
  }

  private line(line: string, at: number): void {
    const step = /^Step (\d+\/\d+) : (.*)$/.exec(line);
    if (step) {
      const prev = this.current();
      if (prev) this.close(prev, "done", prev.last);
      this.steps.push({ label: `[${step[1]}] ${step[2]}`, state: "running", started: at, last: at, output: [] });
      return;
    }
    const s = this.current();
    if (/^Successfully (built|tagged) |^\[Warning\] /.test(line)) {
      // The build's own closing words: the last step is over.
      if (s) this.close(s, "done", s.last);
      this.trailer.push(line);
      return;
    }
    if (s) s.last = at;
    if (s && line === " ---> Using cache") return this.close(s, "cached", at);
    if (/^ ---> |^Removing intermediate container /.test(line)) return;
    if (s) s.output.push(line);
    else this.trailer.push(line);
  }

  /** Redraws the block: the steps, the running one's tail, then `after` (which stays below). */
  private draw(after: string[] = []): void {
    const fit = (t: string) => (t.length > this.columns - 1 ? t.slice(0, this.columns - 2) + "…" : t);
    const rows: string[] = [];
    for (const s of this.steps) {
      const secs = `${(((s.ended ?? this.now()) - s.started) / 1000).toFixed(1)}s`;
      const state = s.state === "cached" ? "CACHED" : s.state === "running" ? secs : s.state === "failed" ? `FAILED ${secs}` : `DONE ${secs}`;
      const room = Math.max(10, this.columns - state.length - 2);
      const label = s.label.length > room ? s.label.slice(0, room - 1) + "…" : s.label;
      rows.push(`${label.padEnd(room)} ${state}`);
      if (s.state === "running" || s.state === "failed") for (const o of s.output.slice(-TAIL)) rows.push(fit(` > ${o.replace(/\r/g, "")}`));
    }
    let out = this.drawn ? `${ESC}${this.drawn}A\r` : "";
    for (const r of rows) out += `${ESC}2K${r}\n`;
    out += `${ESC}0J`;
    this.drawn = rows.length;
    for (const a of after) out += `${a}\n`;
    this.write(out);
  }
}

// Several containers' output, line by line, each line behind its container's
// name ("web-1  | hello"), coloured on a terminal as compose does. A
// hook's output comes behind "<container> ->" in its container's colour; as
// in compose, a name first seen widens every prefix printed after it.
import type { Client } from "../../../client/client.ts";
import { demuxer } from "../../../client/hijack.ts";
import { paced, stderr, stdout, type Output } from "../../stdio.ts";

const encoder = new TextEncoder();
const watchName = "#watch";
const colours = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export interface LogPrinter {
  follow(id: string, name: string, query: Record<string, unknown>): Promise<void>;
  /**
   * An attached container's streams (an attach answer) until they end; its stderr
   * lines go to stderr, as compose's attached up prints them (its logs do not).
   */
  attached(res: Response, tty: boolean, name: string): Promise<void>;
  /** One line behind a name (a hook's "web-1 ->"). */
  line(name: string, text: string): void;
  /** A status line after a name, in its colour ("web-1 exited with code 0"). */
  status(name: string, text: string): void;
  /** A line of compose's watch, behind its ⦿ mark where lines have prefixes. */
  watch(text: string): void;
  /** Prints no more output (compose's up after Ctrl+C); the streams are still read to their end. */
  silence(): void;
}

/** A feeder that hands on whole lines (a last partial one at `end`). */
export function lineSplitter(onLine: (line: string) => void): { feed(b: Uint8Array): void; end(): void } {
  const dec = new TextDecoder();
  let partial = "";
  return {
    feed(b) {
      const lines = (partial + dec.decode(b, { stream: true })).split("\n");
      partial = lines.pop()!;
      for (const l of lines) onLine(l.replace(/\r$/, ""));
    },
    end() {
      if (partial) onLine(partial);
      partial = "";
    },
  };
}

/** Now as Go's RFC3339NanoFixed in local time, as compose up --timestamps stamps each line it prints. */
export function localStamp(d = new Date()): string {
  const offset = -d.getTimezoneOffset();
  const two = (n: number) => String(n).padStart(2, "0");
  const local = new Date(d.getTime() + offset * 60_000).toISOString().slice(0, 23);
  const zone = offset === 0 ? "Z" : `${offset > 0 ? "+" : "-"}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
  return `${local}000000${zone}`;
}

export function logPrinter(client: Client, names: string[], opts: { colour: boolean; prefix: boolean; timestamps?: boolean }): LogPrinter {
  const colourOf = new Map<string, number>();
  let width = 0;
  const register = (name: string) => {
    if (colourOf.has(name)) return;
    // "x ->" takes x's colour, as compose's presenters do.
    const parent = name.split(" ")[0]!;
    if (parent !== name) register(parent);
    colourOf.set(name, colourOf.get(parent) ?? colours[colourOf.size % colours.length]!);
    width = Math.max(width, name.length);
  };
  for (const n of names) register(n);
  const head = (name: string) => {
    register(name);
    const stamp = opts.timestamps ? `${localStamp()} ` : "";
    if (!opts.prefix) return stamp;
    return (opts.colour ? `\x1b[${colourOf.get(name)}m${name.padEnd(width)}  |\x1b[0m ` : `${name.padEnd(width)}  | `) + stamp;
  };
  let silent = false;
  const write = (to: Output, text: string) => {
    if (!silent && text) to.write(encoder.encode(text));
  };
  /** Prints a stream's lines; stderr's to `errTo`. */
  async function print(res: Response, tty: boolean, name: string, errTo: Output): Promise<void> {
    // A chunk's lines go out in one write, as bytes: those block on a full pipe, so a log is read no faster than it is printed.
    let out = "";
    let err = "";
    const outLines = lineSplitter((l) => (out += `${head(name)}${l}\n`));
    const errLines = errTo === stdout ? outLines : lineSplitter((l) => (err += `${head(name)}${l}\n`));
    const feed = tty ? outLines.feed : demuxer(outLines.feed, errLines.feed);
    const flush = () => {
      write(stdout, out);
      write(errTo, err);
      out = err = "";
    };
    // paced: with text queued before (Attaching to, an exit), bytes queue too; a stalled reader then holds the stream.
    for await (const chunk of paced(res.body!)) {
      feed(chunk);
      flush();
    }
    outLines.end();
    errLines.end();
    flush();
  }
  return {
    line: (name, text) => write(stdout, `${head(name)}${text}\n`),
    status(name, text) {
      register(name);
      // compose clears the terminal's line first (a menu or a partial line may be on it).
      const line = `${stdout.isTTY ? "\r\x1b[K" : ""}${name} ${text}`;
      write(stdout, opts.colour ? `\x1b[${colourOf.get(name)}m${line}\x1b[0m\n` : `${line}\n`);
    },
    watch(text) {
      // compose's watch logger is a name too ("#watch"): it widens the prefixes, and its mark lines up with their bars.
      if (!colourOf.has(watchName)) {
        colourOf.set(watchName, 92);
        width = Math.max(width, watchName.length);
      }
      const stamp = opts.timestamps ? `${localStamp()} ` : "";
      const mark = opts.prefix ? `${" ".repeat(width + 1)} ⦿ ` : "";
      write(stdout, `${opts.colour && mark ? `\x1b[92m${mark}\x1b[0m` : mark}${stamp}${text}\n`);
    },
    silence: () => void (silent = true),
    attached: (res, tty, name) => print(res, tty, name, stderr),
    async follow(id, name, query) {
      const info = await client.json("GET", `/containers/${id}/json`);
      const res = await client.request("GET", `/containers/${id}/logs`, { query: { stdout: true, stderr: true, ...query } });
      await print(res, !!info.Config.Tty, name, stdout);
    },
  };
}

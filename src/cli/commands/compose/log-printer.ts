// Several containers' output, line by line, each line behind its container's
// name ("web-1  | hello"), coloured on a terminal as compose does. A
// hook's output comes behind "<container> ->" in its container's colour; as
// in compose, a name first seen widens every prefix printed after it.
import type { Client } from "../../../client/client.ts";
import { demuxer } from "../../../client/hijack.ts";
import { stdout } from "../../stdio.ts";

const encoder = new TextEncoder();
const colours = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export interface LogPrinter {
  follow(id: string, name: string, query: Record<string, unknown>): Promise<void>;
  /** One line behind a name (a hook's "web-1 ->"). */
  line(name: string, text: string): void;
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

export function logPrinter(client: Client, names: string[], opts: { colour: boolean; prefix: boolean }): LogPrinter {
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
    if (!opts.prefix) return "";
    return opts.colour ? `\x1b[${colourOf.get(name)}m${name.padEnd(width)}  |\x1b[0m ` : `${name.padEnd(width)}  | `;
  };
  return {
    line: (name, text) => void stdout.write(encoder.encode(`${head(name)}${text}\n`)),
    async follow(id, name, query) {
      const info = await client.json("GET", `/containers/${id}/json`);
      const res = await client.request("GET", `/containers/${id}/logs`, { query: { stdout: true, stderr: true, ...query } });
      // A chunk's lines go out in one write, as bytes: those block on a full pipe (text is queued), so a log is read no faster than it is printed.
      let out = "";
      const lines = lineSplitter((l) => (out += `${head(name)}${l}\n`));
      const feed = info.Config.Tty ? lines.feed : demuxer(lines.feed, lines.feed);
      const flush = () => {
        if (out) stdout.write(encoder.encode(out));
        out = "";
      };
      for await (const chunk of res.body!) {
        feed(chunk);
        flush();
      }
      lines.end();
      flush();
    },
  };
}

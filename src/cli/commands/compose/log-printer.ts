// Several containers' output, line by line, each line behind its container's
// name ("proj-web-1  | hello"), coloured on a terminal as compose does.
import type { Client } from "../../../client/client.ts";
import { demuxer } from "../../../client/hijack.ts";
import { stdout } from "../../stdio.ts";

const colours = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export interface LogPrinter {
  follow(id: string, name: string, query: Record<string, unknown>): Promise<void>;
}

export function logPrinter(client: Client, names: string[], opts: { colour: boolean; prefix: boolean }): LogPrinter {
  const width = Math.max(0, ...names.map((n) => n.length));
  let next = 0;
  return {
    async follow(id, name, query) {
      const colour = colours[next++ % colours.length];
      const head = !opts.prefix ? "" : opts.colour ? `\x1b[${colour}m${name.padEnd(width)}  |\x1b[0m ` : `${name.padEnd(width)}  | `;
      const info = await client.json("GET", `/containers/${id}/json`);
      const res = await client.request("GET", `/containers/${id}/logs`, { query: { stdout: true, stderr: true, ...query } });
      const partial = { text: "" };
      const dec = new TextDecoder();
      const onText = (b: Uint8Array) => {
        const text = partial.text + dec.decode(b, { stream: true });
        const lines = text.split("\n");
        partial.text = lines.pop()!;
        if (lines.length) stdout.write(lines.map((l) => `${head}${l.replace(/\r$/, "")}\n`).join(""));
      };
      const feed = info.Config.Tty ? onText : demuxer(onText, onText);
      for await (const chunk of res.body!) feed(chunk);
      if (partial.text) stdout.write(`${head}${partial.text}\n`);
    },
  };
}

// A group shim's one stdout, split by tag: each start reads its own lines, in order; a tag
// nobody opened is dropped; the pipe's end ends every reader.
import { expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { ShimChannel } from "../../src/runtime/driver/shim-channel.ts";

async function collect(lines: AsyncGenerator<string>, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const next = await lines.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

test("lines go to their tag's reader, in order, across chunks; the end ends them all", async () => {
  const pipe = new PassThrough();
  const ch = new ShimChannel(pipe);
  const a = ch.open("1");
  const b = ch.open("2");
  pipe.write("1 listening\n2 list");
  pipe.write("ening\n9 stray\n1 started 42\n2 failed {\"code\":125}\n1 exi");
  pipe.end("ted\n");
  expect(await collect(a.lines, 5)).toEqual(["listening", "started 42", "exited"]);
  expect(await collect(b.lines, 5)).toEqual(["listening", 'failed {"code":125}']);
  // Opened after the end: nothing comes.
  expect(await collect(ch.open("3").lines, 1)).toEqual([]);
});

test("a closed reader ends, and later lines of its tag are dropped", async () => {
  const pipe = new PassThrough();
  const ch = new ShimChannel(pipe);
  const a = ch.open("1");
  pipe.write("1 listening\n");
  expect(await collect(a.lines, 1)).toEqual(["listening"]);
  a.close();
  pipe.write("1 exited\n");
  expect(await collect(a.lines, 1)).toEqual([]);
  pipe.end();
});

// pull and push output as the docker CLI draws it: on a terminal each layer's
// line is redrawn in place with a bar once the terminal is wider than 110
// columns; elsewhere byte counts are left out.
import { expect, test } from "bun:test";
import { displayJsonMessages, type JsonMessage } from "../../src/cli/format/json-messages.ts";

async function render(messages: JsonMessage[], terminal: boolean, columns = 120): Promise<string> {
  let out = "";
  async function* feed() {
    yield* messages;
  }
  await displayJsonMessages(feed(), { write: (t) => (out += t), terminal, columns });
  return out;
}

const pull: JsonMessage[] = [
  { status: "Pulling from library/busybox", id: "latest" },
  { status: "Pulling fs layer", progressDetail: {}, id: "a1b2c3d4e5f6" },
  { status: "Downloading", progressDetail: { current: 11_500_000, total: 54_800_000 }, progress: "[==========>      ]  11.5MB/54.8MB", id: "a1b2c3d4e5f6" },
  { status: "Pull complete", progressDetail: {}, id: "a1b2c3d4e5f6" },
  { status: "Digest: sha256:0123" },
];

test("a terminal gets docker's bar, drawn in place on the layer's line", async () => {
  const out = await render(pull, true);
  expect(out).toContain("\x1b[2K\ra1b2c3d4e5f6: Downloading [==========>                                        ]   11.5MB/54.8MB\r");
  // The layer's line is reached by moving up to it and back down after.
  expect(out).toContain("\x1b[1A");
  expect(out).toContain("a1b2c3d4e5f6: Pull complete");
  expect(out.endsWith("Digest: sha256:0123\n")).toBe(true);
});

test("a narrow terminal gets the numbers only, as docker's does", async () => {
  const out = await render(pull, true, 100);
  expect(out).toContain("a1b2c3d4e5f6: Downloading   11.5MB/54.8MB\r");
  expect(out).not.toContain("[=");
});

test("a pipe gets one plain line per status, without byte counts", async () => {
  expect(await render(pull, false)).toBe("latest: Pulling from library/busybox\na1b2c3d4e5f6: Pulling fs layer\na1b2c3d4e5f6: Pull complete\nDigest: sha256:0123\n");
});

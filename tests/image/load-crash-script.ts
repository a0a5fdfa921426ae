// Child process for the kill -9 test: loads an archive slowly (small chunks
// with pauses) so the parent can kill it mid-load.
import { openStore } from "../../src/store/index.ts";
import { loadArchive } from "../../src/image/archive/load.ts";

const [storeDir, archive] = process.argv.slice(2) as [string, string];
const store = await openStore(storeDir);
async function* slow() {
  const bytes = new Uint8Array(await Bun.file(archive).arrayBuffer());
  for (let off = 0; off < bytes.length; off += 16 << 10) {
    yield bytes.subarray(off, off + (16 << 10));
    await Bun.sleep(4);
  }
}
console.log("started");
await loadArchive(store, slow());
console.log("done");

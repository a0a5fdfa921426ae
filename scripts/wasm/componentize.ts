// Wraps a core wasm module into a component: embeds the WIT world as the
// component-type custom section, then runs wit-component (both from
// @bytecodealliance/jco-transpile; `jco embed --wit` panics in jco 1.35).
// Usage: bun scripts/wasm/componentize.ts CORE.wasm WORLD.wit WORLD_NAME OUT.wasm
import { componentEmbed, componentNew } from "@bytecodealliance/jco-transpile/wasm-tools";

const [corePath, witPath, world, outPath] = process.argv.slice(2);
if (!corePath || !witPath || !world || !outPath) {
  console.error("usage: componentize.ts CORE.wasm WORLD.wit WORLD_NAME OUT.wasm");
  process.exit(2);
}
const binary = new Uint8Array(await Bun.file(corePath).arrayBuffer());
const witSource = await Bun.file(witPath).text();
const embedded = await componentEmbed({ binary, witSource, world, stringEncoding: "utf8" });
const component = await componentNew(embedded);
await Bun.write(outPath, component);

// Helper process for the detach test: starts the container of DIR (its config.json) with a
// runtime on EXEC_ROOT, prints "started", then waits to be killed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Runtime } from "../../src/runtime/index.ts";
import { berthCommand } from "./helpers.ts";

const [dir, execRoot] = process.argv.slice(2) as [string, string];
const runtime = new Runtime(execRoot, join(dir, ".."), { command: berthCommand });
await runtime.start(dir, JSON.parse(readFileSync(join(dir, "config.json"), "utf8")));
console.log("started");
setInterval(() => {}, 1000);

// Helper process for the detach test: starts a container, prints "started", then waits to be killed.
import { startContainer } from "../../src/runtime/index.ts";
import { berthCommand } from "./helpers.ts";

await startContainer(process.argv[2]!, { command: berthCommand });
console.log("started");
setInterval(() => {}, 1000);

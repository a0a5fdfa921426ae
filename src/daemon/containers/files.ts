// Files the engine writes or measures for a container.
import { existsSync, readFileSync } from "node:fs";

export function hostResolvConf(networkMode: string): string {
  if (networkMode === "host" && existsSync("/etc/resolv.conf")) {
    try {
      return readFileSync("/etc/resolv.conf", "utf8");
    } catch {
      // Unreadable: the container gets the defaults.
    }
  }
  // With no network of its own the container has no reachable resolver; keep the file valid.
  return "nameserver 127.0.0.1\noptions ndots:0\n";
}

export { duBytes } from "../disk-usage.ts";

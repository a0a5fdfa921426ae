// Node built-ins that take milliseconds to load. In the one bundled executable
// a top-level `import` of them runs when the process starts, whatever its role
// (CLI, daemon, shim, stage 2), and they added up to ~15 ms of every start.
// Code that needs one loads it here on first use; types come from `import type`.
/* eslint-disable @typescript-eslint/no-require-imports */
/** node:fs costs a CLI start ~3 ms of CPU and ~140 page faults (node:path ~50 more): the CLI loads it when it touches a file. */
export const nodeFs = (): typeof import("node:fs") => require("node:fs");
export const nodeNet = (): typeof import("node:net") => require("node:net");
export const nodeTls = (): typeof import("node:tls") => require("node:tls");
export const nodeHttp = (): typeof import("node:http") => require("node:http");
export const nodeHttps = (): typeof import("node:https") => require("node:https");
export const nodeZlib = (): typeof import("node:zlib") => require("node:zlib");
export const nodeCrypto = (): typeof import("node:crypto") => require("node:crypto");
export const nodeStream = (): typeof import("node:stream") => require("node:stream");
export const nodeTty = (): typeof import("node:tty") => require("node:tty");
export const nodeChildProcess = (): typeof import("node:child_process") => require("node:child_process");
export const nodeOs = (): typeof import("node:os") => require("node:os");

/** Hex of `n` random bytes (temporary file names). */
export function randomHex(n: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(n))).toString("hex");
}

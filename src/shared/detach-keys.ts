// Docker's detach keys, as the CLI and the daemon both read them: a sequence
// typed into an attached stdin that ends the attachment and leaves the
// container running. Written as Docker writes it:
// comma-separated keys, each one character or "ctrl-<a-z @ [ \ ] ^ _>".
import { InvalidParameterError } from "../errors.ts";

export const DEFAULT_DETACH_KEYS = [0x10, 0x11]; // ctrl-p, ctrl-q

function keyCode(key: string): number | undefined {
  if (key.length === 1) return key.charCodeAt(0);
  const m = /^ctrl-(.)$/.exec(key);
  if (!m) return undefined;
  const c = m[1]!;
  if (c >= "a" && c <= "z") return c.charCodeAt(0) - 0x60;
  const idx = "@[\\]^_".indexOf(c);
  return idx < 0 ? undefined : [0, 27, 28, 29, 30, 31][idx];
}

/** "ctrl-a,x" → [1, 120]; empty → the default. Docker's message for a bad one. */
export function parseDetachKeys(spec: string | undefined): number[] {
  if (!spec) return DEFAULT_DETACH_KEYS;
  const codes = spec.split(",").map(keyCode);
  if (codes.some((c) => c === undefined)) throw new InvalidParameterError(`Invalid detach keys (${spec}) provided`);
  return codes as number[];
}

/**
 * Watches a stdin stream for the sequence. Bytes that may begin it are held
 * back until it is known whether they do; the rest pass through.
 */
export class DetachMatcher {
  private held: number[] = [];

  constructor(private keys: number[]) {}

  /** What to forward from this chunk, and whether the sequence completed (then nothing after it counts). */
  push(chunk: Uint8Array): { forward: Uint8Array; detached: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.keys.length) return { forward: Uint8Array.from(out), detached: true };
        continue;
      }
      // Not the sequence after all: release what was held, and look at this byte afresh.
      out.push(...this.held);
      this.held = [];
      if (b === this.keys[0]) this.held.push(b);
      else out.push(b);
    }
    return { forward: Uint8Array.from(out), detached: false };
  }
}

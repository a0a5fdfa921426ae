// compose's yes/no questions, asked on stdout and answered by a line on stdin.
// On a terminal the question shows its default, which an empty answer takes;
// from a pipe compose reads one line and takes only y, 1, t or true for a yes
// (nothing to read, as with stdin closed, is a no).
import { readSync } from "node:fs";
import { flushed, isTerminal, stdout } from "../../stdio.ts";

/** One line of stdin, read synchronously (the command waits for the answer anyway); "" at its end. */
function readLine(): string {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, one, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      return ""; // no stdin to read: no answer
    }
    if (n === 0 || one[0] === 0x0a) break;
    bytes.push(one[0]!);
  }
  return Buffer.from(bytes).toString("utf8").trim().toLowerCase();
}

export async function confirm(message: string, defaultYes: boolean): Promise<boolean> {
  const tty = isTerminal(0);
  stdout.write(tty ? `? ${message} (${defaultYes ? "Y/n" : "y/N"}) ` : message);
  await flushed(); // the question is out before the read blocks
  const answer = readLine();
  if (tty) return answer ? answer === "y" || answer === "yes" : defaultYes;
  return ["y", "1", "t", "true"].includes(answer);
}

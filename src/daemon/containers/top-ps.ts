// `docker top CONTAINER ps-args`: dockerd runs the host's ps with those arguments and keeps the rows
// of the container's processes. ps is an optional host tool: without it, only top without
// arguments (berth's own reading of /proc) works.
import { InvalidParameterError, SystemError } from "../../errors.ts";
import type { TopResult } from "./inspect-fs.ts";

/** dockerd refuses a ps option that renames the PID column, which the rows are matched by. */
export function checkPsArgs(psArgs: string): void {
  for (const m of psArgs.matchAll(/\s+([^\s]*)=\s*(PID[^\s]*)/g)) {
    if (m[1] !== "pid") throw new InvalidParameterError(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

export async function topWithPs(pids: number[], psArgs: string): Promise<TopResult> {
  checkPsArgs(psArgs);
  const args = psArgs.split(" ");
  // Asking ps for the container's processes alone is cheaper; some options (f) refuse -q, so then all.
  let out = await ps([...args, "-q", pids.join(",")]);
  if (out === undefined) out = await ps(args);
  if (out === undefined) throw new SystemError(`Error running ps ${psArgs}: exit status 1`);
  return parsePsOutput(out, new Set(pids));
}

async function ps(args: string[]): Promise<string | undefined> {
  let proc;
  try {
    proc = Bun.spawn(["ps", ...args], { stdout: "pipe", stderr: "ignore", stdin: "ignore" });
  } catch {
    throw new SystemError(`Error running ps: exec: "ps": executable file not found in $PATH`);
  }
  const [text, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return code === 0 ? text : undefined;
}

/** ps's table cut by its PID column: the container's rows, and the thread lines (PID "-") under them; the last column keeps its spaces. */
export function parsePsOutput(text: string, pids: Set<number>): TopResult {
  const lines = text.split("\n");
  const titles = (lines[0] ?? "").trim().split(/\s+/);
  const pidAt = titles.indexOf("PID");
  if (pidAt < 0) throw new SystemError("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  let inContainer = false;
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const fields = line.trim().split(/\s+/);
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(" ")];
    if (fields[pidAt] === "-") {
      if (inContainer) processes.push(row);
      continue;
    }
    const pid = Number(fields[pidAt]);
    if (!Number.isInteger(pid)) throw new SystemError(`Unexpected pid '${fields[pidAt]}'`);
    inContainer = pids.has(pid);
    if (inContainer) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}

// Renders Docker's JSON message stream (pull, push, load) as the docker CLI
// does: on a terminal each layer keeps its own line, redrawn in place with a
// bar sized to the terminal; elsewhere one plain line per status, with byte
// counts left out.
import { progressBar, type ProgressDetail } from "../../shared/progress-bar.ts";

export interface JsonMessage {
  status?: string;
  stream?: string;
  id?: string;
  progress?: string;
  progressDetail?: ProgressDetail;
  error?: string;
  errorDetail?: { message?: string };
  aux?: unknown;
}

export interface DisplayOptions {
  write: (text: string) => void;
  terminal: boolean;
  /** Terminal width for the bar (docker draws the bar only above 110 columns). */
  columns?: number;
  onAux?: (aux: any) => void;
}

/** An error line of the stream: the CLI prints its message and exits 1. */
export class StreamError extends Error {}

const ESC = "\x1b[";

export async function displayJsonMessages(messages: AsyncIterable<JsonMessage>, opts: DisplayOptions): Promise<void> {
  const { write, terminal } = opts;
  let ids = new Map<string, number>();
  for await (const m of messages) {
    if (m.error || m.errorDetail?.message) throw new StreamError(m.errorDetail?.message || m.error!);
    if (m.aux !== undefined) {
      opts.onAux?.(m.aux);
      continue;
    }
    const hasProgress = m.progressDetail !== undefined && m.progressDetail !== null;
    let diff = 0;
    if (m.id && (hasProgress || m.progress)) {
      let line = ids.get(m.id);
      if (line === undefined) {
        line = ids.size;
        ids.set(m.id, line);
        if (terminal) write("\n");
      }
      diff = ids.size - line;
      if (terminal) write(`${ESC}${diff}A`);
    } else {
      // Anything that is not a layer line ends the block being redrawn.
      ids = new Map();
    }
    write(renderLine(m, hasProgress, terminal, opts.columns ?? 80));
    if (m.id && terminal && diff > 0) write(`${ESC}${diff}B`);
  }
}

function renderLine(m: JsonMessage, hasProgress: boolean, terminal: boolean, columns: number): string {
  let prefix = "";
  let endl = "";
  if (terminal && !m.stream && hasProgress) {
    prefix = `${ESC}2K\r`;
    endl = "\r";
  } else if (hasProgress && progressBar(m.progressDetail) !== "") {
    return ""; // byte counts only make sense redrawn in place
  }
  const id = m.id ? `${m.id}: ` : "";
  const status = m.status ?? "";
  if (hasProgress && terminal) return `${prefix}${id}${status} ${progressBar(m.progressDetail, columns)}${endl}`;
  if (m.progress) return `${prefix}${id}${status} ${m.progress}${endl}`;
  if (m.stream) return `${prefix}${id}${m.stream}${endl}`;
  return `${prefix}${id}${status}${endl}\n`;
}

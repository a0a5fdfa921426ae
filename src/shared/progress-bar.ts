// Docker's progress text for a JSON progress message (jsonmessage.JSONProgress):
// "[=====>        ]  1.25MB/3.4MB". The daemon sends it in `progress`, the CLI
// draws it from `progressDetail` on a terminal of its own width.
import { humanSize } from "./units.ts";

export interface ProgressDetail {
  current?: number;
  total?: number;
}

/** Empty when there is nothing to show (no bytes counted yet, or a bare status). */
export function progressBar(p: ProgressDetail | undefined, width = 200): string {
  const current = p?.current ?? 0;
  const total = p?.total ?? 0;
  if (current <= 0 && total <= 0) return "";
  if (total <= 0) return humanSize(current).padStart(8);
  const filled = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  // The bar needs room; narrow terminals get the numbers only, as docker does.
  const bar = width > 110 ? `[${"=".repeat(filled)}>${" ".repeat(Math.max(0, 50 - filled))}] ` : "";
  const numbers = current > total ? "" : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

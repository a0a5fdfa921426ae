// Go's text/tabwriter (elastic tabstops), as the docker CLI uses it for tables:
// tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) — minwidth 10, padding 3, spaces.
// Cells are tab-terminated; the last cell of a line is not part of a column; a
// line without tabs ends a column block, exactly as in Go.

export interface TabwriterOptions {
  minwidth: number;
  tabwidth: number;
  padding: number;
  padchar: string;
  alignRight?: boolean;
  discardEmptyColumns?: boolean;
}

/** The settings of docker's table formatter (cli/command/formatter). */
export const dockerTableOptions: TabwriterOptions = { minwidth: 10, tabwidth: 1, padding: 3, padchar: " " };

interface Cell {
  text: string;
  width: number; // in runes, like utf8.RuneCount
  htab: boolean; // terminated by a tab (not a newline or end)
}

const runeCount = (s: string) => {
  // UTF-16 length is the rune count unless there are surrogate pairs.
  if (!/[\ud800-\udfff]/.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Aligns tab-separated text the way Go's tabwriter does and returns it. */
export function tabwrite(text: string, opts: TabwriterOptions = dockerTableOptions): string {
  let out = "";
  let lines: Cell[][] = [[]];
  let cell = "";
  const terminateCell = (htab: boolean): number => {
    const line = lines[lines.length - 1]!;
    line.push({ text: cell, width: runeCount(cell), htab });
    cell = "";
    return line.length;
  };
  const flush = () => {
    out += formatLines(lines, opts);
    lines = [[]];
  };
  // A cell's text is sliced whole, up to the next control character.
  const control = /[\t\v\n\f]/g;
  let from = 0;
  for (let m = control.exec(text); m; m = control.exec(text)) {
    cell = text.slice(from, m.index);
    from = m.index + 1;
    const ch = m[0];
    if (ch === "\t" || ch === "\v") {
      terminateCell(ch === "\t");
    } else {
      const ncells = terminateCell(false);
      lines.push([]);
      if (ch === "\f" || ncells === 1) flush();
    }
  }
  cell = text.slice(from);
  if (cell.length > 0) terminateCell(false);
  flush();
  return out;
}

function formatLines(lines: Cell[][], opts: TabwriterOptions): string {
  let out = "";
  const widths: number[] = [];

  const writeLines = (line0: number, line1: number) => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      line.forEach((c, j) => {
        const w = j < widths.length ? widths[j]! : undefined;
        const padding = w === undefined ? "" : opts.padchar.repeat(Math.max(0, w - c.width));
        if (c.text.length === 0) out += padding;
        else out += opts.alignRight ? padding + c.text : c.text + padding;
      });
      // The last buffered line has no newline (the text did not end with one).
      if (i + 1 < lines.length) out += "\n";
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      // A cell exists in this column: lines line0..t-1 are complete; print them.
      writeLines(line0, t);
      line0 = t;
      // The column block: consecutive lines that have a cell in this column.
      let width = opts.minwidth;
      let discardable = true;
      for (; t < line1; t++) {
        const line = lines[t]!;
        if (column >= line.length - 1) break;
        const c = line[column]!;
        width = Math.max(width, c.width + opts.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && opts.discardEmptyColumns) width = 0;
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
      t--; // the for-loop's t++ must not skip line t
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out;
}

// Keys given twice in one mapping of a YAML text. Bun.YAML keeps the last of
// them silently; compose's YAML decoder refuses the file, naming each repeat
// and where the key was first given. Run on text that already parsed, so the
// scan only needs to tell keys from everything else: block mappings are told
// apart by their column, flow mappings by their braces; quoted scalars, block
// scalars and the continuation lines of a value are skipped.

export interface DuplicateKey {
  key: string;
  line: number;
  firstLine: number;
}

class Mapping {
  readonly seen = new Map<string, number[]>();
  constructor(readonly indent: number) {}
}

const isBlank = (c: string | undefined) => c === undefined || c === " " || c === "\t" || c === "\n" || c === "\r";

export function duplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const lineOf = (pos: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const colOf = (pos: number) => pos - lineStarts[lineOf(pos)]!;
  const note = (m: Mapping, key: string, pos: number) => {
    const line = lineOf(pos) + 1;
    const earlier = m.seen.get(key);
    if (earlier) for (const first of earlier) found.push({ key, line, firstLine: first });
    m.seen.set(key, [...(earlier ?? []), line]);
  };

  /** The position after a quoted scalar that opens at `p` (it may run over several lines), and its value. */
  const quoted = (p: number): [number, string] => {
    const q = text[p]!;
    let value = "";
    let i = p + 1;
    while (i < text.length) {
      const c = text[i]!;
      if (q === "'" && c === "'") {
        if (text[i + 1] === "'") {
          value += "'";
          i += 2;
          continue;
        }
        return [i + 1, value];
      }
      if (q === '"' && c === "\\") {
        value += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (q === '"' && c === '"') {
        try {
          return [i + 1, JSON.parse(`"${value}"`) as string];
        } catch {
          return [i + 1, value]; // a YAML escape JSON lacks: compared as written
        }
      }
      value += c;
      i++;
    }
    return [i, value];
  };

  /** The position after a flow collection that opens at `p`; the keys of its mappings noted. */
  const flow = (p: number): number => {
    const stack: { map: Mapping | null; expectKey: boolean }[] = [];
    let i = p;
    while (i < text.length) {
      const c = text[i]!;
      if (c === "{" || c === "[") {
        stack.push({ map: c === "{" ? new Mapping(-1) : null, expectKey: c === "{" });
        i++;
      } else if (c === "}" || c === "]") {
        stack.pop();
        i++;
        if (!stack.length) return i;
      } else if (c === ",") {
        const top = stack.at(-1)!;
        top.expectKey = !!top.map;
        i++;
      } else if (isBlank(c)) {
        i++;
      } else if (c === "#" && isBlank(text[i - 1])) {
        while (i < text.length && text[i] !== "\n") i++;
      } else {
        const start = i;
        let value: string;
        if (c === '"' || c === "'") {
          [i, value] = quoted(i);
        } else {
          while (i < text.length && !",[]{}\n".includes(text[i]!) && !(text[i] === ":" && (isBlank(text[i + 1]) || ",[]{}".includes(text[i + 1]!))) && !(text[i] === "#" && isBlank(text[i - 1]))) i++;
          value = text.slice(start, i).trim();
        }
        let j = i;
        while (text[j] === " " || text[j] === "\t" || text[j] === "\n" || text[j] === "\r") j++;
        const top = stack.at(-1)!;
        const isKey = text[j] === ":";
        if (top.map && top.expectKey && (isKey || ",}".includes(text[j]!))) note(top.map, value, start);
        if (top.map) top.expectKey = false;
        if (isKey) i = j + 1;
      }
    }
    return i;
  };

  const blocks: Mapping[] = [];
  const close = (col: number) => {
    while (blocks.length && blocks.at(-1)!.indent > col) blocks.pop();
  };
  const blockKey = (key: string, pos: number) => {
    const col = colOf(pos);
    close(col);
    if (blocks.at(-1)?.indent !== col) blocks.push(new Mapping(col));
    note(blocks.at(-1)!, key, pos);
  };

  // Lines more indented than this belong to a value already read (a block scalar, a folded line).
  let skipDeeperThan = -1;
  let pos = 0;
  while (pos < text.length) {
    const lineEnd = text.indexOf("\n", pos) < 0 ? text.length : text.indexOf("\n", pos);
    let p = pos;
    while (text[p] === " ") p++;
    const blankLine = p >= lineEnd || text[p] === "\r" || text[p] === "#";
    if (blankLine || (skipDeeperThan >= 0 && p - pos > skipDeeperThan)) {
      pos = lineEnd + 1;
      continue;
    }
    skipDeeperThan = -1;
    if (p === pos && (text.startsWith("---", p) || text.startsWith("...", p)) && isBlank(text[p + 3])) {
      blocks.length = 0; // a new document
      pos = lineEnd + 1;
      continue;
    }
    if (p === pos && text[p] === "%") {
      pos = lineEnd + 1;
      continue;
    }
    let owner = p - pos; // the column of the node this line's value belongs to
    let next = lineEnd + 1;
    for (;;) {
      const c = text[p];
      if (c === "-" && isBlank(text[p + 1])) {
        owner = colOf(p);
        close(owner);
        p++;
        while (text[p] === " ") p++;
        if (p >= lineEnd || text[p] === "#" || text[p] === "\r") break;
        continue;
      }
      if ((c === "&" || c === "!") && p < lineEnd) {
        while (p < lineEnd && !isBlank(text[p])) p++;
        while (text[p] === " ") p++;
        if (p >= lineEnd || text[p] === "#" || text[p] === "\r") break;
        continue;
      }
      break;
    }
    if (p >= lineEnd || text[p] === "#" || text[p] === "\r" || text[p] === "?") {
      pos = next;
      continue;
    }
    // A key, or the node's value.
    let valueAt = -1;
    if (text[p] === '"' || text[p] === "'") {
      const [end, value] = quoted(p);
      let j = end;
      while (text[j] === " " || text[j] === "\t") j++;
      if (text[j] === ":" && isBlank(text[j + 1])) {
        blockKey(value, p);
        owner = colOf(p);
        valueAt = j + 1;
      } else {
        skipDeeperThan = owner;
        next = text.indexOf("\n", end) < 0 ? text.length : text.indexOf("\n", end) + 1;
      }
    } else if (text[p] === "{" || text[p] === "[") {
      const end = flow(p);
      skipDeeperThan = owner;
      next = text.indexOf("\n", end) < 0 ? text.length : text.indexOf("\n", end) + 1;
    } else if (text[p] === "|" || text[p] === ">") {
      skipDeeperThan = owner;
    } else {
      let j = p;
      while (j < lineEnd && !(text[j] === ":" && isBlank(text[j + 1])) && !(text[j] === "#" && isBlank(text[j - 1]))) j++;
      if (j < lineEnd && text[j] === ":") {
        blockKey(text.slice(p, j).trimEnd(), p);
        owner = colOf(p);
        valueAt = j + 1;
      } else {
        skipDeeperThan = owner;
      }
    }
    if (valueAt >= 0) {
      // What follows the key on its line: nothing (a nested block comes), or a value whose further lines are skipped.
      let v = valueAt;
      for (;;) {
        while (text[v] === " " || text[v] === "\t") v++;
        if ((text[v] === "&" || text[v] === "!") && v < lineEnd) {
          while (v < lineEnd && !isBlank(text[v])) v++;
          continue;
        }
        break;
      }
      if (v < lineEnd && text[v] !== "#" && text[v] !== "\r") {
        skipDeeperThan = owner;
        if (text[v] === '"' || text[v] === "'" || text[v] === "{" || text[v] === "[") {
          const end = text[v] === '"' || text[v] === "'" ? quoted(v)[0] : flow(v);
          next = text.indexOf("\n", end) < 0 ? text.length : text.indexOf("\n", end) + 1;
        }
      }
    }
    pos = Math.max(next, lineEnd + 1);
  }
  return found;
}

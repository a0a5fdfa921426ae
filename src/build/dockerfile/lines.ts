// A Dockerfile's text → its parser directives and one logical line per
// instruction: comments dropped, continuations joined, heredoc bodies read
// after the line that opens them. Nothing is expanded here.
import { DockerfileError } from "./errors.ts";

export interface Directives {
  escape: string;
  syntax?: string;
  check?: string;
}

export interface Heredoc {
  name: string;
  body: string;
  /** Unquoted names (`<<EOF`) have their variables expanded; quoted ones (`<<"EOF"`) do not. */
  expand: boolean;
}

export interface LogicalLine {
  /** Upper-cased instruction keyword. */
  keyword: string;
  /** Everything after the keyword, continuations joined, trimmed. */
  rest: string;
  /** The line the instruction starts on (1-based). */
  line: number;
  heredocs: Heredoc[];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const HEREDOC_KEYWORDS = new Set(["RUN", "COPY", "ADD"]);
/** `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` as a word of its own (not `<<<` or inside quotes of a shell command). */
const HEREDOC = /(?:^|\s)<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2(?=\s|$)/g;

export function readDirectives(lines: string[], file: string): { directives: Directives; consumed: number } {
  const directives: Directives = { escape: "\\" };
  const seen = new Set<string>();
  let n = 0;
  for (; n < lines.length; n++) {
    const m = DIRECTIVE.exec(lines[n]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (key !== "escape" && key !== "syntax" && key !== "check") break; // an ordinary comment ends them
    if (seen.has(key)) throw new DockerfileError(`only one ${key} parser directive can be used`, n + 1, file);
    seen.add(key);
    const value = m[2]!;
    if (key === "escape") {
      if (value !== "\\" && value !== "`") throw new DockerfileError(`invalid escape token '${value}' does not match \` or \\`, n + 1, file);
      directives.escape = value;
    } else directives[key] = value;
  }
  return { directives, consumed: n };
}

export function logicalLines(text: string, file = "Dockerfile"): { directives: Directives; lines: LogicalLine[] } {
  const raw = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const { directives, consumed } = readDirectives(raw, file);
  const esc = directives.escape;
  const continuation = new RegExp(`${esc === "\\" ? "\\\\" : "`"}[ \\t]*$`);
  const out: LogicalLine[] = [];
  let i = consumed;
  while (i < raw.length) {
    const first = raw[i]!;
    const startLine = i + 1;
    i++;
    if (isBlankOrComment(first)) continue;
    let text = first.trimStart();
    while (continuation.test(text)) {
      text = text.replace(continuation, "");
      // Comments and blank lines inside a continued instruction are skipped, as Docker does.
      while (i < raw.length && isBlankOrComment(raw[i]!)) i++;
      if (i >= raw.length) break;
      text += raw[i]!; // its leading whitespace is kept
      i++;
    }
    const m = /^(\S+)\s*([\s\S]*)$/.exec(text.trim())!;
    const keyword = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    const heredocs: Heredoc[] = [];
    if (HEREDOC_KEYWORDS.has(keyword)) {
      for (const h of heredocMarkers(rest)) {
        const body: string[] = [];
        for (;;) {
          if (i >= raw.length) throw new DockerfileError(`unterminated heredoc ${h.name}`, startLine, file);
          let l = raw[i++]!;
          if (h.stripTabs) l = l.replace(/^\t+/, "");
          if (l === h.name) break;
          body.push(l + "\n");
        }
        heredocs.push({ name: h.name, body: body.join(""), expand: !h.quoted });
      }
    }
    out.push({ keyword, rest, line: startLine, heredocs });
  }
  return { directives, lines: out };
}

function isBlankOrComment(l: string): boolean {
  const t = l.trimStart();
  return t === "" || t.startsWith("#");
}

export function heredocMarkers(rest: string): { name: string; quoted: boolean; stripTabs: boolean }[] {
  const found: { name: string; quoted: boolean; stripTabs: boolean }[] = [];
  // Only the instruction's own words count: skip a JSON (exec) form entirely.
  if (rest.startsWith("[")) return found;
  for (const m of rest.matchAll(HEREDOC)) found.push({ name: m[3]!, quoted: !!m[2], stripTabs: m[1] === "-" });
  return found;
}

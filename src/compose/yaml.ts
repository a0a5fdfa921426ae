// A compose file's text through Bun.YAML (anchors, aliases and << merge keys
// are Bun's), with compose's words for a file that is not YAML: the file and
// the line where it stops being YAML.
import { ComposeError } from "./errors.ts";

function parses(text: string): boolean {
  try {
    Bun.YAML.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The line a syntax error is on. Bun.YAML's errors carry no position, so it is
 * the line after the longest run of leading lines that still parses: where
 * the text stopped being YAML. Only run for a file that failed.
 */
function errorLine(text: string): number {
  const lines = text.split("\n");
  for (let k = lines.length - 1; k > 0; k--) if (parses(lines.slice(0, k).join("\n"))) return k + 1;
  return 1;
}

export function parseYaml(text: string, file: string): unknown {
  try {
    return Bun.YAML.parse(text);
  } catch (e) {
    const why = (e as Error).message.replace(/^YAML Parse error:\s*/, "");
    throw new ComposeError(`parsing ${file}: yaml: line ${errorLine(text)}: ${why}`);
  }
}

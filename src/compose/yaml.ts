// A compose file's text through Bun.YAML (anchors, aliases and << merge keys
// are Bun's), with compose's words for a file that is not YAML: the file and
// the line where it stops being YAML; and a key given twice in one mapping,
// which compose's decoder refuses where Bun.YAML keeps the last.
import { duplicateKeys } from "./duplicate-keys.ts";
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

/**
 * A file mode written with a leading zero (`mode: 0440`) is octal to compose's
 * YAML 1.1 decoder but decimal to Bun.YAML's 1.2 one: spelled 0o440 for it.
 * Only a `mode:` key's plain value is touched, and no line moves.
 */
function octalModes(text: string): string {
  return text.replace(/((?:^[ \t]*(?:-[ \t]+)?|[{,][ \t]*)mode:[ \t]+)0([0-7]+)(?=[ \t]*(?:[,}]|#|\r?$))/gm, (_, key: string, digits: string) => `${key}0o${digits}`);
}

export function parseYaml(text: string, file: string): unknown {
  let doc: unknown;
  try {
    doc = Bun.YAML.parse(octalModes(text));
  } catch (e) {
    const why = (e as Error).message.replace(/^YAML Parse error:\s*/, "");
    throw new ComposeError(`parsing ${file}: yaml: line ${errorLine(text)}: ${why}`);
  }
  const repeated = duplicateKeys(text);
  if (repeated.length) {
    const lines = repeated.map((d) => `  line ${d.line}: mapping key ${JSON.stringify(d.key)} already defined at line ${d.firstLine}`);
    throw new ComposeError(`parsing ${file}: yaml: unmarshal errors:\n${lines.join("\n")}`);
  }
  return doc;
}

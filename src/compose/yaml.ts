// A compose file's text through Bun.YAML (anchors, aliases and << merge keys
// are Bun's), with compose's words for a file that is not YAML.
import { ComposeError } from "./errors.ts";

export function parseYaml(text: string, file: string): unknown {
  try {
    return Bun.YAML.parse(text);
  } catch (e) {
    throw new ComposeError(`parsing ${file}: yaml: ${(e as Error).message.replace(/^YAML Parse error:\s*/, "")}`);
  }
}

// Which compose files a command reads: -f (several), else COMPOSE_FILE, else
// the default names in the working directory or the nearest parent, with the
// matching override file.
import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ComposeError } from "./errors.ts";

export const defaultFileNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];
export const overrideFileNames = ["compose.override.yaml", "compose.override.yml", "docker-compose.override.yml", "docker-compose.override.yaml"];

/** `cwd` resolves named files; the default names are looked for from `searchDir` upwards. */
export function findComposeFiles(opts: { files?: string[]; composeFileEnv?: string; pathSeparator?: string; cwd: string; searchDir: string; warn?: (m: string) => void }): string[] {
  if (opts.files?.length) return opts.files.map((f) => (f === "-" ? f : resolve(opts.cwd, f)));
  if (opts.composeFileEnv) return opts.composeFileEnv.split(opts.pathSeparator || ":").filter(Boolean).map((f) => resolve(opts.cwd, f));
  for (let dir = resolve(opts.searchDir); ; dir = dirname(dir)) {
    const found = defaultFileNames.filter((n) => isFile(join(dir, n)));
    if (found.length) {
      if (found.length > 1) opts.warn?.(`Found multiple config files with supported names: ${found.map((n) => join(dir, n)).join(", ")}\nUsing ${join(dir, found[0]!)}`);
      const override = overrideFileNames.find((n) => isFile(join(dir, n)));
      return [join(dir, found[0]!), ...(override ? [join(dir, override)] : [])];
    }
    if (dir === dirname(dir)) break;
  }
  throw new ComposeError("no configuration file provided: not found");
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

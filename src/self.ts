// How to run this same program again: the compiled executable is enough;
// from source, Bun needs the entry script too.
export function selfCommand(): string[] {
  const main = Bun.main;
  if (main.startsWith("/$bunfs") || main.startsWith("B:/~BUN")) return [process.execPath];
  return [process.execPath, main];
}

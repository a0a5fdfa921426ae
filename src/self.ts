// How to run this same program again: the compiled executable is enough;
// from source, Bun needs the entry script too.
export function selfCommand(): string[] {
  const main = Bun.main;
  if (main.startsWith("/$bunfs") || main.startsWith("B:/~BUN")) return [process.execPath];
  // This file's folder holds main.ts: right also when Bun.main is another script (a test).
  return [process.execPath, `${import.meta.dir}/main.ts`];
}

import { version, gitCommit } from "../version.ts";
export async function cliMain(argv: string[]): Promise<number> {
  if (argv[0] === "version") { console.log(`berth ${version} (${gitCommit})`); return 0; }
  console.error("berth: unknown command");
  return 1;
}

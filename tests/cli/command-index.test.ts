// The CLI finds a command by the names in src/cli/commands/index.ts and loads
// its module only then: those names must be the command's own, every command
// must be reachable, and `berth --help` still lists them all.
import { expect, test } from "bun:test";
import { commandIndex, loadAll } from "../../src/cli/commands/index.ts";
import { findCommand } from "../../src/cli/main.ts";
import { berthCmd } from "../fixtures/daemon.ts";

test("each entry's names are the names of the command it loads", async () => {
  const loaded = await loadAll();
  expect(loaded.length).toBe(commandIndex.length);
  for (const [i, cmd] of loaded.entries()) expect(commandIndex[i]!.names).toEqual(cmd.names);
  expect(new Set(loaded).size).toBe(loaded.length); // no command listed twice, none shadowing another
  const names = commandIndex.flatMap((e) => e.names);
  expect(new Set(names).size).toBe(names.length);
});

test("the longest typed path wins, and a command is found without loading any", async () => {
  expect(findCommand(["image", "ls", "-q"])?.name).toBe("image ls");
  expect(findCommand(["image", "ls", "-q"])?.rest).toEqual(["-q"]);
  expect(findCommand(["exec", "c", "true"])?.name).toBe("exec");
  expect((await findCommand(["container", "exec", "c", "true"])!.entry.load()).names).toContain("exec");
  expect(findCommand(["nosuch"])).toBeUndefined();
});

test("berth --help lists every command from the index, loaded on demand", () => {
  const r = Bun.spawnSync([...berthCmd, "--help"], { stdin: "ignore" });
  expect(r.exitCode).toBe(0);
  const text = r.stdout.toString();
  for (const e of commandIndex) expect(text).toContain(`  ${e.names[0]} `);
  const help = Bun.spawnSync([...berthCmd, "help", "exec"], { stdin: "ignore" });
  expect(help.stdout.toString()).toContain("Usage:  berth exec [OPTIONS] CONTAINER COMMAND [ARG...]");
});

// Every CLI command by the names it is typed as, in the order `berth --help`
// lists them. Each is loaded only when it runs: a command's start evaluates its
// own module graph, not every command's (nor the Node built-ins they import).
// tests/cli/command-index.test.ts checks that these names are the commands' own.
import type { Command } from "../command.ts";

export interface CommandEntry {
  /** As typed: "images", "image ls"; the first is the one `berth --help` shows. */
  names: string[];
  load(): Promise<Command>;
}

const entries: [string[], () => Promise<Command>][] = [
  [["run", "container run"], async () => (await import("./run.ts")).runCommand],
  [["create", "container create"], async () => (await import("./run.ts")).createCommand],
  [["start", "container start"], async () => (await import("./containers.ts")).startCommand],
  [["stop", "container stop"], async () => (await import("./containers.ts")).stopCommand],
  [["restart", "container restart"], async () => (await import("./containers.ts")).restartCommand],
  [["kill", "container kill"], async () => (await import("./containers.ts")).killCommand],
  [["rm", "container rm", "container remove"], async () => (await import("./containers.ts")).rmCommand],
  [["exec", "container exec"], async () => (await import("./exec.ts")).execCommand],
  [["ps", "container ls", "container list"], async () => (await import("./containers.ts")).psCommand],
  [["logs", "container logs"], async () => (await import("./containers.ts")).logsCommand],
  [["wait", "container wait"], async () => (await import("./containers.ts")).waitCommand],
  [["rename", "container rename"], async () => (await import("./containers.ts")).renameCommand],
  [["inspect", "container inspect"], async () => (await import("./containers.ts")).inspectCommand],
  [["commit", "container commit"], async () => (await import("./inspect-more.ts")).commitCommand],
  [["update", "container update"], async () => (await import("./inspect-more.ts")).updateCommand],
  [["attach", "container attach"], async () => (await import("./inspect-more.ts")).attachCommand],
  [["port", "container port"], async () => (await import("./inspect-more.ts")).portCommand],
  [["pause", "container pause"], async () => (await import("./inspect-more.ts")).pauseCommand],
  [["unpause", "container unpause"], async () => (await import("./inspect-more.ts")).unpauseCommand],
  [["top", "container top"], async () => (await import("./inspect-more.ts")).topCommand],
  [["diff", "container diff"], async () => (await import("./inspect-more.ts")).diffCommand],
  [["cp", "container cp"], async () => (await import("./cp.ts")).cpCommand],
  [["export", "container export"], async () => (await import("./cp.ts")).exportCommand],
  [["stats", "container stats"], async () => (await import("./stats.ts")).statsCommand],
  [["container prune"], async () => (await import("./containers.ts")).containerPruneCommand],
  [["network connect"], async () => (await import("./networks.ts")).networkConnectCommand],
  [["network create"], async () => (await import("./networks.ts")).networkCreateCommand],
  [["network disconnect"], async () => (await import("./networks.ts")).networkDisconnectCommand],
  [["network inspect"], async () => (await import("./networks.ts")).networkInspectCommand],
  [["network ls", "network list"], async () => (await import("./networks.ts")).networkLsCommand],
  [["network prune"], async () => (await import("./networks.ts")).networkPruneCommand],
  [["network rm", "network remove"], async () => (await import("./networks.ts")).networkRmCommand],
  [["images", "image ls", "image list"], async () => (await import("./images.ts")).imagesCommand],
  [["build", "image build", "builder build"], async () => (await import("./build.ts")).buildCommand],
  [["builder prune"], async () => (await import("./prune.ts")).builderPruneCommand],
  [["pull", "image pull"], async () => (await import("./registry.ts")).pullCommand],
  [["push", "image push"], async () => (await import("./registry.ts")).pushCommand],
  [["search"], async () => (await import("./registry.ts")).searchCommand],
  [["login"], async () => (await import("./registry.ts")).loginCommand],
  [["logout"], async () => (await import("./registry.ts")).logoutCommand],
  [["load", "image load"], async () => (await import("./images.ts")).loadCommand],
  [["save", "image save"], async () => (await import("./images.ts")).saveCommand],
  [["import", "image import"], async () => (await import("./images.ts")).importCommand],
  [["tag", "image tag"], async () => (await import("./images.ts")).tagCommand],
  [["rmi", "image rm", "image remove"], async () => (await import("./images.ts")).rmiCommand],
  [["history", "image history"], async () => (await import("./images.ts")).historyCommand],
  [["image inspect"], async () => (await import("./images.ts")).imageInspectCommand],
  [["image prune"], async () => (await import("./prune.ts")).imagePruneCommand],
  [["volume create"], async () => (await import("./volume.ts")).volumeCreateCommand],
  [["volume ls", "volume list"], async () => (await import("./volume.ts")).volumeLsCommand],
  [["volume inspect"], async () => (await import("./volume.ts")).volumeInspectCommand],
  [["volume rm", "volume remove"], async () => (await import("./volume.ts")).volumeRmCommand],
  [["volume prune"], async () => (await import("./volume.ts")).volumePruneCommand],
  [["compose"], async () => (await import("./compose/index.ts")).composeCommand],
  [["version"], async () => (await import("./version-info.ts")).versionCommand],
  [["info", "system info"], async () => (await import("./version-info.ts")).infoCommand],
  [["events", "system events"], async () => (await import("./system.ts")).eventsCommand],
  [["system df"], async () => (await import("./system.ts")).dfCommand],
  [["system prune"], async () => (await import("./prune.ts")).systemPruneCommand],
  [["daemon"], async () => (await import("./system.ts")).daemonCommand],
  [["registry serve"], async () => (await import("./registry-server.ts")).registryServeCommand],
  [["registry gc"], async () => (await import("./registry-server.ts")).registryGcCommand],
];

export const commandIndex: CommandEntry[] = entries.map(([names, load]) => ({ names, load }));

/** Every command, loaded (for the command table of `berth --help`). */
export function loadAll(): Promise<Command[]> {
  return Promise.all(commandIndex.map((e) => e.load()));
}

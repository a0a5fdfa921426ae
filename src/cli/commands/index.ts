// Every CLI command, in the order `berth --help` lists them.
import type { Command } from "../command.ts";
import * as c from "./containers.ts";
import * as i from "./images.ts";
import * as s from "./system.ts";
import * as v from "./version-info.ts";
import { execCommand } from "./exec.ts";
import * as m from "./inspect-more.ts";
import { cpCommand, exportCommand } from "./cp.ts";
import { statsCommand } from "./stats.ts";
import * as r from "./registry.ts";
import { registryGcCommand, registryServeCommand } from "./registry-server.ts";
import { builderPruneCommand, imagePruneCommand, systemPruneCommand } from "./prune.ts";
import * as vol from "./volume.ts";
import { buildCommand } from "./build.ts";
import { networkCommands } from "./networks.ts";
import { composeCommand } from "./compose/index.ts";

export const commands: Command[] = [
  c.runCommand, c.createCommand, c.startCommand, c.stopCommand, c.restartCommand, c.killCommand, c.rmCommand,
  execCommand, c.psCommand, c.logsCommand, c.waitCommand, c.renameCommand, c.inspectCommand, m.commitCommand, m.updateCommand, m.attachCommand, m.portCommand, m.pauseCommand, m.unpauseCommand, m.topCommand, m.diffCommand, cpCommand, exportCommand, statsCommand, c.containerPruneCommand,
  ...networkCommands,
  i.imagesCommand, buildCommand, builderPruneCommand, r.pullCommand, r.pushCommand, r.searchCommand, r.loginCommand, r.logoutCommand, i.loadCommand, i.saveCommand, i.importCommand, i.tagCommand, i.rmiCommand, i.historyCommand, i.imageInspectCommand, imagePruneCommand,
  vol.volumeCreateCommand, vol.volumeLsCommand, vol.volumeInspectCommand, vol.volumeRmCommand, vol.volumePruneCommand,
  composeCommand,
  v.versionCommand, v.infoCommand, s.eventsCommand, s.dfCommand, systemPruneCommand, s.daemonCommand, registryServeCommand, registryGcCommand,
];

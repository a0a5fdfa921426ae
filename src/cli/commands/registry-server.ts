// `berth registry serve` and `berth registry gc`: the built-in OCI registry.
import type { Command } from "../command.ts";
import { UsageError } from "../flags.ts";

const DEFAULT_ROOT = "/var/lib/berth-registry";
const rootFlag = { name: "root", type: "string" as const, default: DEFAULT_ROOT, help: "Storage directory" };

export const registryServeCommand: Command = {
  names: ["registry serve"],
  synopsis: "[OPTIONS]",
  description: "Run an OCI distribution registry",
  serves: true,
  flags: [
    { name: "addr", type: "string", default: "127.0.0.1:5000", valueName: "HOST:PORT", help: "Address to listen on" },
    rootFlag,
    { name: "htpasswd", type: "string", help: "Require Basic auth with the users of this htpasswd file (bcrypt or {SHA})" },
    { name: "tls-cert", type: "string", help: "TLS certificate (PEM)" },
    { name: "tls-key", type: "string", help: "TLS private key (PEM)" },
  ],
  maxArgs: 0,
  async run(ctx, f) {
    if (!!f["tls-cert"] !== !!f["tls-key"]) throw new UsageError("--tls-cert and --tls-key must be given together");
    // The server is loaded only by the commands that run it (start-up of every other command).
    const { createRegistryServer, parseAddr } = await import("../../registry/server/index.ts");
    parseAddr(f.addr);
    const server = await createRegistryServer({
      root: f.root,
      addr: f.addr,
      htpasswd: f.htpasswd,
      tls: f["tls-cert"] ? { cert: f["tls-cert"], key: f["tls-key"] } : undefined,
      onError: (e, req) => ctx.err(`registry: ${req.method} ${new URL(req.url).pathname}: ${(e as Error)?.stack ?? e}`),
    });
    ctx.err(`registry listening on ${server.url}`);
    await new Promise<void>((resolve) => {
      process.once("SIGTERM", resolve);
      process.once("SIGINT", resolve);
    });
    await server.close();
    return 0;
  },
};

export const registryGcCommand: Command = {
  names: ["registry gc"],
  synopsis: "[OPTIONS]",
  description: "Delete blobs no manifest references (run it while the registry is stopped)",
  flags: [
    rootFlag,
    { name: "delete-untagged", type: "bool", help: "Also delete manifests no tag reaches" },
    { name: "dry-run", type: "bool", help: "Only print what would be deleted" },
  ],
  maxArgs: 0,
  async run(ctx, f) {
    const { gc } = await import("../../registry/server/gc.ts");
    const r = await gc(f.root, { deleteUntagged: f["delete-untagged"], dryRun: f["dry-run"] });
    for (const m of r.deletedManifests) ctx.out(`manifest eligible for deletion: ${m.repository}@${m.digest}`);
    for (const d of r.deletedBlobs) ctx.out(`blob eligible for deletion: ${d}`);
    ctx.out(`${r.deletedBlobs.length} blobs ${f["dry-run"] ? "would be " : ""}deleted, ${r.keptBlobs} kept`);
    return 0;
  },
};

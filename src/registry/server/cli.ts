// `berth registry serve` and `berth registry gc` (hooked up by the CLI owner).
import { createRegistryServer, parseAddr } from "./index.ts";
import { gc } from "./gc.ts";

interface Parsed {
  flags: Map<string, string | true>;
  positional: string[];
}

function parseArgs(argv: string[], valued: string[], boolean: string[]): Parsed {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) { positional.push(a); continue; }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (valued.includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new Error(`flag needs an argument: --${name}`);
      flags.set(name, v);
    } else if (boolean.includes(name)) {
      flags.set(name, eq > 0 ? a.slice(eq + 1) : true);
    } else throw new Error(`unknown flag: --${name}`);
  }
  return { flags, positional };
}

const str = (p: Parsed, k: string) => {
  const v = p.flags.get(k);
  return typeof v === "string" ? v : undefined;
};

export const REGISTRY_SERVE_USAGE = `Usage:  berth registry serve [OPTIONS]

Run an OCI distribution registry

Options:
      --addr HOST:PORT   Address to listen on (default 127.0.0.1:5000)
      --htpasswd FILE    Require Basic auth with these users (bcrypt or {SHA})
      --root DIR         Storage directory (default /var/lib/berth-registry)
      --tls-cert FILE    TLS certificate
      --tls-key FILE     TLS key
`;

/** Runs until SIGTERM/SIGINT; resolves with the exit code. */
export async function registryServeCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ["addr", "root", "htpasswd", "tls-cert", "tls-key"], ["help"]);
  if (p.flags.has("help")) { process.stdout.write(REGISTRY_SERVE_USAGE); return 0; }
  const cert = str(p, "tls-cert");
  const key = str(p, "tls-key");
  if (!!cert !== !!key) throw new Error("--tls-cert and --tls-key must be given together");
  const addr = str(p, "addr") ?? "127.0.0.1:5000";
  parseAddr(addr);
  const server = await createRegistryServer({
    root: str(p, "root") ?? "/var/lib/berth-registry",
    addr,
    htpasswd: str(p, "htpasswd"),
    tls: cert && key ? { cert, key } : undefined,
    onError: (e, req) => process.stderr.write(`registry: ${req.method} ${new URL(req.url).pathname}: ${(e as Error)?.stack ?? e}\n`),
  });
  process.stderr.write(`registry listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await server.close();
  return 0;
}

export const REGISTRY_GC_USAGE = `Usage:  berth registry gc [OPTIONS]

Delete blobs no manifest references (run it while the registry is stopped)

Options:
      --delete-untagged  Also delete manifests no tag reaches
      --dry-run          Only print what would be deleted
      --root DIR         Storage directory (default /var/lib/berth-registry)
`;

export async function registryGcCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ["root"], ["delete-untagged", "dry-run", "help"]);
  if (p.flags.has("help")) { process.stdout.write(REGISTRY_GC_USAGE); return 0; }
  const r = await gc(str(p, "root") ?? "/var/lib/berth-registry", {
    deleteUntagged: p.flags.has("delete-untagged"),
    dryRun: p.flags.has("dry-run"),
  });
  for (const m of r.deletedManifests) process.stdout.write(`manifest eligible for deletion: ${m.repository}@${m.digest}\n`);
  for (const d of r.deletedBlobs) process.stdout.write(`blob eligible for deletion: ${d}\n`);
  process.stdout.write(`${r.deletedBlobs.length} blobs ${p.flags.has("dry-run") ? "would be " : ""}deleted, ${r.keptBlobs} kept\n`);
  return 0;
}

// The image configuration (OCI image config / Docker image JSON), chain IDs
// and history.
import { InvalidDataError } from "../errors.ts";
import { checkDigest, type Digest } from "../store/digest.ts";
import { chainIdOf } from "../store/snapshots.ts";

export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[] | null;
  Healthcheck?: unknown;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  created?: string;
  author?: string;
  config?: ContainerConfig;
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
  comment?: string;
  rootfs: { type: "layers"; diff_ids: Digest[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

/** Validates an untrusted config document enough for the engine to rely on it. */
export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new InvalidDataError("invalid image config: not valid JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new InvalidDataError("invalid image config: not an object");
  const c = doc as Record<string, unknown>;
  const rootfs = c.rootfs as Record<string, unknown> | undefined;
  if (!rootfs || rootfs.type !== "layers" || !Array.isArray(rootfs.diff_ids)) {
    throw new InvalidDataError("invalid image config: rootfs must be of type \"layers\" with diff_ids");
  }
  for (const d of rootfs.diff_ids) checkDigest(d, "diff_id");
  if (typeof c.architecture !== "string" || typeof c.os !== "string") {
    throw new InvalidDataError("invalid image config: missing os or architecture");
  }
  if (c.history !== undefined && c.history !== null && !Array.isArray(c.history)) {
    throw new InvalidDataError("invalid image config: history must be a list");
  }
  if (c.config !== undefined && c.config !== null && (typeof c.config !== "object" || Array.isArray(c.config))) {
    throw new InvalidDataError("invalid image config: config must be an object");
  }
  return c as ImageConfig;
}

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(chainIdOf(out[out.length - 1] ?? null, d));
  return out;
}

/** Canonical bytes for a config we create ourselves (import, seed). */
export function encodeConfig(config: ImageConfig): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(config));
}

/** RFC 3339 with nanoseconds, as Go prints time.Time (trailing zeros trimmed). */
export function rfc3339Nano(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, f: string) => (f ? `.${f}Z` : "Z"));
}

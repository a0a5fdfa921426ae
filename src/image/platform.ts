// Platforms: the host's, parsing "linux/arm64/v8", and matching descriptors.
import { InvalidParameterError } from "../errors.ts";

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
}

const ARCH_ALIASES: Record<string, string> = { x86_64: "amd64", x86: "386", aarch64: "arm64", armhf: "arm", armel: "arm" };

export function normalizeArch(arch: string, variant?: string): { architecture: string; variant?: string } {
  const a = ARCH_ALIASES[arch.toLowerCase()] ?? arch.toLowerCase();
  if (a === "arm64") return { architecture: a, variant: variant === "v8" ? undefined : variant };
  if (a === "arm") return { architecture: a, variant: variant ?? "v7" };
  return variant ? { architecture: a, variant } : { architecture: a };
}

export function hostPlatform(): Platform {
  const nodeArch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };
  return { os: "linux", architecture: nodeArch[process.arch] ?? process.arch };
}

/** "linux", "linux/amd64", "linux/arm/v7" → Platform (missing parts from the host). */
export function parsePlatform(s: string): Platform {
  const parts = s.toLowerCase().split("/");
  if (parts.length > 3 || parts.some((p) => p === "" || !/^[a-z0-9._-]+$/.test(p))) {
    throw new InvalidParameterError(`"${s}": unknown operating system or architecture: invalid argument`);
  }
  const host = hostPlatform();
  const os = parts[0]!;
  if (parts.length === 1) return { os, architecture: host.architecture };
  return { os, ...normalizeArch(parts[1]!, parts[2]) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** True when an image for `have` runs where `want` is asked for. */
export function platformMatches(want: Platform, have: Partial<Platform> | undefined): boolean {
  if (!have?.os || !have.architecture) return false;
  if (have.os !== want.os) return false;
  const w = normalizeArch(want.architecture, want.variant);
  const h = normalizeArch(have.architecture, have.variant);
  if (w.architecture !== h.architecture) return false;
  return !w.variant || !h.variant || w.variant === h.variant;
}

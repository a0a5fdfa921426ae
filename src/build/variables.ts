// The variables a build step can see: the stage's ENV (from the image config)
// over the ARGs declared so far, with --build-arg values over ARG defaults.
import { hostPlatform } from "../image/platform.ts";

/** Args every build may pass without declaring them; they never reach history or the cache. */
export const PROXY_ARGS = new Set([
  "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
]);

/** BuildKit's automatic platform args, for a build on (and for) this host. */
export function platformArgs(): Record<string, string> {
  const p = hostPlatform();
  const platform = `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
  return {
    TARGETPLATFORM: platform, TARGETOS: p.os, TARGETARCH: p.architecture, TARGETVARIANT: p.variant ?? "",
    BUILDPLATFORM: platform, BUILDOS: p.os, BUILDARCH: p.architecture, BUILDVARIANT: p.variant ?? "",
  };
}

export function envMap(env: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const i = e.indexOf("=");
    if (i < 0) m.set(e, "");
    else m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

export function setEnv(env: string[] | undefined, key: string, value: string): string[] {
  const out = (env ?? []).filter((e) => e !== key && !e.startsWith(`${key}=`));
  out.push(`${key}=${value}`);
  return out;
}

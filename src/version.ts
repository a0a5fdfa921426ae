// Filled in by scripts/build.ts through `bun build --define`; fall back to
// the values seen when running from source.
declare const BERTH_VERSION: string | undefined;
declare const BERTH_GIT_COMMIT: string | undefined;
declare const BERTH_BUILD_TIME: string | undefined;

export const version: string =
  typeof BERTH_VERSION === "string" ? BERTH_VERSION : "0.1.0-dev";
export const gitCommit: string =
  typeof BERTH_GIT_COMMIT === "string" ? BERTH_GIT_COMMIT : "unknown";
export const buildTime: string =
  typeof BERTH_BUILD_TIME === "string" ? BERTH_BUILD_TIME : new Date(0).toISOString();

/** The Engine API versions served. */
export const apiVersion = "1.44";
export const minApiVersion = "1.24";

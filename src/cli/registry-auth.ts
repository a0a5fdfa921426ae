// The X-Registry-Auth header the CLI sends with pull, push and search: the
// credentials config.json holds for the image's registry, as base64url JSON
// (padded, which dockerd's decoder requires).
import { credentialKey, getCredentials } from "../registry/client/credentials.ts";
import { parseReference } from "../image/reference.ts";

export function encodeAuthConfig(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

/** The registry domain of an image name ("busybox" → docker.io); undefined when unparsable. */
export function registryOf(name: string): string | undefined {
  try {
    return parseReference(name).domain;
  } catch {
    return undefined;
  }
}

/** Header value for a registry domain; "{}" (anonymous) when nothing is stored. */
export function authHeaderFor(domain: string | undefined, configDir?: string): string {
  if (!domain) return encodeAuthConfig({});
  const creds = getCredentials(domain, configDir);
  if (!creds) return encodeAuthConfig({});
  return encodeAuthConfig({
    username: creds.username, password: creds.password, serveraddress: credentialKey(domain),
    identitytoken: creds.identityToken, registrytoken: creds.registryToken,
  });
}

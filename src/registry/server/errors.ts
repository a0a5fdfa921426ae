// Distribution-spec error bodies: {"errors":[{"code","message","detail"}]},
// with the status codes and default messages CNCF distribution uses.
export const API_VERSION_HEADER = { "Docker-Distribution-API-Version": "registry/2.0" } as const;

const DEFAULTS: Record<string, [number, string]> = {
  BLOB_UNKNOWN: [404, "blob unknown to registry"],
  BLOB_UPLOAD_INVALID: [400, "blob upload invalid"],
  BLOB_UPLOAD_UNKNOWN: [404, "blob upload unknown to registry"],
  DIGEST_INVALID: [400, "provided digest did not match uploaded content"],
  MANIFEST_BLOB_UNKNOWN: [400, "blob unknown to registry"],
  MANIFEST_INVALID: [400, "manifest invalid"],
  MANIFEST_UNKNOWN: [404, "manifest unknown"],
  NAME_INVALID: [400, "invalid repository name"],
  NAME_UNKNOWN: [404, "repository name not known to registry"],
  SIZE_INVALID: [400, "provided length did not match content length"],
  TAG_INVALID: [400, "manifest tag did not match URI"],
  UNAUTHORIZED: [401, "authentication required"],
  DENIED: [403, "requested access to the resource is denied"],
  UNSUPPORTED: [405, "The operation is unsupported."],
  RANGE_INVALID: [416, "invalid content range"],
  PAGINATION_NUMBER_INVALID: [400, "invalid number of results requested"],
};

export class RegistryHttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: keyof typeof DEFAULTS | string,
    message?: string,
    readonly detail: unknown = null,
    status?: number,
    readonly headers: Record<string, string> = {},
  ) {
    const [defStatus, defMessage] = DEFAULTS[code] ?? [500, "unknown error"];
    super(message ?? defMessage);
    this.status = status ?? defStatus;
  }
}

export function errorResponse(e: RegistryHttpError, head = false): Response {
  const body = JSON.stringify({ errors: [{ code: e.code, message: e.message, detail: e.detail }] }) + "\n";
  return new Response(head ? null : body, {
    status: e.status,
    headers: {
      ...API_VERSION_HEADER,
      "Content-Type": "application/json; charset=utf-8",
      ...(head ? { "Content-Length": String(Buffer.byteLength(body)) } : {}),
      ...e.headers,
    },
  });
}

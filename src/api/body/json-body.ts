// A request's JSON body, read with limits so that no request can make the
// daemon hold an unbounded document: a size cap while the bytes arrive, and a
// nesting cap checked before JSON.parse (whose recursion a 100k-deep document
// would exhaust).
import { BerthError, InvalidParameterError } from "../../errors.ts";

/** Far above any real create/update body (a few KiB), far below what would strain the daemon. */
export const maxJsonBodyBytes = 4 << 20;
export const maxJsonDepth = 64;

class PayloadTooLargeError extends BerthError {
  constructor(limit: number) {
    super(`request body too large: over ${limit} bytes`, 413);
  }
}

async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array();
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > limit) throw new PayloadTooLargeError(limit);
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** The deepest nesting of arrays and objects in `text`, strings skipped. */
function nestingDepth(bytes: Uint8Array, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i++; // backslash: the next byte is escaped
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max && (max = depth) > stopAbove) return max;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return max;
}

/**
 * The body as a JSON object; `{}` for an empty body when `emptyIsObject`.
 * Bad JSON, too deep a document or a non-object is a 400; too large a body a 413.
 */
export async function jsonBody(req: Request, opts: { emptyIsObject?: boolean; limit?: number } = {}): Promise<Record<string, any>> {
  const bytes = await readLimited(req, opts.limit ?? maxJsonBodyBytes);
  if (bytes.length === 0 && opts.emptyIsObject) return {};
  if (nestingDepth(bytes, maxJsonDepth) > maxJsonDepth) throw new InvalidParameterError(`invalid JSON: nested deeper than ${maxJsonDepth} levels`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new InvalidParameterError("invalid JSON: the request body is not valid JSON");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidParameterError("invalid JSON: the request body must be a JSON object");
  }
  return value as Record<string, any>;
}

// Errors that carry the Engine API status code, so the API layer maps them to
// `{"message": ...}` bodies and the CLI prints the same words Docker does.
export class BerthError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = new.target.name;
  }
}
/** 400: bad parameter in a request or on the command line. */
export class InvalidParameterError extends BerthError {
  constructor(message: string) { super(message, 400); }
}
/** 404: "No such image: x", "No such container: x". */
export class NotFoundError extends BerthError {
  constructor(message: string) { super(message, 404); }
}
/** 409: name conflicts, image in use. */
export class ConflictError extends BerthError {
  constructor(message: string) { super(message, 409); }
}
/** 500: the engine failed; also used for corrupt or unreadable input we cannot blame on a parameter. */
export class SystemError extends BerthError {
  constructor(message: string) { super(message, 500); }
}
/** 501: a feature the configuration turned off ("configured logging driver does not support reading"). */
export class NotImplementedError extends BerthError {
  constructor(message: string) { super(message, 501); }
}
/** Untrusted data (archive, manifest, layer) that fails validation. */
export class InvalidDataError extends BerthError {
  constructor(message: string) { super(message, 400); }
}

/** The errno name (`ENOENT`…) a failed system call threw, if that is what `e` is. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** What any thrown value says: an Error's message, else the value itself. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String((e as { message?: unknown } | null)?.message ?? e);
}

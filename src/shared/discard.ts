// A stream nobody will read is cancelled, so that its source (a socket, a file)
// is let go at once. Cancelling one that already ended or failed rejects, and
// that cannot matter: there is nothing left to release.
export async function discard(stream: { cancel(): Promise<void> } | null | undefined): Promise<void> {
  await stream?.cancel().catch(() => undefined); // ended already: nothing to release
}

// Bun's fetch hands each body chunk over in fresh memory, freed only when the
// garbage collector finds it; by then the allocator has given the pages back
// to the kernel, so every chunk of a download is a first touch of new pages
// (a page fault each, slow on hosts that back guest memory lazily). A reader
// that knows its consumer is done with a chunk frees it at once instead, by
// detaching its buffer: the allocator then hands the same, still-mapped memory
// to the next chunk.

/**
 * Frees `chunk`'s memory now, when it is the whole of a buffer of its own (as
 * fetch's chunks are); a view into a larger or shared buffer is left alone.
 * The chunk reads as empty afterwards: only for chunks nobody else holds.
 */
export function freeChunk(chunk: Uint8Array): void {
  const buf = chunk.buffer;
  if (!(buf instanceof ArrayBuffer) || chunk.byteOffset !== 0 || chunk.byteLength !== buf.byteLength || buf.byteLength === 0) return;
  // transfer(0) moves the contents into a new, empty buffer: the old memory has no owner left and is freed.
  (buf as ArrayBuffer & { transfer(n: number): ArrayBuffer }).transfer(0);
}

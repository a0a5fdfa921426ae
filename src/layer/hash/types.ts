/** Streaming SHA-256; implemented natively (Bun.CryptoHasher) and in WASM. */
export interface Sha256 {
  update(data: Uint8Array): void;
  /** Lower-case hex digest; the hasher cannot be used afterwards. */
  digestHex(): string;
  /** Gives back what the hasher holds when its digest will not be asked for. */
  dispose?(): void;
}

// WASM SHA-256 against Bun.CryptoHasher on random inputs and random chunk splits.
import { expect, test } from "bun:test";
import { WasmSha256 } from "../../src/layer/wasm/sha256.ts";

function random(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

const sizes = [0, 1, 55, 56, 63, 64, 65, 1000, (1 << 20) + 3, 5 << 20];

test("equals Bun.CryptoHasher for sizes around block edges, fed in random splits", () => {
  for (const size of sizes) {
    const data = random(size);
    const want = new Bun.CryptoHasher("sha256").update(data).digest("hex");
    const whole = new WasmSha256();
    whole.update(data);
    expect(whole.digestHex()).toBe(want);
    for (let round = 0; round < 3; round++) {
      const h = new WasmSha256();
      const maxPiece = round === 0 ? 70 : round === 1 ? 4096 : 3 << 20;
      for (let at = 0; at < size; ) {
        const n = Math.min(size - at, Math.floor(Math.random() * maxPiece));
        h.update(data.subarray(at, at + n)); // n may be 0: empty updates must be harmless
        at += n;
      }
      expect(h.digestHex()).toBe(want);
    }
  }
});

test("known vectors", () => {
  const h = new WasmSha256();
  h.update(new TextEncoder().encode("abc"));
  expect(h.digestHex()).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  expect(new WasmSha256().digestHex()).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});

test("many hashers at once keep separate state; finished ones refuse use", () => {
  const inputs = Array.from({ length: 20 }, (_, i) => random(1000 + i * 77));
  const hashers = inputs.map(() => new WasmSha256());
  for (let at = 0; at < 3000; at += 100) hashers.forEach((h, i) => h.update(inputs[i]!.subarray(at, at + 100)));
  hashers.forEach((h, i) => expect(h.digestHex()).toBe(new Bun.CryptoHasher("sha256").update(inputs[i]!).digest("hex")));
  expect(() => hashers[0]!.update(new Uint8Array(1))).toThrow("already finished");
  expect(() => hashers[0]!.digestHex()).toThrow("already finished");
});

// Hash thread entry: works through the ring it is given (see ring.ts) until
// told to stop. It blocks in Atomics.wait between operations: it has nothing
// else to do, and so needs no message per chunk.
import { Ctl, metaAt, Op, ringOf, slotOf, SLOTS } from "./ring.ts";

declare const self: Worker & { close(): void };

self.onmessage = (ev: MessageEvent<SharedArrayBuffer>) => {
  const ring = ringOf(ev.data);
  const { ctl, meta } = ring;
  const data = Array.from({ length: SLOTS }, (_, i) => ring.data(i));
  const hashers = new Map<number, Bun.CryptoHasher>();
  let head = Atomics.load(ctl, Ctl.Head);
  Atomics.store(ctl, Ctl.Ready, 1);
  Atomics.notify(ctl, Ctl.Ready);
  for (;;) {
    const tail = Atomics.load(ctl, Ctl.Tail);
    if (head === tail) {
      if (Atomics.load(ctl, Ctl.Stop)) break;
      Atomics.wait(ctl, Ctl.Tail, tail, 1000);
      continue;
    }
    const slot = slotOf(head);
    const m = metaAt(slot);
    const id = meta[m + 1]!;
    switch (meta[m]) {
      case Op.Update: {
        let h = hashers.get(id);
        if (!h) hashers.set(id, (h = new Bun.CryptoHasher("sha256")));
        h.update(data[slot]!.subarray(0, meta[m + 2]!));
        break;
      }
      case Op.Digest:
        data[slot]!.set((hashers.get(id) ?? new Bun.CryptoHasher("sha256")).digest() as Uint8Array);
        hashers.delete(id);
        break;
      case Op.Drop:
        hashers.delete(id);
        break;
    }
    head++;
    Atomics.store(ctl, Ctl.Head, head);
    Atomics.notify(ctl, Ctl.Head);
  }
  self.close();
};

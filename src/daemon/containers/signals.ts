// A signal named by a client (kill, stop): checked before anything is done,
// refused as dockerd refuses it (400 "Invalid signal: X").
import { InvalidParameterError } from "../../errors.ts";
import { signalNumber } from "../../runtime/index.ts";

export function checkSignal(sig: string): void {
  let n: number;
  try {
    n = signalNumber(sig);
  } catch {
    throw new InvalidParameterError(`Invalid signal: ${sig}`);
  }
  if (!(n > 0 && n <= 64)) throw new InvalidParameterError(`Invalid signal: ${sig}`);
}

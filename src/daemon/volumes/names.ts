// Volume names: Docker's rule for the local driver, which also keeps a name
// from placing a volume's data anywhere but `<data-root>/volumes/<name>`.
import { InvalidParameterError } from "../../errors.ts";

const validName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The label Docker (API 1.42+) puts on anonymous volumes; `volume prune` without --all removes only these. */
export const anonymousLabel = "com.docker.volume.anonymous";

export function checkVolumeName(name: string): void {
  if (!validName.test(name)) {
    throw new InvalidParameterError(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

/** An anonymous volume's name: 64 hex characters, as Docker's. */
export function randomVolumeName(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
}

// A Dockerfile that cannot be understood: Docker's wording, the line it is on,
// and the file's name, so a user with several Dockerfiles knows which one.
import { InvalidParameterError } from "../../errors.ts";

export class DockerfileError extends InvalidParameterError {
  constructor(readonly reason: string, readonly line: number, readonly file = "Dockerfile") {
    super(`dockerfile parse error line ${line}: ${reason}${file === "Dockerfile" ? "" : ` (${file})`}`);
  }
}

// The reference an API pull names: fromImage plus the API's separate tag. Kept
// apart from the registry service so that the route checks it before that
// service (and the registry client) is loaded.
import { InvalidParameterError } from "../../errors.ts";
import { parseReference, type Reference } from "../../image/reference.ts";

/** fromImage plus the API's separate tag (a tag or a digest); both forms of old and new clients. */
export function pullReference(fromImage: string, tag: string | undefined): { ref: Reference; allTags: boolean } {
  const ref = parseReference(fromImage);
  if (tag) {
    if (ref.tag !== undefined || ref.digest !== undefined) {
      // dockerd ignores a tag given twice only when they agree.
      const given = ref.digest ?? ref.tag;
      if (given !== tag) throw new InvalidParameterError(`invalid reference format: repository name and tag given twice (${fromImage}, ${tag})`);
      return { ref, allTags: false };
    }
    if (/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/.test(tag)) return { ref: { ...ref, digest: tag }, allTags: false };
    return { ref: parseReference(`${fromImage}:${tag}`), allTags: false };
  }
  return { ref, allTags: ref.tag === undefined && ref.digest === undefined };
}

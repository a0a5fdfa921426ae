/**
 * Where berth's CLI puts `--secret` files in the context it sends, when the request's
 * `secrets` names them (the classic builder's API has no other channel for them); the
 * daemon moves them out before anything reads the context.
 */
export const secretsEntry = ".berth-build-secrets";

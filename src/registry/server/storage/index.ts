// The registry's storage tree under one root directory.
import { mkdirSync } from "node:fs";
import { BlobPool } from "./blobs.ts";
import { Repositories } from "./repos.ts";
import { Uploads } from "./uploads.ts";

export type { Sha256Digest } from "./blobs.ts";

export class RegistryStorage {
  readonly blobs: BlobPool;
  readonly repos: Repositories;
  readonly uploads: Uploads;

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
    this.blobs = new BlobPool(root);
    this.repos = new Repositories(root, this.blobs);
    this.uploads = new Uploads(this.repos, this.blobs);
  }
}

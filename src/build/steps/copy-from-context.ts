// COPY of a directory of the sent context: its entries go from the uploaded
// tar straight into the destination, rather than being unpacked into a copy of
// the context first and copied from there, so each file is written once.
// Owners become the step's (root, or --chown's), modes --chmod's when given;
// the layer applier places them, never following a link out of the root.
import { applyLayer } from "../../layer/apply.ts";
import { tarStream } from "../../layer/tar/write.ts";
import type { ContextTree } from "../context/context-tree.ts";

export async function copyContextDir(tree: ContextTree, dir: string, target: string, owner: { uid: number; gid: number }, chmod?: number): Promise<void> {
  await applyLayer(tarStream(tree.entriesUnder(dir, chmod)), target, { whiteoutMode: "delete", resolvedTarget: true, devices: "skip", hostOwner: () => owner });
}

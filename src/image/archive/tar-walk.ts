// Archives are walked with the layer pipeline's tar walker (the same rules:
// PAX, GNU long names, checksums, EOF right after the last entry's data).
export { newTarStreamWalker as newTarWalker } from "../../layer/tar/walker.ts";

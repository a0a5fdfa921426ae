// The sent context as an index of its tar: each entry's type, mode, owner,
// size, link target and content digest, read in one pass over the upload as
// it arrives. COPY's cache keys are worked out from it, so a build whose steps
// all come from the cache never writes the context's files to disk; the tar
// is unpacked (by the layer applier, with its rules) the first time a step
// must copy from it. Entries are placed as the applier places them: parent
// symlinks resolved inside the context, missing parents made 0755, a later
// entry replacing an earlier one, devices left out.
import { InvalidDataError } from "../../errors.ts";
import { applyLayer } from "../../layer/apply.ts";
import { entryParts } from "../../layer/apply/scope.ts";
import { uncompressed } from "../../layer/compression.ts";
import { readTar } from "../../layer/tar/read.ts";
import type { TarEntry } from "../../layer/tar/types.ts";
import type { TarWriteItem } from "../../layer/tar/write.ts";
import type { ByteSource } from "../../layer/source.ts";
import { resolveIn, type SourceTree, type TreeStat } from "../fs/source-tree.ts";

interface Node extends TreeStat {
  linkname?: string;
  digest?: string;
}

const WH = ".wh.";

export class ContextTree implements SourceTree {
  private nodes = new Map<string, Node>([["", { kind: "dir", mode: 0o755, uid: 0, gid: 0, size: 0 }]]);
  private kids = new Map<string, Set<string>>([["", new Set()]]);
  private unpacked?: Promise<string>;
  /**
   * Every entry of the tar sits at its own path: none under a symlinked or missing parent, no
   * hardlink, whiteout or path given twice. Then a directory's entries can be read straight
   * from the tar (entriesUnder) and land where the unpacked context would have them.
   */
  private plain = true;

  /**
   * `tar`: the uploaded tar's bytes, each call from the start; `dir`: where it is unpacked when needed,
   * then handed to `settle` (which removes what the index left out).
   */
  private constructor(private tar: () => ByteSource, private dir: string, private settle: (dir: string) => void) {}

  /**
   * Indexes the tar's bytes as `first` gives them (the upload as it arrives); `tar` reads them again
   * for the unpack. The bodies of the files `capture` names come back whole.
   */
  static async index(first: ByteSource, tar: () => ByteSource, dir: string, settle: (dir: string) => void, capture: (path: string) => boolean): Promise<{ tree: ContextTree; captured: Map<string, Uint8Array> }> {
    const tree = new ContextTree(tar, dir, settle);
    const captured = new Map<string, Uint8Array>();
    for await (const { entry, body } of readTar(uncompressed(first))) {
      const path = tree.add(entry);
      if (path === undefined || entry.type !== "file") continue;
      const h = new Bun.CryptoHasher("sha256");
      const keep: Uint8Array[] | undefined = capture(path) ? [] : undefined;
      for await (const chunk of body) {
        h.update(chunk);
        keep?.push(chunk.slice());
      }
      tree.nodes.get(path)!.digest = h.digest("hex");
      if (keep) captured.set(path, Buffer.concat(keep));
    }
    return { tree, captured };
  }

  lstat(path: string): TreeStat | undefined {
    return this.nodes.get(path);
  }

  readlink(path: string): string {
    return this.nodes.get(path)!.linkname!;
  }

  readdir(path: string): string[] {
    return [...(this.kids.get(path) ?? [])];
  }

  async fileDigest(path: string): Promise<string> {
    return this.nodes.get(path)!.digest!;
  }

  directory(): Promise<string> {
    this.unpacked ??= applyLayer(this.tar(), this.dir, { whiteoutMode: "delete", devices: "skip" }).then(() => {
      this.settle(this.dir);
      return this.dir;
    });
    return this.unpacked;
  }

  /** Whether entriesUnder can stand in for a copy of the unpacked directory. */
  get readsInPlace(): boolean {
    return this.plain;
  }

  /**
   * The entries below directory `dir` (not `dir` itself), read again from the tar, paths relative
   * to it, as the index holds them: what .dockerignore or the secrets took out is left out, so are
   * fifos and devices (COPY copies neither). `chmod` replaces every mode. Only when readsInPlace.
   */
  async *entriesUnder(dir: string, chmod?: number): AsyncGenerator<TarWriteItem> {
    if (!this.plain) throw new Error("internal error: the context's tar does not place its entries at their own paths");
    const prefix = dir ? `${dir}/` : "";
    const kinds: Record<string, TreeStat["kind"]> = { dir: "dir", file: "file", symlink: "symlink" };
    for await (const { entry, body } of readTar(uncompressed(this.tar()))) {
      const path = entryParts(entry.path).join("/");
      if (!path.startsWith(prefix) || path === dir) continue;
      const node = this.nodes.get(path);
      if (!node || node.kind !== kinds[entry.type]) continue;
      const rel = path.slice(prefix.length);
      const { xattrs: _x, ...rest } = entry; // COPY takes contents, modes and times, not a context's attributes
      const mode = chmod ?? entry.mode & 0o7777;
      yield entry.type === "file" ? { entry: { ...rest, path: rel, mode }, body } : { entry: { ...rest, path: entry.type === "dir" ? `${rel}/` : rel, mode } };
    }
  }

  /** Every path in the tree but the root, deepest first. */
  paths(): string[] {
    return [...this.nodes.keys()].filter(Boolean).sort((a, b) => b.split("/").length - a.split("/").length);
  }

  /** Takes `path` and everything below it out of the index. */
  remove(path: string): void {
    for (const name of this.kids.get(path) ?? []) this.remove(`${path}/${name}`);
    this.kids.delete(path);
    this.nodes.delete(path);
    const slash = path.lastIndexOf("/");
    this.kids.get(slash < 0 ? "" : path.slice(0, slash))?.delete(path.slice(slash + 1));
  }

  /** Places one tar entry; returns its path in the tree, or undefined when it places nothing. */
  private add(e: TarEntry): string | undefined {
    const parts = entryParts(e.path);
    if (!parts.length) return undefined;
    const name = parts.pop()!;
    const parent = this.makeParents(parts, e.path);
    const path = parent ? `${parent}/${name}` : name;
    if (name.startsWith(WH)) {
      this.plain = false;
      const victim = name.slice(WH.length);
      if (!victim.startsWith(WH)) this.remove(parent ? `${parent}/${victim}` : victim);
      return undefined;
    }
    const stat = { mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, size: 0 };
    let node: Node;
    switch (e.type) {
      case "dir":
        node = { kind: "dir", ...stat };
        break;
      case "file":
        node = { kind: "file", ...stat, size: e.size };
        break;
      case "symlink":
        node = { kind: "symlink", ...stat, linkname: e.linkname ?? "" };
        break;
      case "hardlink": {
        this.plain = false;
        const target = this.nodes.get(resolveIn(this, entryParts(e.linkname ?? "", "hardlink target").join("/"), false));
        if (!target || target.kind === "dir") throw new InvalidDataError(`invalid layer: hardlink ${JSON.stringify(e.path)} points at missing ${JSON.stringify(e.linkname)}`);
        node = target; // the same inode: its stat and content
        break;
      }
      case "fifo":
        node = { kind: "other", ...stat };
        break;
      default:
        return undefined; // devices: the applier leaves them out of a context
    }
    const old = this.nodes.get(path);
    if (old) this.plain = false;
    if (old && !(old.kind === "dir" && node.kind === "dir")) this.remove(path);
    this.nodes.set(path, node);
    this.kids.get(parent)!.add(name);
    if (node.kind === "dir" && !this.kids.has(path)) this.kids.set(path, new Set());
    return path;
  }

  /** The resolved parent directory of an entry, its missing components made as the applier makes them. */
  private makeParents(parts: string[], forPath: string): string {
    let at = "";
    for (const part of parts) {
      const literal = at ? `${at}/${part}` : part;
      const next = resolveIn(this, literal);
      if (next !== literal) this.plain = false;
      const node = this.nodes.get(next);
      if (!node) {
        this.plain = false;
        const slash = next.lastIndexOf("/");
        const up = slash < 0 ? "" : next.slice(0, slash);
        if (this.nodes.get(up)?.kind !== "dir") throw new InvalidDataError(`invalid layer: ${JSON.stringify(forPath)}: ${up} is not a directory`);
        this.nodes.set(next, { kind: "dir", mode: 0o755, uid: 0, gid: 0, size: 0 });
        this.kids.set(next, new Set());
        this.kids.get(up)!.add(next.slice(slash + 1));
      } else if (node.kind !== "dir") {
        throw new InvalidDataError(`invalid layer: ${JSON.stringify(forPath)}: ${next} is not a directory`);
      }
      at = next;
    }
    return at;
  }
}

// A push-based tar reader: bytes arrive in chunks split anywhere, events come
// out (entry header, data slices, entry end). Reads ustar, GNU (long names
// `L`, long links `K`, base-256 numbers) and PAX (`x` local and `g` global
// records). File data is handed out as slices of the pushed chunk: no copy.
import { InvalidDataError } from "../../errors.ts";
import type { TarEntry, TarEntryType, TarEvent, TarWalker } from "./types.ts";
import { BLOCK, checksumMatches, isZeroBlock, readNumber, readString } from "./fields.ts";
import { parsePaxRecords, paxNumber, paxString } from "./pax.ts";

/** Largest PAX/GNU metadata record accepted, so a hostile header cannot make us buffer gigabytes. */
const MAX_META = 16 << 20;

const TYPES: Record<number, TarEntryType> = {
  0x30: "file", 0x00: "file", 0x37: "file", // '0', old '\0', '7' contiguous
  0x31: "hardlink", 0x32: "symlink", 0x33: "char", 0x34: "block", 0x35: "dir", 0x36: "fifo",
};

const enum State { Header, Data, Pad, Meta, End }
type MetaKind = "pax" | "global" | "longName" | "longLink";

export class TarStreamWalker implements TarWalker {
  private state = State.Header;
  private header = new Uint8Array(BLOCK);
  private headerFill = 0;
  private remaining = 0; // bytes of data (or metadata) left in the current record
  private pad = 0; // padding bytes left after it
  private padFull = 0; // the padding's whole length
  private afterData = false; // the padding follows entry data (not a PAX/GNU record)
  private meta: Uint8Array | null = null;
  private metaFill = 0;
  private metaKind: MetaKind = "pax";
  private sawZeroBlock = false;
  private global = new Map<string, Uint8Array>();
  private local = new Map<string, Uint8Array>();
  private longName: string | undefined;
  private longLink: string | undefined;

  push(chunk: Uint8Array): TarEvent[] {
    const events: TarEvent[] = [];
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      switch (this.state) {
        case State.Header: {
          let block: Uint8Array;
          if (this.headerFill === 0 && len - pos >= BLOCK) {
            block = chunk.subarray(pos, pos + BLOCK);
            pos += BLOCK;
          } else {
            const n = Math.min(BLOCK - this.headerFill, len - pos);
            this.header.set(chunk.subarray(pos, pos + n), this.headerFill);
            this.headerFill += n;
            pos += n;
            if (this.headerFill < BLOCK) continue;
            this.headerFill = 0;
            block = this.header;
          }
          this.onHeader(block, events);
          break;
        }
        case State.Data: {
          const n = Math.min(this.remaining, len - pos);
          events.push({ kind: "data", data: chunk.subarray(pos, pos + n) });
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            events.push({ kind: "entryEnd" });
            this.state = this.pad > 0 ? State.Pad : State.Header;
          }
          break;
        }
        case State.Pad: {
          const n = Math.min(this.pad, len - pos);
          pos += n;
          this.pad -= n;
          if (this.pad === 0) this.state = State.Header;
          break;
        }
        case State.Meta: {
          const n = Math.min(this.remaining, len - pos);
          this.meta!.set(chunk.subarray(pos, pos + n), this.metaFill);
          this.metaFill += n;
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.onMeta();
            this.state = this.pad > 0 ? State.Pad : State.Header;
          }
          break;
        }
        case State.End:
          return events; // trailing record padding after the end marker
      }
    }
    return events;
  }

  finish(): void {
    if (this.state === State.End) return;
    // Go's archive/tar (so Docker and containerd) also accepts a stream that
    // stops right after the last entry's data, before its padding: umoci
    // 0.4 writes such layers. A partial padding is still an error.
    const atEntryEnd = this.state === State.Pad && this.pad === this.padFull && this.afterData;
    if (!atEntryEnd && (this.state !== State.Header || this.headerFill !== 0)) {
      throw new InvalidDataError("invalid tar: unexpected end of archive inside an entry");
    }
    if (this.local.size > 0 || this.longName !== undefined || this.longLink !== undefined) {
      throw new InvalidDataError("invalid tar: unexpected end of archive after an extended header");
    }
  }

  private onHeader(h: Uint8Array, events: TarEvent[]): void {
    if (isZeroBlock(h)) {
      if (this.sawZeroBlock) this.state = State.End;
      this.sawZeroBlock = true;
      return;
    }
    if (this.sawZeroBlock) throw new InvalidDataError("invalid tar header: data after an end-of-archive block");
    if (!checksumMatches(h)) throw new InvalidDataError("invalid tar header: checksum mismatch");
    const flag = h[156]!;
    const headerSize = readNumber(h, 124, 12, "size");
    if (headerSize < 0) throw new InvalidDataError("invalid tar header: negative size");
    const metaKind: MetaKind | undefined =
      flag === 0x78 ? "pax" : flag === 0x67 ? "global" : flag === 0x4c ? "longName" : flag === 0x4b ? "longLink" : undefined;
    if (metaKind) return this.startMeta(metaKind, headerSize);

    let type = TYPES[flag];
    if (type === undefined) {
      const c = String.fromCharCode(flag);
      if (c === "S" || this.local.has("GNU.sparse.major") || this.local.has("GNU.sparse.size")) {
        throw new InvalidDataError("invalid tar: GNU sparse files are not supported");
      }
      throw new InvalidDataError(`invalid tar header: unsupported entry type ${JSON.stringify(c)}`);
    }
    for (const k of this.local.keys()) {
      if (k.startsWith("GNU.sparse.")) throw new InvalidDataError("invalid tar: GNU sparse files are not supported");
    }
    const entry = this.entryFrom(h, type, headerSize);
    events.push({ kind: "entry", entry });
    this.local.clear();
    this.longName = this.longLink = undefined;
    if (entry.size > 0) {
      this.remaining = entry.size;
      this.pad = this.padFull = (BLOCK - (entry.size % BLOCK)) % BLOCK;
      this.afterData = true;
      this.state = State.Data;
    } else {
      events.push({ kind: "entryEnd" });
    }
  }

  private entryFrom(h: Uint8Array, headerType: TarEntryType, headerSize: number): TarEntry {
    const pax = (k: string) => {
      const v = this.local.has(k) ? this.local.get(k) : this.global.get(k);
      return v && v.length > 0 ? v : undefined;
    };
    // Only POSIX ustar ("ustar\0") has a name prefix; GNU keeps other fields there.
    const posix = h[257] === 0x75 && h[262] === 0 && readString(h, 257, 6) === "ustar";
    let name = readString(h, 0, 100);
    if (posix && h[345] !== 0) name = `${readString(h, 345, 155)}/${name}`;
    let path = paxString(pax("path")) ?? this.longName ?? name;
    let type = headerType;
    // Old tars mark directories with a trailing slash on an old-style file entry.
    if (h[156] === 0 && path.endsWith("/")) type = "dir";
    if (path === "") throw new InvalidDataError("invalid tar header: empty path");
    const entry: TarEntry = {
      path,
      type,
      mode: readNumber(h, 100, 8, "mode") & 0o7777,
      uid: readNumber(h, 108, 8, "uid"),
      gid: readNumber(h, 116, 8, "gid"),
      size: 0,
      mtime: readNumber(h, 136, 12, "mtime"),
    };
    let size = headerSize;
    const p = pax("size");
    if (p) size = paxNumber(p, "size", false);
    if (type === "file") entry.size = size;
    const mt = pax("mtime");
    if (mt) entry.mtime = paxNumber(mt, "mtime", true);
    const uid = pax("uid");
    if (uid) entry.uid = paxNumber(uid, "uid", false);
    const gid = pax("gid");
    if (gid) entry.gid = paxNumber(gid, "gid", false);
    const uname = paxString(pax("uname")) ?? readString(h, 265, 32);
    if (uname) entry.uname = uname;
    const gname = paxString(pax("gname")) ?? readString(h, 297, 32);
    if (gname) entry.gname = gname;
    if (type === "symlink" || type === "hardlink") {
      const link = paxString(pax("linkpath")) ?? this.longLink ?? readString(h, 157, 100);
      if (link === "") throw new InvalidDataError(`invalid tar header: ${type} ${path} has no target`);
      entry.linkname = link;
    }
    if (type === "char" || type === "block") {
      entry.devmajor = readNumber(h, 329, 8, "devmajor");
      entry.devminor = readNumber(h, 337, 8, "devminor");
    }
    const xattrs = this.xattrs();
    if (xattrs) entry.xattrs = xattrs;
    return entry;
  }

  private xattrs(): Record<string, Uint8Array> | undefined {
    let out: Record<string, Uint8Array> | undefined;
    for (const map of [this.global, this.local]) {
      for (const [k, v] of map) {
        if (k.startsWith("SCHILY.xattr.")) (out ??= {})[k.slice(13)] = v;
      }
    }
    return out;
  }

  private startMeta(kind: MetaKind, size: number): void {
    if (size > MAX_META) throw new InvalidDataError(`invalid tar: extended header of ${size} bytes is too large`);
    this.metaKind = kind;
    this.meta = new Uint8Array(size);
    this.metaFill = 0;
    this.remaining = size;
    this.pad = this.padFull = (BLOCK - (size % BLOCK)) % BLOCK;
    this.afterData = false;
    if (size === 0) {
      this.onMeta();
      this.state = State.Header;
    } else {
      this.state = State.Meta;
    }
  }

  private onMeta(): void {
    const data = this.meta!;
    this.meta = null;
    switch (this.metaKind) {
      case "pax": {
        const records = new Map<string, Uint8Array>();
        parsePaxRecords(data, records, true);
        for (const [k, v] of records) this.local.set(k, v);
        break;
      }
      case "global":
        parsePaxRecords(data, this.global, false);
        break;
      case "longName":
        this.longName = nulTerminated(data);
        break;
      case "longLink":
        this.longLink = nulTerminated(data);
        break;
    }
  }
}

function nulTerminated(b: Uint8Array): string {
  const z = b.indexOf(0);
  return new TextDecoder().decode(z >= 0 ? b.subarray(0, z) : b);
}

/** The default walker factory; src/layer/wasm offers a second one with the same contract. */
export const newTarStreamWalker = (): TarWalker => new TarStreamWalker();

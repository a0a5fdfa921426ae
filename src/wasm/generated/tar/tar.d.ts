// world root:component/root
/**
* # Variants
* 
* ## `"file"`
* 
* ## `"dir"`
* 
* ## `"symlink"`
* 
* ## `"hardlink"`
* 
* ## `"char-device"`
* 
* ## `"block-device"`
* 
* ## `"fifo"`
*/
export type EntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo';
export interface Xattr {
  name: string,
  value: Uint8Array,
}
export interface Header {
  path: string,
  kind: EntryKind,
  mode: number,
  uid: bigint,
  gid: bigint,
  uname: string,
  gname: string,
  size: bigint,
  mtime: number,
  linkname: string,
  devmajor: number,
  devminor: number,
  xattrs: Array<Xattr>,
}
export type Event = EventEntry | EventData | EventEntryEnd;
export interface EventEntry {
  tag: 'entry',
  val: Header,
}
export interface EventData {
  tag: 'data',
  val: [number, number],
}
export interface EventEntryEnd {
  tag: 'entry-end',
}
export interface ImportObject {
}
export interface Root {
  walkerNew(): number,
  walkerPush(walker: number, chunk: Uint8Array): Array<Event>,
  walkerFinish(walker: number): void,
  walkerDrop(walker: number): void,
  encodeHeader(entry: Header): Uint8Array,
}
export type Result<T, E> = { tag: 'ok', val: T } | { tag: 'err', val: E };

/**
* Instantiates this component with the provided imports and
* returns a map of all the exports of the component.
*
* This function is intended to be similar to the
* `WebAssembly.Instantiate` constructor. The second `imports`
* argument is the "import object" for wasm, except here it
* uses component-model-layer types instead of core wasm
* integers/numbers/etc.
*
* The first argument to this function, `getCoreModule`, is
* used to compile core wasm modules within the component.
* Components are composed of core wasm modules and this callback
* will be invoked per core wasm module. The caller of this
* function is responsible for reading the core wasm module
* identified by `path` and returning its compiled
* `WebAssembly.Module` object. This would use the
* `WebAssembly.Module` constructor on the web, for example.
*/
export function instantiate(
getCoreModule: (path: string) => WebAssembly.Module,
imports: ImportObject,
instantiateCore?: (module: WebAssembly.Module, imports: Record<string, any>) => WebAssembly.Instance
): Root;


// Instantiates a jco-transpiled component (sync instantiation mode) from the
// core module that scripts/build-wasm inlined as base64. Synchronous and lazy:
// nothing is compiled until the first use, so commands that never hash or
// walk tar in WASM pay nothing.

type Instantiate<T> = (
  getCoreModule: (path: string) => WebAssembly.Module,
  imports: Record<string, never>,
) => T;

export function lazyComponent<T>(instantiate: Instantiate<T>, coreName: string, coreBase64: string): () => T {
  let root: T | undefined;
  return () => {
    root ??= instantiate((path) => {
      if (path !== coreName) throw new Error(`wasm: unexpected core module ${path}`);
      return new WebAssembly.Module(Buffer.from(coreBase64, "base64"));
    }, {});
    return root;
  };
}

/** Calls above this size are split: the guest copy of a chunk stays bounded. */
export const MAX_CALL_BYTES = 4 << 20;

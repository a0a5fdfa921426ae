// dlopen on the first call, not at import. Code splitting can put a module that
// binds libc into a chunk that a process loads for other modules (the CLI did,
// twice), and binding costs ~0.5 ms each: only a process that calls pays.
import { dlopen, type FFIFunction, type Library } from "bun:ffi";

export function lazySymbols<Fns extends Record<string, FFIFunction>>(path: string, fns: Fns): Library<Fns>["symbols"] {
  let lib: Library<Fns> | undefined;
  return new Proxy({} as Library<Fns>["symbols"], {
    get: (_, name) => (lib ??= dlopen(path, fns)).symbols[name as keyof Fns],
  });
}

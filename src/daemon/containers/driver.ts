import type { Socket } from "node:net";

// What the container engine needs from the runtime (src/runtime). The engine
// never touches namespaces or cgroups itself; it hands the runtime a container
// directory and reads back the state the shim records there.

export interface RuntimeExit {
  exitCode: number;
  oomKilled: boolean;
  finishedAt: string;
  error?: string;
}

export interface RuntimeStatus {
  running: boolean;
  paused?: boolean;
  pid: number;
  startedAt: string;
  exit?: RuntimeExit;
}

export interface RuntimeDriver {
  /** "overlay2" when the kernel mounts overlayfs here, else "vfs" (copied rootfs). */
  readonly storageDriver: string;
  /** "1" or "2", for `info`. */
  readonly cgroupVersion: string;
  /** Things `info` should warn about (no overlay, no memory cgroup…). */
  readonly warnings: string[];
  /** Starts the shim for a prepared container directory; resolves once the user's program runs. */
  start(dir: string, spec: unknown, attachments?: ((sock: Socket) => void)[]): Promise<RuntimeStatus>;
  /** A connection to the running container's attach socket. */
  connect(dir: string): Socket;
  /** The state recorded in the directory, or undefined when never started. */
  status(dir: string): RuntimeStatus | undefined;
  signal(dir: string, signal: string | number): void;
  /** Resolves with the exit once the container's program has exited. */
  waitExit(dir: string, abort?: AbortSignal): Promise<RuntimeExit>;
  /** For a container being removed: what its shim would have removed, had it not died first. */
  discardLeftovers(dir: string, cgroupPath: string): void;
  /** Prepare ahead what starts need (a loaded shim), so starts are quicker. */
  keepWarm?(): void;
  /** Daemon shutdown: drop what keepWarm prepared; containers keep running. */
  close?(): void;
}

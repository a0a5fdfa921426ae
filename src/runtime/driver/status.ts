// A container's run as the daemon sees it, read from what its shim recorded.

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

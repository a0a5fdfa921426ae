// One line of Docker's JSON message stream (jsonmessage.JSONMessage): how a
// streamed operation (pull, push, load) reports its progress. Below the
// daemon and the image code, which both write it.

/** One progress line of a streamed operation, as Docker's JSON message stream. */
export interface ProgressMessage {
  status?: string;
  stream?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message: string };
  aux?: unknown;
}
export type ProgressSink = (msg: ProgressMessage) => void;

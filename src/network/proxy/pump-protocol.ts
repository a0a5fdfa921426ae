// What the daemon's thread writes to the TCP pump's command pipe: fixed
// records, each written whole in one write (so never split on the pipe).
//   u32 op | i32 listener fd | u16 target family (4, 6) | u16 target port | 16 bytes target address | 4 spare

export const RECORD = 32;
export const OP = { ADD: 1, REMOVE: 2 } as const;

/** The pump's first (and only) message. */
export interface PumpInit {
  /** The command pipe's read end. */
  commands: number;
  /** Where the pump writes one byte per REMOVE done. */
  acks: number;
  /** The daemon's network namespace, which the pump's thread joins. */
  netns: number;
}

// When the daemon makes the next standby process, after one was taken.

/**
 * A standby booting beside the start that took the last one competes with it:
 * for the CPU, and, a container shim's, for the kernel's cgroup lock, which
 * moving its stage 2 into a cgroup holds through an RCU grace period while the
 * start renames and makes cgroups. So it is made a little after. Measured here,
 * interleaved with pauses between runs, `run --rm busybox true` took 43.6 ms
 * instead of 55.6 with the standby made 200 ms after, and 4–7 ms less with 100 ms
 * (in a slower hour); 100 ms leaves more runs in a row a standby to take.
 */
export const standbyRefillDelayMs = 100;

/** Runs `refill` standbyRefillDelayMs from now, without keeping the daemon alive for it. */
export function refillSoon(refill: () => void): void {
  setTimeout(refill, standbyRefillDelayMs).unref?.();
}

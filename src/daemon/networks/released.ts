// Endpoints of containers that stopped, whose host veth the kernel takes away
// by itself: the container's namespace goes once unpinned, and with it the
// inner end and so the pair. Deleting the veth here instead costs the stop
// 16–50 ms (RTM_DELLINK waits for an RCU grace period in the caller) and
// `run --rm` waits for that. Until a veth is seen gone, its addresses are not
// handed out again (two hosts with one address on a bridge); one still there
// after a grace period (something else holds the namespace open) is deleted.
import { hostLinkNames, removeLink } from "../../network/bridge.ts";
import { debugLog } from "../../shared/debug-log.ts";

interface Released {
  networkId: string;
  hostVeth: string;
  addresses: string[];
  at: number;
}

export class ReleasedEndpoints {
  private entries: Released[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly graceMs = 2000) {}

  add(networkId: string, hostVeth: string, addresses: string[]): void {
    this.entries.push({ networkId, hostVeth, addresses, at: Date.now() });
    this.schedule();
  }

  /** The addresses on the network whose veth is still there (those gone are forgotten). */
  held(networkId: string): string[] {
    if (!this.entries.some((e) => e.networkId === networkId)) return [];
    this.forgetGone();
    return this.entries.filter((e) => e.networkId === networkId).flatMap((e) => e.addresses);
  }

  /** An address asked for by name: the veth still holding it goes now. */
  reclaim(networkId: string, address: string): void {
    for (const e of this.entries.filter((x) => x.networkId === networkId && x.addresses.includes(address))) this.remove(e);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private remove(e: Released): void {
    try {
      removeLink(e.hostVeth);
    } catch (err) {
      debugLog(`deleting the lingering veth ${e.hostVeth}`, err);
    }
    this.entries = this.entries.filter((x) => x !== e);
  }

  private forgetGone(): void {
    const present = hostLinkNames();
    this.entries = this.entries.filter((e) => present.has(e.hostVeth));
  }

  /** After the grace period: whatever is still there is deleted. */
  private schedule(): void {
    if (this.timer || !this.entries.length) return;
    const wait = Math.max(0, this.entries[0]!.at + this.graceMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.forgetGone();
        for (const e of this.entries.filter((x) => Date.now() - x.at >= this.graceMs)) this.remove(e);
      } catch (err) {
        debugLog("sweeping released veths", err);
      }
      this.schedule();
    }, wait);
    this.timer.unref?.();
  }
}

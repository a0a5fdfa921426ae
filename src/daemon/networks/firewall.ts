// The daemon's side of nf_tables: whether berth's table is in use, and
// keeping it equal to the networks and published ports of the moment. Where
// nf_tables cannot be had (a kernel without it, no CAP_NET_ADMIN) or
// `--iptables=false` turns it off, containers still run and -p still answers
// through the userland proxy; info says which it is.
import { readFileSync, writeFileSync } from "node:fs";
import { applyRuleset, tableName, type Ruleset } from "../../network/nftables/ruleset.ts";

export interface FirewallBackend {
  Driver: string;
  Info: [string, string][];
}

const ipForward = "/proc/sys/net/ipv4/ip_forward";
const ipv6Forward = "/proc/sys/net/ipv6/conf/all/forwarding";

export class Firewall {
  /** Why the table is not used; undefined while it is. */
  private off?: string;
  private probed = false;
  /** Whether this daemon made the table (with no bridge network it leaves the namespace's firewall untouched). */
  private installed = false;
  private ipv6Routed = false;

  constructor(enabled: boolean, private readonly log: (level: string, message: string) => void) {
    if (!enabled) this.off = "--iptables=false";
  }

  get active(): boolean {
    return !this.off;
  }

  /** Whether the daemon's namespace routes IPv4 between interfaces (info's IPv4Forwarding). */
  forwarding(): boolean {
    try {
      return readFileSync(ipForward, "utf8").trim() === "1";
    } catch {
      return false; // no /proc/sys here: forwarding cannot be told, so it is not claimed
    }
  }

  /**
   * Makes the table hold `rules`. The first call finds out whether nf_tables
   * works here; a failure then turns the firewall off for the daemon's life,
   * a later one is logged and the next change tries again.
   */
  sync(rules: () => Ruleset): void {
    if (this.off) return;
    const r = rules();
    if (!r.bridges.length && !this.installed) return;
    try {
      applyRuleset(r.bridges.length ? r : undefined);
      this.installed = r.bridges.length > 0;
    } catch (e) {
      if (this.probed) {
        this.log("warn", `nf_tables: cannot update table ${tableName}: ${(e as Error).message}`);
        return;
      }
      this.off = `nf_tables is not available: ${(e as Error).message}`;
      this.log("warn", `${this.off}; no outbound NAT, published ports only through the userland proxy`);
      return;
    }
    if (!this.probed) {
      this.probed = true;
      this.enableForwarding(ipForward, "IPv4");
    }
    // IPv6 only once a network has an IPv6 subnet: forwarding turns off router advertisements on the namespace's links.
    if (!this.ipv6Routed && r.bridges.some((b) => b.subnets.some((s) => s.family === 6))) {
      this.ipv6Routed = true;
      this.enableForwarding(ipv6Forward, "IPv6");
    }
  }

  /** Containers' traffic is routed on from their bridges, as dockerd's --ip-forward does. */
  private enableForwarding(path: string, what: string): void {
    try {
      if (readFileSync(path, "utf8").trim() !== "1") writeFileSync(path, "1");
    } catch (e) {
      this.log("warn", `cannot enable ${what} forwarding: ${(e as Error).message}`);
    }
  }

  /** info's FirewallBackend. */
  backend(): FirewallBackend {
    if (!this.off) return { Driver: "nftables", Info: [["Table", `inet ${tableName}`], ["Published ports", "DNAT, and the userland proxy for loopback"]] };
    return { Driver: "none", Info: [["Published ports", "userland proxy"], ["Reason", this.off]] };
  }

  /** The warning info shows when the table is not used for want of nf_tables. */
  warning(): string | undefined {
    return this.off && this.off !== "--iptables=false" ? `${this.off}: containers have no outbound NAT` : undefined;
  }
}

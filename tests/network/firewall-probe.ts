// Run by nat.test.ts where nf_tables refuses berth (a user namespace without
// CAP_NET_ADMIN over the network namespace): the daemon's firewall tries its
// table once and prints what info would then say.
import { Firewall } from "../../src/daemon/networks/firewall.ts";
import { parsePrefix } from "../../src/network/ip.ts";

const logged: string[] = [];
const f = new Firewall(true, (level, message) => logged.push(`${level}: ${message}`));
const rules = { bridges: [{ bridge: "br-probe", subnets: [parsePrefix("172.30.0.0/16")!], masquerade: true }], forwards: [] };
f.sync(() => rules);
f.sync(() => rules);
console.log(JSON.stringify({ active: f.active, backend: f.backend(), warning: f.warning(), logged }));

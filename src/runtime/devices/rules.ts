// Which device nodes a container may make and open: an ordered list of rules,
// as OCI's linux.resources.devices has them. cgroup v1 takes them as lines in
// devices.deny/devices.allow; cgroup v2 as an eBPF program (bpf-program.ts).

export interface DeviceRule {
  allow: boolean;
  /** "a" matches every device (and then major/minor are ignored). */
  type: "a" | "c" | "b";
  /** undefined: any. */
  major?: number;
  minor?: number;
  /** Some of "r" (read), "w" (write), "m" (mknod). */
  access: string;
}

const rwm = "rwm";
const char = (major: number, minor?: number): DeviceRule => ({ allow: true, type: "c", major, minor, access: rwm });

/**
 * Docker's defaults: deny everything, allow making any node (CAP_MKNOD is a
 * default capability), and open only null, zero, full, random, urandom, tty,
 * console, ptmx, the pty slaves (136:*) and tun.
 */
export const defaultDeviceRules: readonly DeviceRule[] = [
  { allow: false, type: "a", access: rwm },
  { allow: true, type: "c", access: "m" },
  { allow: true, type: "b", access: "m" },
  char(1, 3), char(1, 5), char(1, 7), char(1, 8), char(1, 9),
  char(5, 0), char(5, 1), char(5, 2), char(136), char(10, 200),
];

/** Everything, for --privileged. */
export const allowAllDevices: readonly DeviceRule[] = [{ allow: true, type: "a", access: rwm }];

/** The rules of a container: the defaults (or all, privileged) and then its own allow rules. */
export function containerDeviceRules(privileged: boolean, extra: DeviceRule[] = []): DeviceRule[] {
  return privileged ? [...allowAllDevices] : [...defaultDeviceRules, ...extra];
}

const ruleSyntax = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** `--device-cgroup-rule 'c 42:* rmw'`; throws with Docker's message. */
export function parseDeviceCgroupRule(text: string): DeviceRule {
  const m = ruleSyntax.exec(text.trim());
  if (!m || new Set(m[4]).size !== m[4]!.length) throw new Error(`invalid device cgroup rule format: '${text}'`);
  const num = (s: string) => (s === "*" ? undefined : Number(s));
  return { allow: true, type: m[1] as DeviceRule["type"], major: num(m[2]!), minor: num(m[3]!), access: m[4]! };
}

/** Whether `access` is made only of r, w and m (`--device /dev/x:rw`). */
export function validDeviceAccess(access: string): boolean {
  return /^[rwm]{1,3}$/.test(access) && new Set(access).size === access.length;
}

/** The line cgroup v1 takes in devices.allow / devices.deny ("c 1:3 rwm", "a"). */
export function v1RuleLine(r: DeviceRule): string {
  if (r.type === "a") return "a";
  const n = (v?: number) => (v === undefined ? "*" : String(v));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

// Docker's block I/O settings (--blkio-weight, --blkio-weight-device, --device-{read,write}-{bps,iops}):
// at create, checked, and each this host's cgroups cannot apply is discarded with dockerd's warning;
// at start, each device path becomes the numbers the cgroup files take.
import { statSync } from "node:fs";
import { InvalidParameterError } from "../../errors.ts";
import { blockIOSupport, deviceAt, type BlockIO } from "../../runtime/index.ts";

type Json = Record<string, any>;

const throttles = [
  ["BlkioDeviceReadBps", "readBps", "Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded."],
  ["BlkioDeviceWriteBps", "writeBps", "Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded."],
  ["BlkioDeviceReadIOps", "readIops", "Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded."],
  ["BlkioDeviceWriteIOps", "writeIops", "Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded."],
] as const;

/**
 * At create: dockerd's range check, and its warnings for what this host cannot apply (dropped from
 * `hc`). The host's cgroups are looked at only for a container that asks for any of it.
 */
export function blockIOWarnings(hc: Json, probe: () => ReturnType<typeof blockIOSupport> = blockIOSupport): string[] {
  const warnings: string[] = [];
  const weight = Number(hc.BlkioWeight ?? 0);
  if (weight > 0 && (weight < 10 || weight > 1000)) throw new InvalidParameterError("Range of blkio weight is from 10 to 1000");
  if (!weight && !hc.BlkioWeightDevice?.length && !throttles.some(([key]) => hc[key]?.length)) return warnings;
  const support = probe();
  if (weight > 0 && !support.weight) {
    warnings.push("Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.");
    hc.BlkioWeight = 0;
  }
  if (hc.BlkioWeightDevice?.length && !support.weightDevice) {
    warnings.push("Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.");
    hc.BlkioWeightDevice = [];
  }
  for (const [key, , warning] of throttles) {
    if (hc[key]?.length && !support.throttle) {
      warnings.push(warning);
      hc[key] = [];
    }
  }
  return warnings;
}

/** At start: the settings with devices by number; a path that is gone fails the start, as in dockerd. */
export function blockIOOf(hc: Json): BlockIO | undefined {
  const out: BlockIO = {};
  if (hc.BlkioWeight) out.weight = Number(hc.BlkioWeight);
  const devices = (list: { Path: string; Weight?: number; Rate?: number }[] | undefined, value: (d: { Weight?: number; Rate?: number }) => number) =>
    (list ?? []).map((d) => {
      const node = deviceAt(d.Path, d.Path, statSync(d.Path));
      if (!node) throw new InvalidParameterError(`${d.Path} is not a device`);
      return { major: node.major, minor: node.minor, value: value(d) };
    });
  if (hc.BlkioWeightDevice?.length) out.weightDevices = devices(hc.BlkioWeightDevice, (d) => Number(d.Weight));
  for (const [key, field] of throttles) if (hc[key]?.length) out[field] = devices(hc[key], (d) => Number(d.Rate));
  return Object.keys(out).length ? out : undefined;
}

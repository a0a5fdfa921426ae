// docker/go-units: human sizes, durations and size parsing, byte for byte.
import { InvalidParameterError } from "../errors.ts";
import { formatFloat } from "./go-floats.ts";

const decimalAbbrs = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const binaryAbbrs = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

function sizeAndUnit(size: number, base: number, abbrs: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < abbrs.length - 1) {
    size /= base;
    i++;
  }
  return [size, abbrs[i]!];
}

/** units.HumanSizeWithPrecision: fmt "%.{precision}g" + decimal unit ("7.05MB" at 3). */
export function humanSizeWithPrecision(size: number, precision: number): string {
  const [s, unit] = sizeAndUnit(size, 1000, decimalAbbrs);
  return formatFloat(s, "g", precision) + unit;
}

/** units.HumanSize: 4 significant digits, decimal units ("1.235kB", "0B"). */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** units.BytesSize: 4 significant digits, binary units ("44KiB", "1.5GiB"). */
export function bytesSize(size: number): string {
  const [s, unit] = sizeAndUnit(size, 1024, binaryAbbrs);
  return formatFloat(s, "g", 4) + unit;
}

/** units.HumanDuration: "Less than a second", "About a minute", "3 hours", "2 weeks", … */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** docker's "CREATED" column: HumanDuration(now - date) + " ago". */
export function timeAgo(date: Date | string | number, now: Date = new Date()): string {
  const t = date instanceof Date ? date.getTime() : typeof date === "number" ? date : Date.parse(date);
  return humanDuration(now.getTime() - t) + " ago";
}

const KB = 1000, KiB = 1024;
const decimalMap: Record<string, number> = { k: KB, m: KB ** 2, g: KB ** 3, t: KB ** 4, p: KB ** 5 };
const binaryMap: Record<string, number> = { k: KiB, m: KiB ** 2, g: KiB ** 3, t: KiB ** 4, p: KiB ** 5 };

/** strconv.ParseFloat for the decimal forms (and inf/nan), with Go's error text. */
function parseGoFloat(s: string): number {
  if (/^[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !s.includes("_")) return Number(s);
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  throw new InvalidParameterError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
}

function parseSize(sizeStr: string, map: Record<string, number>): number {
  // The number ends at the last digit, dot or space; the rest is the suffix.
  let sep = -1;
  for (let i = sizeStr.length - 1; i >= 0; i--) {
    if (/[0-9. ]/.test(sizeStr[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new InvalidParameterError(`invalid size: '${sizeStr}'`);
  const num = sizeStr[sep] !== " " ? sizeStr.slice(0, sep + 1) : sizeStr.slice(0, sep);
  let sfx = sizeStr.slice(sep + 1);
  let size = parseGoFloat(num);
  if (size < 0) throw new InvalidParameterError(`invalid size: '${sizeStr}'`);
  if (sfx.length === 0) return Math.trunc(size);
  const badSuffix = () => new InvalidParameterError(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw badSuffix();
  sfx = sfx.toLowerCase();
  if (sfx[0] === "b") {
    if (sfx.length > 1) throw badSuffix();
    return Math.trunc(size);
  }
  const mul = map[sfx[0]!];
  if (mul === undefined) throw badSuffix();
  size *= mul;
  if ((sfx.length === 2 && sfx[1] !== "b") || (sfx.length === 3 && sfx.slice(1) !== "ib")) throw badSuffix();
  return Math.trunc(size);
}

/** units.RAMInBytes: "32m", "512k", "1g", "1.5GB" with binary multipliers (what -m and --shm-size use). */
export function parseBytes(size: string): number {
  return parseSize(size, binaryMap);
}

/** units.FromHumanSize: the same syntax with decimal multipliers ("1kB" = 1000). */
export function fromHumanSize(size: string): number {
  return parseSize(size, decimalMap);
}

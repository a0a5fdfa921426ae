// docker/go-units behaviour (cases from go-units' own tests and Go's %g rules),
// and docker's ID/ellipsis helpers.
import { describe, expect, test } from "bun:test";
import { ellipsis, quote, shortId, displayId } from "../../src/cli/format/ids.ts";
import { bytesSize, fromHumanSize, humanDuration, humanSize, humanSizeWithPrecision, parseBytes, timeAgo } from "../../src/shared/units.ts";
import { InvalidParameterError } from "../../src/errors.ts";

const KB = 1000, MB = KB ** 2, GB = KB ** 3, TB = KB ** 4, PB = KB ** 5;
const KiB = 1024, MiB = KiB ** 2, GiB = KiB ** 3, TiB = KiB ** 4, PiB = KiB ** 5;

describe("HumanSize / BytesSize", () => {
  const human: [number, string][] = [
    [0, "0B"], [999, "999B"], [1000, "1kB"], [1024, "1.024kB"], [1000000, "1MB"], [1048576, "1.049MB"],
    [2 * MB, "2MB"], [3.42 * GB, "3.42GB"], [5.372 * TB, "5.372TB"], [2.22 * PB, "2.22PB"],
    [1e28, "1e+04YB"], [999999999, "1000MB"], [1062500, "1.062MB"], [1063500, "1.063MB"] /* 1.06349999… as a double */,
  ];
  for (const [n, want] of human) test(`HumanSize(${n}) = ${want}`, () => expect(humanSize(n)).toBe(want));

  const precision3: [number, string][] = [
    [13256, "13.3kB"], [7050000, "7.05MB"], [1240, "1.24kB"], [4261050, "4.26MB"], [0, "0B"], [100, "100B"],
  ];
  for (const [n, want] of precision3) {
    test(`HumanSizeWithPrecision(${n}, 3) = ${want}`, () => expect(humanSizeWithPrecision(n, 3)).toBe(want));
  }

  const binary: [number, string][] = [
    [1024, "1KiB"], [1024 * 1024, "1MiB"], [1048576, "1MiB"], [2 * MiB, "2MiB"], [3.42 * GiB, "3.42GiB"],
    [5.372 * TiB, "5.372TiB"], [2.22 * PiB, "2.22PiB"], [0, "0B"], [1536, "1.5KiB"],
  ];
  for (const [n, want] of binary) test(`BytesSize(${n}) = ${want}`, () => expect(bytesSize(n)).toBe(want));
});

describe("HumanDuration", () => {
  const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h, w = 7 * d, mo = 30 * d, y = 365 * d;
  const cases: [number, string][] = [
    [450, "Less than a second"], [-5 * s, "Less than a second"], [1 * s, "1 second"], [45 * s, "45 seconds"],
    [59 * s, "59 seconds"], [60 * s, "About a minute"], [3 * m, "3 minutes"], [35 * m + 40 * s, "35 minutes"],
    [59 * m, "59 minutes"], [1 * h, "About an hour"], [h + 29 * m, "About an hour"], [h + 31 * m, "2 hours"],
    [h + 59 * m, "2 hours"], [3 * h + 29 * m, "3 hours"], [3 * h + 31 * m, "4 hours"], [24 * h, "24 hours"],
    [d + 12 * h, "36 hours"], [2 * d, "2 days"], [7 * d, "7 days"], [13 * d + 5 * h, "13 days"], [2 * w, "2 weeks"],
    [2 * w + 4 * d, "2 weeks"], [3 * w, "3 weeks"], [4 * w, "4 weeks"], [4 * w + 3 * d, "4 weeks"], [mo, "4 weeks"],
    [2 * mo, "2 months"], [3 * mo + w, "3 months"], [5 * mo + 2 * w, "5 months"], [13 * mo, "13 months"],
    [23 * mo, "23 months"], [24 * mo, "24 months"], [2 * y, "2 years"], [3 * y + 2 * mo, "3 years"],
  ];
  for (const [ms, want] of cases) test(`${ms} ms → ${want}`, () => expect(humanDuration(ms)).toBe(want));

  test("timeAgo", () => {
    const now = new Date("2025-06-01T12:00:00Z");
    expect(timeAgo("2025-06-01T11:55:00Z", now)).toBe("5 minutes ago");
    expect(timeAgo(new Date("2025-05-18T12:00:00Z"), now)).toBe("2 weeks ago");
    expect(timeAgo(now.getTime() - 500, now)).toBe("Less than a second ago");
  });
});

describe("RAMInBytes / FromHumanSize", () => {
  const good: [string, number][] = [
    ["32", 32], ["32b", 32], ["32B", 32], ["32k", 32 * KiB], ["32K", 32 * KiB], ["32kb", 32 * KiB], ["32Kb", 32 * KiB],
    ["32Kib", 32 * KiB], ["32KiB", 32 * KiB], ["32Mb", 32 * MiB], ["32m", 32 * MiB], ["32Gb", 32 * GiB], ["1g", GiB],
    ["32Tb", 32 * TiB], ["32Pb", 32 * PiB], ["32PB", 32 * PiB], ["32P", 32 * PiB], ["512k", 512 * KiB],
    ["1.5GB", 1.5 * GiB], ["32.3", 32], ["0.3m", Math.trunc(0.3 * MiB)], ["32 mb", 32 * MiB], ["1e3", 1000],
  ];
  for (const [s, want] of good) test(`RAMInBytes(${JSON.stringify(s)}) = ${want}`, () => expect(parseBytes(s)).toBe(want));

  const bad: [string, string][] = [
    ["", "invalid size: ''"], ["hello", "invalid size: 'hello'"], ["-32", "invalid size: '-32'"],
    [" 32 ", 'strconv.ParseFloat: parsing " 32": invalid syntax'], ["32.3Kibb", "invalid suffix: 'Kibb'"],
    ["32bm", "invalid suffix: 'bm'"], ["32x", "invalid suffix: 'x'"], ["32MX", "invalid suffix: 'mx'"], ["32kbb", "invalid suffix: 'kbb'"],
    ["1..5m", 'strconv.ParseFloat: parsing "1..5": invalid syntax'],
  ];
  for (const [s, msg] of bad) {
    test(`RAMInBytes(${JSON.stringify(s)}) fails`, () => {
      expect(() => parseBytes(s)).toThrow(InvalidParameterError);
      expect(() => parseBytes(s)).toThrow(msg);
    });
  }

  test("FromHumanSize is decimal", () => {
    expect(fromHumanSize("1kB")).toBe(1000);
    expect(fromHumanSize("32MB")).toBe(32 * MB);
    expect(fromHumanSize("1.5g")).toBe(1.5 * GB);
  });
});

describe("IDs and ellipsis", () => {
  const full = "sha256:d2c94e258dcb3c5ac2798d32e1249e42ef01cba4841c2234249495f87264ac5a";
  test("shortId strips the algorithm and keeps 12 characters", () => {
    expect(shortId(full)).toBe("d2c94e258dcb");
    expect(shortId("4f66ad9a0b2e31d7aa")).toBe("4f66ad9a0b2e");
    expect(shortId("abc")).toBe("abc");
    expect(displayId(full, true)).toBe(full);
    expect(displayId(full, false)).toBe("d2c94e258dcb");
  });

  test("ellipsis like formatter.Ellipsis", () => {
    expect(ellipsis("nginx -g 'daemon off;'", 20)).toBe("nginx -g 'daemon of…");
    expect(ellipsis("short", 20)).toBe("short");
    expect(ellipsis("abc", 1)).toBe("a");
    expect(ellipsis("abc", 0)).toBe("");
    expect(ellipsis("你好世界你好", 6)).toBe("你好…");
    expect(ellipsis("你好", 4)).toBe("你好");
    expect(quote(ellipsis("/docker-entrypoint.sh nginx -g 'daemon off;'", 20))).toBe('"/docker-entrypoint.…"');
  });
});

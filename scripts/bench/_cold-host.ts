// Approximating a freshly booted host before each sample (BENCH_COLD=1), for
// the benchmarks whose figures a cold host moves. A VM that backs guest memory
// lazily (Firecracker and other microVMs) pays on the host for the first touch
// of every guest page it has not backed yet; after a boot that is all of them.
// A running guest gets there again for its free memory when it reports free
// pages to the host (virtio-balloon free page reporting, which then drops
// them): so drop the page cache, compact free memory into the 2 MiB blocks
// that reporting hands back, and wait until the reporting has settled. Only
// on request: it empties the page cache of everyone on the machine.
import { $ } from "bun";
import { existsSync, readFileSync } from "node:fs";

export const coldWanted = process.env.BENCH_COLD === "1";

const REPORTED = "/sys/module/page_reporting/parameters/reported_kib";
const ORDER = "/sys/module/page_reporting/parameters/page_reporting_order";
/** Mainline's delay before free pages are reported (PAGE_REPORTING_DELAY, 2 s), with room. */
const MAINLINE_DELAY_MS = 3000;

/** Whether this guest hands free memory back to its host, as the kernel says. */
export function pageReporting(): { order: number; reportedKib?: () => number } | undefined {
  if (!existsSync(ORDER)) return undefined;
  const order = Number(readFileSync(ORDER, "utf8"));
  // reported_kib is not in every kernel: without it, wait out the reporting delay instead.
  const reportedKib = existsSync(REPORTED) ? () => Number(readFileSync(REPORTED, "utf8")) : undefined;
  return { order, reportedKib };
}

/** Empties the caches, compacts free memory and waits until the host has been handed what is free. MiB reported meanwhile, when the kernel says. */
export async function coolHost(): Promise<number | undefined> {
  const reporting = pageReporting();
  const before = reporting?.reportedKib?.();
  await $`sync && echo 3 > /proc/sys/vm/drop_caches && echo 1 > /proc/sys/vm/compact_memory`.quiet();
  if (!reporting) return undefined;
  if (!reporting.reportedKib) {
    await Bun.sleep(MAINLINE_DELAY_MS);
    return undefined;
  }
  // Settled: nothing more reported for a second (reporting works in passes a couple of seconds apart at most).
  const until = Date.now() + 20_000;
  let last = reporting.reportedKib();
  let still = Date.now();
  while (Date.now() < until && Date.now() - still < 2500) {
    await Bun.sleep(250);
    const now = reporting.reportedKib();
    if (now !== last) [last, still] = [now, Date.now()];
  }
  return (last - before!) / 1024;
}

/** What a first touch of a fresh 4 KiB page costs here, µs: 64 MiB touched page by page in a process of its own. */
export async function freshPageCostUs(): Promise<number> {
  const code = "const a=new Uint8Array(64<<20);const t=performance.now();for(let i=0;i<a.length;i+=4096)a[i]=1;console.log((performance.now()-t)*1000/(a.length/4096))";
  const out = await $`${process.execPath} -e ${code}`.quiet();
  return Number(out.stdout.toString().trim());
}

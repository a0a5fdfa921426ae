// Go's Duration.String(), which dockerd's health messages print ("Health check exceeded timeout (1m30s)").
import { expect, test } from "bun:test";
import { formatDuration, parseDuration } from "../../src/shared/duration.ts";

test("durations print as Go prints them and parse back", () => {
  const cases: [number, string][] = [
    [0, "0s"], [300e6, "300ms"], [1.5e9, "1.5s"], [30e9, "30s"], [90e9, "1m30s"], [3600e9, "1h0m0s"], [1500, "1.5µs"], [12, "12ns"],
  ];
  for (const [ns, text] of cases) {
    expect(formatDuration(ns)).toBe(text);
    expect(parseDuration(text)).toBe(ns);
  }
});

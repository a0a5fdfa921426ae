// `--filter label=KEY` and `label=KEY=VALUE`, shared by the container and volume filters.
export function labelMatches(labels: Record<string, string> | null | undefined, want: string): boolean {
  const i = want.indexOf("=");
  if (i < 0) return !!labels && want in labels;
  return labels?.[want.slice(0, i)] === want.slice(i + 1);
}

// IDs and long strings as the docker CLI shows them when --no-trunc is off.

const SHORT_ID_LENGTH = 12;

/** stringid.TruncateID: drops an "algo:" prefix, keeps 12 characters ("sha256:abc…" → "abc…"). */
export function shortId(id: string): string {
  const colon = id.indexOf(":");
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.length > SHORT_ID_LENGTH ? hex.slice(0, SHORT_ID_LENGTH) : hex;
}

/** Docker's image/container ID column: the short ID, or the full ID as given when noTrunc. */
export function displayId(id: string, noTrunc: boolean): string {
  return noTrunc ? id : shortId(id);
}

/** go-runewidth's RuneWidth, simplified: 0 for combining marks and controls, 2 for East Asian wide/fullwidth and emoji. */
export function runeWidth(cp: number): number {
  if (cp >= 0x20 && cp < 0x7f) return 1; // printable ASCII, the common case
  if (cp === 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (/\p{Mn}|\p{Me}/u.test(String.fromCodePoint(cp)) || cp === 0x200b) return 0;
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

/**
 * formatter.Ellipsis: cuts s to at most maxWidth display columns, the last one
 * being "…". Width 1 keeps only the first character; width ≤ 0 gives "".
 */
export function ellipsis(s: string, maxWidth: number): string {
  if (maxWidth <= 0) return "";
  const runes = [...s];
  if (maxWidth === 1) return runes[0] ?? "";
  if (Buffer.byteLength(s) === runes.length) {
    // ASCII fast path, as in docker.
    return runes.length <= maxWidth ? s : runes.slice(0, maxWidth - 1).join("") + "…";
  }
  const ends: number[] = [];
  let total = 0;
  for (const r of runes) {
    total += runeWidth(r.codePointAt(0)!);
    ends.push(total);
  }
  if (total <= maxWidth) return s;
  for (let i = 0; i < ends.length - 1; i++) {
    if (ends[i]! <= maxWidth - 1 && ends[i + 1]! > maxWidth - 1) return runes.slice(0, i + 1).join("") + "…";
  }
  return s;
}

/** Docker's "COMMAND" column: ellipsis at 20 columns unless noTrunc, then strconv.Quote. */
export { goQuote as quote } from "./template/print.ts";

/** Alias of ellipsis, for columns docker truncates when --no-trunc is off. */
export const truncate = ellipsis;

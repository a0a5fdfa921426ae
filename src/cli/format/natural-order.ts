// The docker CLI's "natural" order for names (volume ls sorts by it): runs of
// digits compare by their value, so "vol9" comes before "vol10", and a digit
// sorts before any other character.
const isDigit = (c: number) => c >= 48 && c <= 57;

export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(j);
    const dx = isDigit(x);
    if (dx !== isDigit(y)) return dx ? -1 : 1;
    if (!dx) {
      if (x !== y) return x < y ? -1 : 1;
      i++;
      j++;
      continue;
    }
    // Two numbers: leading zeros aside, the shorter is smaller; then by digits; then fewer zeros first.
    const zi = i;
    const zj = j;
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    const si = i;
    const sj = j;
    while (i < a.length && isDigit(a.charCodeAt(i))) i++;
    while (j < b.length && isDigit(b.charCodeAt(j))) j++;
    if (i - si !== j - sj) return i - si - (j - sj);
    const na = a.slice(si, i);
    const nb = b.slice(sj, j);
    if (na !== nb) return na < nb ? -1 : 1;
    if (si - zi !== sj - zj) return si - zi - (sj - zj);
  }
  return a.length - i - (b.length - j);
}

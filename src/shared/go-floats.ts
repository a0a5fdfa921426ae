// Go's strconv float formatting ('e', 'f', 'g'), with Go's round-half-even on
// the exact binary value (JavaScript's toFixed/toPrecision round ties up).

interface Digits {
  d: string; // significant digits, no leading or trailing zeros ("" for zero)
  dp: number; // decimal point position: value = 0.d × 10^dp
}

function fromExponential(s: string): Digits {
  const [mant, exp] = s.split("e") as [string, string];
  const d = mant.replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  return d === "" ? { d: "", dp: 0 } : { d, dp: Number(exp) + 1 };
}

/** The shortest digits that read back as x (what Go's 'g' with precision -1 uses). */
function shortestDigits(x: number): Digits {
  return fromExponential(Math.abs(x).toExponential());
}

/** The exact decimal digits of x (doubles in the usual range have far fewer than 101 significant digits). */
function exactDigits(x: number): Digits {
  return fromExponential(Math.abs(x).toExponential(100));
}

/** Keeps n digits, rounding half to even on the exact value. */
function roundTo(g: Digits, n: number): Digits {
  if (g.d.length <= n) return g;
  if (n < 0) return { d: "", dp: 0 };
  const next = g.d.charCodeAt(n) - 48;
  const restNonZero = /[1-9]/.test(g.d.slice(n + 1));
  const prevOdd = n > 0 && (g.d.charCodeAt(n - 1) - 48) % 2 === 1;
  const up = next > 5 || (next === 5 && (restNonZero || prevOdd));
  let kept = g.d.slice(0, n);
  let dp = g.dp;
  if (up) {
    const chars = kept.split("");
    let i = chars.length - 1;
    while (i >= 0 && chars[i] === "9") chars[i--] = "0";
    if (i < 0) {
      chars.unshift("1");
      dp++;
    } else chars[i] = String.fromCharCode(chars[i]!.charCodeAt(0) + 1);
    kept = chars.join("");
  }
  kept = kept.replace(/0+$/, "");
  return kept === "" ? { d: "", dp: 0 } : { d: kept, dp };
}

function digitAt(g: Digits, i: number): string {
  return i >= 0 && i < g.d.length ? g.d[i]! : "0";
}

function fmtE(g: Digits, prec: number, upper: boolean): string {
  let s = g.d === "" ? "0" : g.d[0]!;
  if (prec > 0) {
    s += ".";
    for (let i = 1; i <= prec; i++) s += digitAt(g, i);
  }
  const exp = g.d === "" ? 0 : g.dp - 1;
  const e = Math.abs(exp);
  return s + (upper ? "E" : "e") + (exp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + e;
}

function fmtF(g: Digits, prec: number): string {
  let s = "";
  if (g.dp > 0) for (let i = 0; i < g.dp; i++) s += digitAt(g, i);
  else s = "0";
  if (prec > 0) {
    s += ".";
    for (let i = 0; i < prec; i++) s += digitAt(g, g.dp + i);
  }
  return s;
}

/** strconv.FormatFloat(x, fmt, prec, 64); prec -1 means the shortest exact representation. */
export function formatFloat(x: number, fmt: "e" | "E" | "f" | "F" | "g" | "G", prec: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  const neg = x < 0 || Object.is(x, -0);
  const sign = neg ? "-" : "";
  const shortest = prec < 0;
  const lower = fmt.toLowerCase();
  let g: Digits;
  if (shortest) g = shortestDigits(x);
  else if (lower === "e") g = roundTo(exactDigits(x), prec + 1);
  else if (lower === "f") {
    const e = exactDigits(x);
    g = roundTo(e, e.dp + prec);
  } else g = roundTo(exactDigits(x), prec === 0 ? 1 : prec);

  if (lower === "e") return sign + fmtE(g, shortest ? Math.max(g.d.length - 1, 0) : prec, fmt === "E");
  if (lower === "f") return sign + fmtF(g, shortest ? Math.max(g.d.length - g.dp, 0) : prec);
  // 'g': %e when the exponent is small or large, else %f, trailing zeros dropped.
  let p = shortest ? g.d.length : prec === 0 ? 1 : prec;
  let eprec = p;
  if (eprec > g.d.length && g.d.length >= g.dp) eprec = g.d.length;
  if (shortest) eprec = 6;
  const exp = g.dp - 1;
  if (g.d !== "" && (exp < -4 || exp >= eprec)) {
    if (p > g.d.length) p = g.d.length;
    return sign + fmtE(g, p - 1, fmt === "G");
  }
  if (p > g.dp) p = g.d.length;
  return sign + fmtF(g, Math.max(p - g.dp, 0));
}

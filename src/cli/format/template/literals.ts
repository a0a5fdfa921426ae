// Go literal syntax inside actions: quoted strings, character constants, numbers.
import { Float64 } from "./values.ts";

/** Go's strconv.Unquote for double-quoted strings. */
export function unquote(text: string, bad: () => never): string {
  const body = text.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"' };
    if (e !== undefined && simple[e] !== undefined) out += simple[e];
    else if (e === "x" || e === "u" || e === "U") {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) bad();
      const v = parseInt(hex, 16);
      out += e === "x" ? Buffer.from([v]).toString("latin1") : String.fromCodePoint(v);
      i += n;
    } else if (e !== undefined && /[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) bad();
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else bad();
  }
  return out;
}

export function charValue(text: string, bad: () => never): number {
  const inner = text.slice(1, -1);
  const s = inner.startsWith("\\") ? unquote(`"${inner.replace(/^\\'/, "'")}"`, bad) : inner;
  const cps = [...s];
  if (cps.length !== 1) bad();
  return cps[0]!.codePointAt(0)!;
}

export function numberValue(text: string, bad: () => never): unknown {
  const t = text.replace(/_/g, "");
  if (t.endsWith("i")) bad(); // complex numbers are not supported
  const neg = t.startsWith("-");
  const body = t.replace(/^[+-]/, "");
  if (/^0[xX][0-9a-fA-F]+$/.test(body) || /^0[bB][01]+$/.test(body) || /^0[oO][0-7]+$/.test(body)) {
    const v = Number(body.replace(/^0[oO]/, "0o").toLowerCase());
    return neg ? -v : v;
  }
  if (/^0[0-7]+$/.test(body)) return (neg ? -1 : 1) * parseInt(body, 8);
  const hexFloat = /^0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(body);
  if (hexFloat && (hexFloat[1] || hexFloat[2])) {
    const [, whole = "", frac = "", exp] = hexFloat;
    const mant = parseInt(whole + frac || "0", 16) / 16 ** frac.length;
    return new Float64((neg ? -1 : 1) * mant * 2 ** Number(exp));
  }
  if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) bad();
  const v = Number(t);
  return /[.eE]/.test(body) ? new Float64(v) : v;
}

// WWW-Authenticate parsing: `Bearer realm="…",service="…",scope="…"`,
// `Basic realm="…"`; several challenges may share one header.
export interface Challenge {
  scheme: string; // lowercased: "bearer", "basic"
  params: Record<string, string>;
}

export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipWs = () => { while (i < s.length && /[\s,]/.test(s[i]!)) i++; };
  while (i < s.length) {
    skipWs();
    const m = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(s.slice(i));
    if (!m) break;
    i += m[0].length;
    const c: Challenge = { scheme: m[0].toLowerCase(), params: {} };
    out.push(c);
    for (;;) {
      while (i < s.length && /\s/.test(s[i]!)) i++;
      const save = i;
      const k = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*/.exec(s.slice(i));
      if (!k) { i = save; break; }
      i += k[0].length;
      let value = "";
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === "\\" && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else {
        const v = /^[^\s,]*/.exec(s.slice(i))![0];
        value = v;
        i += v.length;
      }
      c.params[k[1]!.toLowerCase()] = value;
      while (i < s.length && /\s/.test(s[i]!)) i++;
      if (s[i] === ",") { i++; continue; }
      break;
    }
  }
  return out;
}

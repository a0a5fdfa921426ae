// htpasswd Basic auth: bcrypt ($2y$/$2a$/$2b$, what distribution accepts) and
// {SHA} (base64 SHA-1, legacy Apache). Verified pairs are cached by a hash of
// the password, because bcrypt costs tens of ms and clients send credentials
// on every request. The file is re-read when it changes.
import { statSync, readFileSync } from "node:fs";
import { nodeCrypto } from "../../builtins.ts";

export const BASIC_REALM = "berth-registry";

export class Htpasswd {
  private users = new Map<string, string>();
  private mtime = -1;
  private verified = new Map<string, string>();

  constructor(readonly path: string) {
    this.reload();
  }

  private reload(): void {
    const st = statSync(this.path);
    if (st.mtimeMs === this.mtime) return;
    this.mtime = st.mtimeMs;
    this.users.clear();
    this.verified.clear();
    for (const line of readFileSync(this.path, "utf8").split("\n")) {
      const t = line.trim();
      if (!t || t.startsWith("#")) continue;
      const i = t.indexOf(":");
      if (i > 0) this.users.set(t.slice(0, i), t.slice(i + 1));
    }
  }

  async verify(user: string, password: string): Promise<boolean> {
    this.reload();
    const hash = this.users.get(user);
    if (!hash) return false;
    const key = new Bun.CryptoHasher("sha256").update(`${user}\0${password}`).digest("hex");
    if (this.verified.get(user) === key) return true;
    let ok = false;
    if (/^\$2[abxy]\$/.test(hash)) {
      ok = await Bun.password.verify(password, hash.replace(/^\$2[xy]\$/, "$2b$"), "bcrypt").catch(() => false); // a malformed hash matches no password
    } else if (hash.startsWith("{SHA}")) {
      const want = Buffer.from(hash.slice(5), "base64");
      const got = Buffer.from(new Bun.CryptoHasher("sha1").update(password).digest());
      ok = want.length === got.length && nodeCrypto().timingSafeEqual(want, got);
    }
    if (ok) this.verified.set(user, key);
    return ok;
  }

  /** Checks an Authorization header; true when it carries valid Basic credentials. */
  async check(header: string | null): Promise<boolean> {
    const m = header && /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i < 0) return false;
    return this.verify(decoded.slice(0, i), decoded.slice(i + 1));
  }
}

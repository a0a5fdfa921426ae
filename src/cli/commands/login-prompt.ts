// Where `login` gets its username and password: flags, --password-stdin, or
// prompts on the terminal (the password read without echo).
import type { Context } from "../context.ts";
import { stderr } from "../stdio.ts";

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString("utf8");
}

/** One line from the terminal; `echo` false reads in raw mode and prints nothing. */
function promptLine(question: string, echo: boolean): Promise<string> {
  stderr.write(question);
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let line = "";
    if (!echo) stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.off("data", onData);
      if (!echo) {
        stdin.setRawMode(false);
        stderr.write("\n");
      }
      stdin.pause();
      err ? reject(err) : resolve(line);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\x03") return done(new Error("interrupted"));
        if (ch === "\x7f" || ch === "\b") line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on("data", onData);
  });
}

export async function readCredentialsInput(f: Record<string, any>, ctx: Context): Promise<{ username: string; password: string }> {
  let username: string | undefined = f.username;
  let password: string | undefined = f.password;
  if (password !== undefined && f["password-stdin"]) throw new Error("--password and --password-stdin are mutually exclusive");
  if (f["password-stdin"]) {
    if (!username) throw new Error("Must provide --username with --password-stdin");
    password = (await readAll(process.stdin)).replace(/\r?\n$/, "");
  } else if (password !== undefined) {
    ctx.err("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
  }
  const interactive = !!process.stdin.isTTY;
  if (username === undefined || username === "") {
    if (!interactive) throw new Error("Error: Cannot perform an interactive login from a non TTY device");
    username = (await promptLine("Username: ", true)).trim();
    if (!username) throw new Error("Error: Non-null Username Required");
  }
  if (password === undefined || password === "") {
    if (!interactive) throw new Error("Error: Cannot perform an interactive login from a non TTY device");
    password = await promptLine("Password: ", false);
    if (!password) throw new Error("Error: Password Required");
  }
  return { username, password };
}

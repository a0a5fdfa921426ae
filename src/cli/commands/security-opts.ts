// `--security-opt` as the docker CLI sends it: every option needs a value
// except no-new-privileges, and `seccomp=FILE` is replaced by the file's
// content (compacted JSON), since the daemon may not see the client's files.
import { UsageError } from "../flags.ts";
import { nodeFs } from "../../builtins.ts";

export function securityOpts(list: string[]): string[] | null {
  if (!list.length) return null;
  return list.map((opt) => {
    let sep = opt.indexOf("=");
    if (sep < 0 && opt !== "no-new-privileges") sep = opt.indexOf(":");
    const [key, value] = sep < 0 ? [opt, ""] : [opt.slice(0, sep), opt.slice(sep + 1)];
    if (!value && key !== "no-new-privileges") throw new UsageError(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (key !== "seccomp" || value === "builtin" || value === "unconfined") return opt;
    let text: string;
    try {
      text = nodeFs().readFileSync(value, "utf8");
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === "ENOENT" ? "no such file or directory" : err.code === "EISDIR" ? "is a directory" : err.message;
      throw new UsageError(`opening seccomp profile (${value}) failed: open ${value}: ${why}`);
    }
    try {
      return `seccomp=${JSON.stringify(JSON.parse(text))}`;
    } catch (e) {
      throw new UsageError(`compacting json for seccomp profile (${value}) failed: ${(e as Error).message}`);
    }
  });
}

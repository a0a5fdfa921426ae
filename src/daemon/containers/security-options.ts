// HostConfig's CapAdd, CapDrop and SecurityOpt, checked at create with
// dockerd's messages. Options berth does not implement are refused rather than
// accepted and ignored: a user who asks for a profile must not get none.
import { InvalidParameterError } from "../../errors.ts";
import { applyCapChanges, capabilityNumber, defaultCapabilities } from "../../runtime/index.ts";
import { checkSeccompOption } from "./seccomp.ts";

type Json = Record<string, any>;

function checkCapabilities(field: "CapAdd" | "CapDrop", list: unknown): void {
  if (list == null) return;
  if (!Array.isArray(list)) throw new InvalidParameterError(`${field} must be a list`);
  for (const c of list) {
    const name = String(c).toUpperCase().replace(/^CAP_/, "");
    if (name === "ALL") continue;
    try {
      capabilityNumber(name);
    } catch {
      throw new InvalidParameterError(`invalid ${field}: unknown capability: "CAP_${name}"`);
    }
  }
}

/**
 * Whether the container runs with no_new_privs: the last `no-new-privileges` option (bare, =true or
 * :true; =false turns the daemon's default off), else the daemon's --no-new-privileges.
 */
export function noNewPrivileges(opts: string[] | null | undefined, daemonDefault = false): boolean {
  let on = daemonDefault;
  for (const o of opts ?? []) {
    const m = /^no-new-privileges(?:[=:](true|false))?$/.exec(String(o));
    if (m) on = m[1] !== "false";
  }
  return on;
}

export function checkSecurityOptions(hc: Json): void {
  checkCapabilities("CapAdd", hc.CapAdd);
  checkCapabilities("CapDrop", hc.CapDrop);
  if (hc.SecurityOpt == null) return;
  checkSeccompOption(hc.SecurityOpt, applyCapChanges(defaultCapabilities, hc.CapAdd ?? [], hc.CapDrop ?? []));
  if (!Array.isArray(hc.SecurityOpt)) throw new InvalidParameterError("SecurityOpt must be a list");
  for (const raw of hc.SecurityOpt) {
    const opt = String(raw);
    if (opt === "no-new-privileges") continue;
    const sep = opt.search(/[=:]/);
    if (sep < 0) throw new InvalidParameterError(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const [key, value] = [opt.slice(0, sep), opt.slice(sep + 1)];
    if (key === "no-new-privileges") {
      if (value !== "true" && value !== "false") throw new InvalidParameterError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    } else if (key === "seccomp") {
      // "unconfined", "builtin" or a JSON profile: checked with the capabilities by checkSeccompOption.
    } else if (key === "label") {
      // No SELinux here: turning labelling off is what the container gets anyway.
      if (value !== "disable") throw new InvalidParameterError(`SELinux labels are not supported by this engine: ${JSON.stringify(opt)}`);
    } else if (key === "apparmor") {
      if (value !== "unconfined") throw new InvalidParameterError(`AppArmor is not supported by this engine: ${JSON.stringify(opt)}`);
    } else {
      throw new InvalidParameterError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
}

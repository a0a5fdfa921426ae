// What `docker history` shows as CREATED BY for each step, in the classic
// builder's words: a metadata step is a `#(nop)` shell comment, a COPY names
// the hash of what it copied, a RUN its command with the build args it saw.

const NOP = "/bin/sh -c #(nop) ";

/** ENV, LABEL, CMD…: "/bin/sh -c #(nop)  ENV A=1" (the classic builder's two spaces). */
export function nopCreatedBy(text: string): string {
  return `${NOP} ${text}`;
}

/** WORKDIR, COPY and ADD carry one space. */
export function nopCreatedBySingle(text: string): string {
  return `${NOP}${text}`;
}

/** RUN: "|2 A=1 B=2 /bin/sh -c make" when build args are in scope. */
export function runCreatedBy(argv: string[], args: [string, string][]): string {
  const prefix = args.length ? `|${args.length} ${args.map(([k, v]) => `${k}=${v}`).join(" ")} ` : "";
  return prefix + argv.join(" ");
}

/** Go's %q of a []string, as the classic builder prints CMD and ENTRYPOINT. */
export function goQuotedList(list: string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(" ")}]`;
}

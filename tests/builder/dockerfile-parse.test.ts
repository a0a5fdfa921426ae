// The Dockerfile parser and Docker's word expansion: pure functions, checked
// against what Docker's parser gives for the same text.
import { describe, expect, test } from "bun:test";
import { parseDockerfile, targetStage } from "../../src/build/dockerfile/parse.ts";
import { expandWord, expandWords } from "../../src/build/dockerfile/shell-lex.ts";
import { parseDuration } from "../../src/shared/duration.ts";
import type { Instruction } from "../../src/build/dockerfile/instructions.ts";

const vars = (m: Record<string, string>) => (n: string) => m[n];
const only = (text: string): Instruction => parseDockerfile(`FROM scratch\n${text}`).stages[0]!.instructions[0]!;
const parseError = (text: string) => {
  try {
    parseDockerfile(text);
  } catch (e: any) {
    return e.message as string;
  }
  throw new Error("parsed without an error");
};

describe("expansion", () => {
  const v = vars({ A: "a", E: "", P: "/usr/local/bin" });
  test("plain and braced references, unset is empty", () => {
    expect(expandWord("$A-${A}x$NOPE.", v)).toBe("a-ax.");
    expect(expandWord("$", v)).toBe("$");
    expect(expandWord("a$ b", v)).toBe("a$ b");
    expect(expandWord("$1$@x", v)).toBe("x");
  });
  test("the modifiers", () => {
    expect(expandWord("${A:-d} ${E:-d} ${N:-d} ${E-d} ${N-d}", v)).toBe("a d d  d");
    expect(expandWord("${A:+s} ${E:+s} ${E+s} ${N+s}", v)).toBe("s  s ");
    expect(expandWord("${N:-$A/x}", v)).toBe("a/x");
    expect(expandWord("${P#*/} ${P##*/} ${P%/*} ${P%%/*}", v)).toBe("usr/local/bin bin /usr/local ");
    expect(() => expandWord("${E:?must be set}", v)).toThrow("E: must be set");
    expect(expandWord("${E?x}", v)).toBe("");
    expect(() => expandWord("${N?gone}", v)).toThrow("N: gone");
    expect(() => expandWord("${A", v)).toThrow();
  });
  test("quotes and escapes", () => {
    expect(expandWord(`'$A' "$A" \\$A "\\$A" "a\\b" "\\"q"`, v)).toBe(`$A a $A $A a\\b "q`);
    expect(expandWord("`$A", v, "`")).toBe("$A");
    expect(() => expandWord(`"open`, v)).toThrow();
  });
  test("words split on unquoted whitespace only", () => {
    expect(expandWords(` x  "y z" ${"$"}A'b c' `, v)).toEqual(["x", "y z", "ab c"]);
    expect(expandWords(`""`, v)).toEqual([""]);
  });
});

describe("lines", () => {
  test("directives, comments and continuations", () => {
    const df = parseDockerfile("# syntax=docker/dockerfile:1\n# escape=`\n\nFROM busybox\nRUN echo a `\n  # a comment in the middle\n\n  b\n# trailing\nCMD x");
    expect(df.directives).toEqual({ escape: "`", syntax: "docker/dockerfile:1" });
    const run = df.stages[0]!.instructions[0]!;
    expect(run.kind === "RUN" && run.command).toEqual({ shell: "echo a   b" });
    expect(run.line).toBe(5);
    expect(df.stages[0]!.instructions[1]!.line).toBe(10);
  });
  test("a directive after an ordinary comment or instruction is just a comment", () => {
    expect(parseDockerfile("# hello\n# escape=`\nFROM x").directives.escape).toBe("\\");
    expect(parseDockerfile("FROM x\n# escape=`\n").directives.escape).toBe("\\");
    expect(parseError("# escape=x\nFROM a")).toContain("invalid escape token");
    expect(parseError("# escape=`\n# escape=\\\nFROM a")).toContain("only one escape parser directive");
  });
  test("heredocs: several on one line, quoted, tab-stripped", () => {
    const run = only("RUN <<A cat - <<-'B'\none $X\nA\n\t\ttwo $X\n\tB\nCMD y");
    expect(run.kind).toBe("RUN");
    if (run.kind !== "RUN") return;
    expect(run.heredocs).toEqual([
      { name: "A", body: "one $X\n", expand: true },
      { name: "B", body: "two $X\n", expand: false },
    ]);
    const copy = only("COPY --chmod=755 <<EOF /usr/bin/hi\n#!/bin/sh\necho hi\nEOF");
    expect(copy.kind === "COPY" && [copy.sources, copy.dest, copy.chmod, copy.heredocs[0]!.body]).toEqual([[], "/usr/bin/hi", "755", "#!/bin/sh\necho hi\n"]);
    expect(parseError("FROM a\nRUN <<EOF\necho")).toBe("dockerfile parse error line 2: unterminated heredoc EOF");
    // Not heredocs: CMD has none, and an exec form is never scanned.
    expect(only('RUN ["sh", "-c", "cat <<EOF"]').kind).toBe("RUN");
  });
});

describe("instructions", () => {
  test("FROM with platform and stage names", () => {
    const df = parseDockerfile("ARG V=1\nFROM --platform=linux/amd64 busybox:$V AS Build\nFROM build\nFROM scratch");
    expect(df.metaArgs[0]!.args).toEqual([{ name: "V", value: "1" }]);
    expect(df.stages.map((s) => [s.name, s.from.image, s.from.platform])).toEqual([
      ["build", "busybox:$V", "linux/amd64"], [undefined, "build", undefined], [undefined, "scratch", undefined],
    ]);
    expect(targetStage(df, "BUILD").index).toBe(0);
    expect(targetStage(df).index).toBe(2);
    expect(() => targetStage(df, "nope")).toThrow("failed to reach build target nope in Dockerfile");
    expect(parseError("FROM a AS 1x")).toContain("invalid name for build stage");
    expect(parseError("FROM a AS x\nFROM b AS x")).toBe("dockerfile parse error line 2: duplicate name x");
    expect(parseError("FROM a b")).toContain("FROM requires either one or three arguments");
  });
  test("exec and shell forms", () => {
    const cmd = only(`CMD ["echo", "a b"]`);
    expect(cmd.kind === "CMD" && cmd.command).toEqual({ exec: ["echo", "a b"] });
    const ep = only(`ENTRYPOINT [not json`);
    expect(ep.kind === "ENTRYPOINT" && ep.command).toEqual({ shell: "[not json" });
    const shell = only(`SHELL ["/bin/bash", "-c"]`);
    expect(shell.kind === "SHELL" && shell.shell).toEqual(["/bin/bash", "-c"]);
    expect(parseError("FROM a\nSHELL /bin/sh -c")).toContain("SHELL requires the arguments to be in JSON form");
  });
  test("ENV and LABEL in both forms, quotes kept for expansion", () => {
    const env = only(`ENV A=1 B="two words" C=a\\ b`);
    expect(env.kind === "ENV" && env.pairs).toEqual([{ key: "A", value: "1" }, { key: "B", value: '"two words"' }, { key: "C", value: "a\\ b" }]);
    const legacy = only(`ENV NAME  the rest of it`);
    expect(legacy.kind === "ENV" && legacy.pairs).toEqual([{ key: "NAME", value: "the rest of it" }]);
    expect(parseError("FROM a\nENV X")).toContain("ENV must have two arguments");
    expect(parseError("FROM a\nENV =x")).toContain("ENV names can not be blank");
    expect(parseError("FROM a\nLABEL a=b c")).toContain("can't find = in \"c\"");
  });
  test("COPY and ADD flags, JSON form, destination required", () => {
    const c = only(`COPY --from=build --chown=1:2 --chmod=640 --link a b* /dst/`);
    expect(c.kind === "COPY" && [c.from, c.chown, c.chmod, c.link, c.sources, c.dest]).toEqual(["build", "1:2", "640", true, ["a", "b*"], "/dst/"]);
    const j = only(`ADD ["a b", "/x y/"]`);
    expect(j.kind === "ADD" && [j.sources, j.dest]).toEqual([["a b"], "/x y/"]);
    expect(parseError("FROM a\nCOPY a")).toContain("COPY requires at least two arguments");
    expect(parseError("FROM a\nCOPY --bogus=1 a b")).toBe("dockerfile parse error line 2: Unknown flag: bogus");
    expect(parseError("FROM a\nCOPY --from a b")).toContain("Missing a value on flag: from");
    expect(parseError("FROM a\nCOPY --checksum=sha256:x a b")).toContain("Unknown flag: checksum");
  });
  test("RUN flags", () => {
    const r = only("RUN --mount=type=cache,target=/c --network=none make");
    expect(r.kind === "RUN" && [r.mounts, r.network, r.command]).toEqual([["type=cache,target=/c"], "none", { shell: "make" }]);
    expect(parseError("FROM a\nRUN --network=weird x")).toContain('unsupported network mode "weird"');
  });
  test("HEALTHCHECK", () => {
    const h = only(`HEALTHCHECK --interval=5s --timeout=1m30s --retries=3 CMD curl -f http://x/`);
    expect(h).toMatchObject({ test: ["CMD-SHELL", "curl -f http://x/"], interval: 5e9, timeout: 90e9, retries: 3 });
    expect(only(`HEALTHCHECK CMD ["true"]`)).toMatchObject({ test: ["CMD", "true"] });
    expect(only(`HEALTHCHECK NONE`)).toMatchObject({ test: ["NONE"] });
    expect(parseError("FROM a\nHEALTHCHECK --interval=5 CMD x")).toContain('time: invalid duration "5"');
    expect(parseError("FROM a\nHEALTHCHECK RUN x")).toContain('Unknown type "RUN" in HEALTHCHECK');
  });
  test("ONBUILD, ARG, the one-word instructions", () => {
    expect(only("onbuild run echo hi")).toMatchObject({ kind: "ONBUILD", expression: "RUN echo hi" });
    expect(parseError("FROM a\nONBUILD ONBUILD RUN x")).toContain("Chaining ONBUILD");
    expect(parseError("FROM a\nONBUILD FROM x")).toContain("FROM isn't allowed as an ONBUILD trigger");
    expect(only("ARG A B=2 C=")).toMatchObject({ args: [{ name: "A" }, { name: "B", value: "2" }, { name: "C", value: "" }] });
    expect(only("WORKDIR /a b")).toMatchObject({ kind: "WORKDIR", word: "/a b" });
    expect(parseError("FROM a\nUSER")).toContain("USER requires exactly one argument");
    expect(only(`VOLUME ["/a", "/b"]`)).toMatchObject({ words: ["/a", "/b"] });
    expect(only(`EXPOSE 80/tcp 53/udp`)).toMatchObject({ words: ["80/tcp", "53/udp"] });
  });
  test("errors name the line (and a file that is not the default)", () => {
    expect(parseError("FROM a\n\nFOO bar")).toBe("dockerfile parse error line 3: unknown instruction: FOO");
    expect(parseError("RUN x")).toBe("dockerfile parse error line 1: no build stage in current context");
    expect(parseError("# only a comment\n")).toContain("file with no instructions");
    expect(() => parseDockerfile("FROM a\nFOO", "dev.Dockerfile")).toThrow("dockerfile parse error line 2: unknown instruction: FOO (dev.Dockerfile)");
  });
});

test("Go durations", () => {
  expect(parseDuration("1m30s")).toBe(90e9);
  expect(parseDuration("1.5h")).toBe(5400e9);
  expect(parseDuration("250ms")).toBe(250e6);
  expect(parseDuration("0")).toBe(0);
  expect(parseDuration("5")).toBeUndefined();
  expect(parseDuration("s")).toBeUndefined();
});

// The docker-style flag parser and the daemon config merge (no daemon needed).
import { describe, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { flagUsages, parseFlags, UsageError, type FlagSpec } from "../../src/cli/flags.ts";
import { defaultConfigFile } from "../../src/shared/daemon-config.ts";
import { eventTime } from "../../src/cli/commands/system.ts";
import { daemonConfigWith, daemonJsonFile } from "../fixtures/daemon-config.ts";
import { clientOptionsFromEnv, Client } from "../../src/client/client.ts";

const specs: FlagSpec[] = [
  { name: "interactive", short: "i", type: "bool" },
  { name: "tty", short: "t", type: "bool" },
  { name: "rm", type: "bool" },
  { name: "env", short: "e", type: "list" },
  { name: "name", type: "string" },
  { name: "time", type: "number" },
  { name: "format", short: "f", type: "string", help: "Format output" },
];

describe("parseFlags", () => {
  test("combined shorts, = and space values, repeatable lists, --", () => {
    const p = parseFlags(["-it", "--name=web", "-e", "A=1", "-eB=2", "--env", "C=3", "img", "--", "-x"], specs);
    expect(p.flags.interactive).toBe(true);
    expect(p.flags.tty).toBe(true);
    expect(p.flags.name).toBe("web");
    expect(p.flags.env).toEqual(["A=1", "B=2", "C=3"]);
    expect(p.args).toEqual(["img", "-x"]);
    expect([...p.given].sort()).toEqual(["env", "interactive", "name", "tty"]);
  });

  test("bools take =false, and reject other words as pflag does", () => {
    expect(parseFlags(["--rm=false"], specs).flags.rm).toBe(false);
    expect(parseFlags(["--rm=true"], specs).flags.rm).toBe(true);
    expect(parseFlags(["-i=false"], specs).flags.interactive).toBe(false);
    expect(() => parseFlags(["--rm=maybe"], specs)).toThrow('invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax');
  });

  test("stopAtPositional leaves the command's own flags alone", () => {
    const p = parseFlags(["-i", "busybox", "ls", "-la", "--name", "x"], specs, true);
    expect(p.args).toEqual(["busybox", "ls", "-la", "--name", "x"]);
    expect(p.flags.name).toBeUndefined();
  });

  test("docker's error words", () => {
    expect(() => parseFlags(["--foo"], specs)).toThrow(new UsageError("unknown flag: --foo"));
    expect(() => parseFlags(["-z"], specs)).toThrow("unknown shorthand flag: 'z' in -z");
    expect(() => parseFlags(["--name"], specs)).toThrow("flag needs an argument: --name");
    expect(() => parseFlags(["-f"], specs)).toThrow("flag needs an argument: 'f' in -f");
    expect(() => parseFlags(["--time", "soon"], specs)).toThrow('invalid argument "soon" for "--time" flag');
  });

  test("a lone - is an argument (stdin)", () => {
    expect(parseFlags(["-", "repo:tag"], specs).args).toEqual(["-", "repo:tag"]);
  });

  test("help lines are aligned as pflag aligns them", () => {
    const text = flagUsages([
      { name: "all", short: "a", type: "bool", help: "Show all" },
      { name: "filter", short: "f", type: "list", valueName: "filter", help: "Filter output" },
      { name: "digests", type: "bool", help: "Show digests" },
    ]);
    expect(text).toBe([
      "  -a, --all             Show all",
      "  -f, --filter filter   Filter output",
      "      --digests         Show digests",
    ].join("\n"));
  });
});

describe("daemon config", () => {
  const { file, cfg } = daemonJsonFile("config");

  test("daemon.json fills what the flags leave", () => {
    writeFileSync(file, JSON.stringify({ "data-root": "/x/data", "insecure-registries": ["reg.local:5000"], debug: true }));
    const c = cfg(["--exec-root", "/x/exec"]);
    expect(c.dataRoot).toBe("/x/data");
    expect(c.execRoot).toBe("/x/exec");
    expect(c.insecureRegistries).toEqual(["reg.local:5000"]);
    expect(c.logLevel).toBe("debug");
  });

  test("a setting in both places is an error in dockerd's words", () => {
    writeFileSync(file, JSON.stringify({ "data-root": "/file" }));
    expect(() => cfg(["--data-root", "/flag"])).toThrow(
      `unable to configure the daemon with file ${file}: the following directives are specified both as a flag and in the configuration file: data-root: (from flag: /flag, from file: /file)`,
    );
  });

  test("unknown keys, wrong types and a missing explicit file are refused", () => {
    writeFileSync(file, JSON.stringify({ "no-such-option": 1 }));
    expect(() => cfg([])).toThrow("the following directives don't match any configuration option: no-such-option");
    writeFileSync(file, JSON.stringify({ hosts: "unix:///x" }));
    expect(() => cfg([])).toThrow('"hosts" must be a list of strings');
    writeFileSync(file, JSON.stringify({ "max-concurrent-downloads": 0 }));
    expect(() => cfg([])).toThrow('"max-concurrent-downloads" must be a positive integer');
    writeFileSync(file, JSON.stringify({ "max-concurrent-downloads": 6 }));
    expect(cfg([]).maxConcurrentDownloads).toBe(6);
    expect(cfg(["--max-concurrent-uploads", "2"]).maxConcurrentUploads).toBe(2);
    rmSync(file);
    expect(() => cfg([])).toThrow("no such file or directory");
  });

  test("--tls=false given explicitly allows plain TCP beyond loopback", () => {
    writeFileSync(file, "{}");
    expect(cfg(["--tls=false"]).allowInsecureTcp).toBe(true);
    expect(cfg([]).allowInsecureTcp).toBeUndefined();
    expect(() => cfg(["--log-level", "loud"])).toThrow("unable to parse logging level: loud");
  });

  test("--cgroup-parent, or cgroup-parent in daemon.json: a path below the cgroup root", () => {
    writeFileSync(file, "{}");
    expect(cfg([]).cgroupParent).toBe("berth");
    expect(cfg(["--cgroup-parent", "/ci/berth-1/"]).cgroupParent).toBe("ci/berth-1");
    expect(() => cfg(["--cgroup-parent", "../escape"])).toThrow("invalid cgroup-parent ../escape");
    writeFileSync(file, JSON.stringify({ "cgroup-parent": "from-file" }));
    expect(cfg([]).cgroupParent).toBe("from-file");
  });

  test("without a daemon.json the flags are still checked, and -D still means debug", () => {
    // No --config-file: the default file is read if there is one, and this path is the one without it.
    expect(existsSync(defaultConfigFile) ? `${defaultConfigFile} exists on this host` : "").toBe("");
    const noFile = daemonConfigWith();
    expect(noFile(["-D"]).logLevel).toBe("debug");
    expect(() => noFile(["--log-level", "loud"])).toThrow("unable to parse logging level: loud");
    expect(() => noFile(["--cgroup-parent", "a/../.."])).toThrow("invalid cgroup-parent a/../..");
  });
});

describe("client options", () => {
  test("hosts: unix, tcp, and docker's parse error", () => {
    expect(new Client(clientOptionsFromEnv("unix:///tmp/x.sock")).unix).toBe("/tmp/x.sock");
    expect(new Client(clientOptionsFromEnv("tcp://127.0.0.1:2375")).base).toBe("http://127.0.0.1:2375/v1.44");
    expect(new Client(clientOptionsFromEnv("tcp://10.0.0.1", { tls: true })).base).toBe("https://10.0.0.1:2376/v1.44");
    expect(() => new Client(clientOptionsFromEnv("ftp://x"))).toThrow("unable to parse docker host `ftp://x`");
  });
});

describe("events --since/--until", () => {
  test("unix times, durations and dates", () => {
    const now = Date.parse("2025-01-01T00:10:00Z");
    expect(eventTime("1700000000", now)).toBe("1700000000");
    expect(eventTime("10m", now)).toBe((now / 1000 - 600).toFixed(9));
    expect(eventTime("1h30m", now)).toBe((now / 1000 - 5400).toFixed(9));
    expect(eventTime("2025-01-01T00:00:00Z", now)).toBe((Date.parse("2025-01-01T00:00:00Z") / 1000).toFixed(9));
    expect(() => eventTime("whenever", now)).toThrow('failed to parse value as time or duration: "whenever"');
  });
});

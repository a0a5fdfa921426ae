// The compose model without a daemon: files found and merged, .env and
// interpolation, extends, include, profiles, short syntax made long, and
// compose's messages for files it refuses.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { interpolate } from "../../src/compose/interpolate.ts";
import { parseDotenv } from "../../src/compose/dotenv.ts";
import { loadProject, type LoadOptions } from "../../src/compose/load.ts";
import { normalizeProjectName } from "../../src/compose/project-name.ts";
import { splitShellWords as shellWords } from "../../src/shared/shell-words.ts";
import { serviceHash, volumeHash } from "../../src/compose/hash.ts";
import { withDependencies, dependants, inDependencyOrder } from "../../src/compose/graph.ts";

const root = mkdtempSync("/tmp/berth-compose-model-");
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A fresh project directory holding the given files. */
function project(files: Record<string, string>, dirName?: string): string {
  const dir = join(root, dirName ?? `p${n++}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function load(dir: string, opts: LoadOptions = {}) {
  return loadProject({ cwd: dir, env: {}, ...opts });
}

function loadError(dir: string, opts: LoadOptions = {}): string {
  try {
    load(dir, opts);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("the project loaded");
}

describe("interpolation", () => {
  const vars: Record<string, string> = { A: "a", EMPTY: "" };
  const look = (n: string) => vars[n];
  test.each([
    ["$A-${A}", "a-a"],
    ["${UNSET:-d}|${EMPTY:-d}|${EMPTY-d}|${UNSET-d}", "d|d||d"],
    ["${A:+r}|${EMPTY:+r}|${EMPTY+r}|${UNSET+r}", "r||r|"],
    ["$$A $${A} cost $5", "$A ${A} cost $5"],
    ["${UNSET:-${A}-x}", "a-x"],
    ["${UNSET:-${OTHER:-deep}}", "deep"],
  ])("%s", (text, want) => expect(interpolate(text, look)).toBe(want));

  test("required variables fail with compose's message", () => {
    expect(() => interpolate("${UNSET:?must be set}", look)).toThrow("required variable UNSET is missing a value: must be set");
    expect(() => interpolate("${EMPTY:?}", look)).toThrow("required variable EMPTY is missing a value");
    expect(interpolate("${EMPTY?x}", look)).toBe("");
    expect(() => interpolate("${UNSET?gone}", look)).toThrow("required variable UNSET is missing a value: gone");
  });

  test("an unclosed or malformed template is refused", () => {
    expect(() => interpolate("${A", look)).toThrow('Invalid template: "${A"');
    expect(() => interpolate("${A!x}", look)).toThrow("Invalid template");
  });

  test("unset variables are reported once each", () => {
    const seen: string[] = [];
    expect(interpolate("$X ${X} ${Y}", look, (n) => seen.push(n))).toBe("  ");
    expect(seen).toEqual(["X", "X", "Y"]);
  });
});

describe(".env files", () => {
  test("quotes, export, comments, escapes and substitution", () => {
    const text = [
      "# comment", "export A=1", "B = two words # trailing", "C='lit $A'", 'D="x\\ny $A"', "E=${A}-${OUT}", "F=", 'G="multi', 'line"', "H",
    ].join("\n");
    const v = parseDotenv(text, (n) => ({ OUT: "o", H: "fromenv" })[n]);
    expect(v).toEqual({ A: "1", B: "two words", C: "lit $A", D: "x\ny 1", E: "1-o", F: "", G: "multi\nline", H: "fromenv" });
  });
  test("a bad variable name names the line", () => {
    expect(() => parseDotenv("A=1\nB C=2")).toThrow(/line 2/);
  });
});

test("shell words and project names", () => {
  expect(shellWords(`sh -c "echo \\"hi\\" $$x" 'a b' c\\ d`)).toEqual(["sh", "-c", 'echo "hi" $$x', "a b", "c d"]);
  expect(() => shellWords(`echo "open`)).toThrow("unexpected end of statement while looking for matching \"");
  expect(normalizeProjectName("My.App_1-x")).toBe("myapp_1-x");
  expect(normalizeProjectName("__Hello")).toBe("hello");
});

describe("loading", () => {
  test("default file names, the override file, the directory's name as project name", () => {
    const dir = project({
      "docker-compose.yml": "services:\n  web:\n    image: busybox\n    environment: [A=1]\n    ports: ['80']\n",
      "docker-compose.override.yml": "services:\n  web:\n    environment: {B: 2}\n    ports: ['81']\n",
    }, "Web.Site");
    const p = load(join(dir));
    expect(p.name).toBe("website");
    expect(p.configFiles).toEqual([join(dir, "docker-compose.yml"), join(dir, "docker-compose.override.yml")]);
    expect(p.services.web!.environment).toEqual({ A: "1", B: "2" });
    expect(p.services.web!.ports!.map((x) => x.target)).toEqual([80, 81]);
  });

  test("files are found from a subdirectory; none at all is compose's error", () => {
    const dir = project({ "compose.yaml": "services: {a: {image: busybox}}\n", "sub/deeper/.keep": "" });
    expect(load(join(dir, "sub/deeper")).workingDir).toBe(dir);
    const empty = project({ ".keep": "" });
    expect(loadError(empty)).toBe("no configuration file provided: not found");
  });

  test("-p, COMPOSE_PROJECT_NAME (also from .env) and name: in precedence; invalid names refused", () => {
    const dir = project({ "compose.yaml": "name: fromfile\nservices: {a: {image: busybox}}\n" });
    expect(load(dir).name).toBe("fromfile");
    expect(load(dir, { env: { COMPOSE_PROJECT_NAME: "fromenv" } }).name).toBe("fromenv");
    expect(load(dir, { projectName: "flag", env: { COMPOSE_PROJECT_NAME: "fromenv" } }).name).toBe("flag");
    writeFileSync(join(dir, ".env"), "COMPOSE_PROJECT_NAME=dotenv\n");
    expect(load(dir).name).toBe("dotenv");
    expect(loadError(dir, { projectName: "Bad Name" })).toContain('invalid project name "Bad Name": must consist only of lowercase alphanumeric characters');
  });

  test("several -f merge as the spec says: mappings by key, sequences appended, unique resources by key, commands replaced", () => {
    const dir = project({
      "a.yaml": [
        "services:", "  web:", "    image: busybox", "    command: [echo, a]", "    dns: [1.1.1.1]",
        "    ports: ['8080:80', '9090:90']", "    volumes: ['data:/data', './x:/x']", "    labels: {a: '1', b: '2'}",
        "    healthcheck: {test: [CMD, a], interval: 5s}", "volumes: {data: {}}",
      ].join("\n"),
      "b.yaml": [
        "services:", "  web:", "    command: [echo, b]", "    dns: [8.8.8.8]", "    ports: ['8080:80', '7070:70']",
        "    volumes: ['other:/data']", "    labels: [b=3]", "    healthcheck: {test: [CMD, b]}", "  extra:", "    image: busybox",
        "volumes: {other: {}}",
      ].join("\n"),
    });
    const p = load(dir, { files: ["a.yaml", "b.yaml"] });
    const web = p.services.web!;
    expect(web.command).toEqual(["echo", "b"]);
    expect(web.dns).toEqual(["1.1.1.1", "8.8.8.8"]);
    expect(web.ports!.map((x) => `${x.published}:${x.target}`)).toEqual(["8080:80", "9090:90", "7070:70"]);
    expect(web.volumes!.map((v) => `${v.source}:${v.target}`)).toEqual([`other:/data`, `${dir}/x:/x`]);
    expect(web.labels).toEqual({ a: "1", b: "3" });
    expect(web.healthcheck).toEqual({ test: ["CMD", "b"], interval: "5s" });
    expect(Object.keys(p.services).sort()).toEqual(["extra", "web"]);
    expect(p.volumes.data!.name).toBe(`${p.name}_data`);
  });

  test("COMPOSE_FILE names the files; --project-directory moves where paths and .env are read", () => {
    const dir = project({ "x.yml": "services: {a: {image: 'busybox:${T}', build: ./ctx}}\n", "y.yml": "services: {a: {environment: [Y=1]}}\n", "other/.env": "T=fromother\n", ".env": "T=fromhere\n" });
    const p = load(dir, { env: { COMPOSE_FILE: "x.yml:y.yml" } });
    expect(p.services.a!.image).toBe("busybox:fromhere");
    expect(p.services.a!.environment).toEqual({ Y: "1" });
    const q = load(dir, { files: ["x.yml"], projectDirectory: "other" });
    expect(q.services.a!.image).toBe("busybox:fromother");
    expect(q.services.a!.build!.context).toBe(join(dir, "other/ctx"));
  });

  test(".env, --env-file and the environment: the environment wins, interpolation reaches every value", () => {
    const dir = project({ "compose.yaml": "services:\n  a:\n    image: ${IMG}\n    environment: {X: '${X}', Y: '$${NOT}', Z: '${MISSING}'}\n", ".env": "IMG=busybox\nX=dot\n", "alt.env": "IMG=alt\nX=alt\n" });
    const p = load(dir);
    expect(p.services.a!.image).toBe("busybox");
    expect(p.services.a!.environment).toEqual({ X: "dot", Y: "${NOT}", Z: "" });
    expect(p.warnings).toContain('The "MISSING" variable is not set. Defaulting to a blank string.');
    expect(load(dir, { env: { X: "os" } }).services.a!.environment!.X).toBe("os");
    expect(load(dir, { envFiles: [join(dir, "alt.env")] }).services.a!.image).toBe("alt");
  });

  test("a missing required variable names the key path", () => {
    const dir = project({ "compose.yaml": "services:\n  db:\n    image: busybox\n    environment:\n      PASSWORD: ${PASSWORD:?set a password}\n" });
    expect(loadError(dir)).toBe("error while interpolating services.db.environment.PASSWORD: required variable PASSWORD is missing a value: set a password");
  });

  test("env_file is read under environment; a bare KEY comes from the variables", () => {
    const dir = project({ "compose.yaml": "services:\n  a:\n    image: busybox\n    env_file: [vars.env, {path: none.env, required: false}]\n    environment: [B=over, HOSTVAR, NOTSET]\n", "vars.env": "A=1\nB=2\n" });
    const p = load(dir, { env: { HOSTVAR: "h" } });
    expect(p.services.a!.environment).toEqual({ A: "1", B: "over", HOSTVAR: "h", NOTSET: null });
    writeFileSync(join(dir, "compose.yaml"), "services:\n  a:\n    image: busybox\n    env_file: gone.env\n");
    expect(loadError(dir)).toContain(`env file ${join(dir, "gone.env")} not found`);
  });

  test("anchors, aliases and << merge keys", () => {
    const dir = project({ "compose.yaml": "x-base: &base\n  image: busybox\n  environment: {A: '1'}\nservices:\n  a:\n    <<: *base\n    command: echo\n  b:\n    <<: [*base]\n    image: other\n" });
    const p = load(dir);
    expect(p.services.a).toMatchObject({ image: "busybox", environment: { A: "1" }, command: ["echo"] });
    expect(p.services.b).toMatchObject({ image: "other", environment: { A: "1" } });
    expect("x-base" in p.services).toBe(false);
  });

  test("short syntax made long: ports, volumes, depends_on, build, networks, secrets", () => {
    const dir = project({
      "compose.yaml": [
        "services:", "  a:", "    build: ./app", "    ports: [80, '127.0.0.1:8000-8001:80-81', {target: 9, published: 99}]",
        "    volumes: ['named:/n:ro,nocopy', '/host:/h', '~/x:/x', '/anon', {type: tmpfs, target: /t}]",
        "    depends_on: {b: {condition: service_healthy}}", "    networks: [front]", "    secrets: [s, {source: s, target: other}]",
        "    healthcheck: {test: 'curl -f x', interval: 10}", "    tmpfs: /run",
        "  b: {image: busybox, networks: {front: {aliases: [bee]}}}",
        "volumes: {named: null}", "networks: {front: {}}", "secrets: {s: {file: ./s.txt}}",
      ].join("\n"),
    });
    const a = load(dir, { env: { HOME: "/home/u" } }).services.a!;
    expect(a.build).toEqual({ context: join(dir, "app"), dockerfile: "Dockerfile" });
    expect(a.ports).toEqual([
      { mode: "ingress", target: 80, protocol: "tcp" },
      { mode: "ingress", host_ip: "127.0.0.1", target: 80, published: "8000", protocol: "tcp" },
      { mode: "ingress", host_ip: "127.0.0.1", target: 81, published: "8001", protocol: "tcp" },
      { mode: "ingress", target: 9, published: "99", protocol: "tcp" },
    ]);
    expect(a.volumes).toEqual([
      { type: "volume", source: "named", target: "/n", read_only: true, volume: { nocopy: true } },
      { type: "bind", source: "/host", target: "/h", bind: { create_host_path: true } },
      { type: "bind", source: join(process.env.HOME || "/root", "x"), target: "/x", bind: { create_host_path: true } },
      { type: "volume", target: "/anon" },
      { type: "tmpfs", target: "/t" },
    ]);
    expect(a.depends_on).toEqual({ b: { condition: "service_healthy", required: true } });
    expect(a.networks).toEqual({ front: null });
    expect(a.secrets).toEqual([{ source: "s" }, { source: "s", target: "/run/secrets/other" }]);
    expect(a.healthcheck).toEqual({ test: ["CMD-SHELL", "curl -f x"], interval: "10s" });
    expect(a.tmpfs).toEqual(["/run"]);
  });

  test("extends, in the same file and from another, with the extender's keys on top", () => {
    const dir = project({
      "compose.yaml": "services:\n  base: {image: busybox, environment: {A: '1', B: '1'}, depends_on: [dep]}\n  dep: {image: busybox}\n  child:\n    extends: base\n    environment: {B: '2'}\n  remote:\n    extends: {file: common/more.yaml, service: tool}\n",
      "common/more.yaml": "services:\n  tool:\n    image: tool\n    volumes: ['./here:/here']\n",
    });
    const p = load(dir);
    expect(p.services.child).toMatchObject({ image: "busybox", environment: { A: "1", B: "2" } });
    expect(p.services.child!.depends_on).toBeUndefined();
    expect(p.services.child!.extends).toBeUndefined();
    expect(p.services.remote!.volumes![0]!.source).toBe(join(dir, "common/here"));
    writeFileSync(join(dir, "compose.yaml"), "services:\n  a: {extends: b, image: x}\n  b: {extends: a, image: y}\n");
    expect(loadError(dir)).toContain("circular reference with extends");
  });

  test("include brings another file's services and resources, its paths relative to it", () => {
    const dir = project({
      "compose.yaml": "include: [lib/compose.yaml]\nservices:\n  app: {image: busybox, depends_on: [libsvc]}\n",
      "lib/compose.yaml": "services:\n  libsvc: {image: 'busybox:${LIBTAG}', volumes: ['./d:/d', 'v:/v']}\nvolumes: {v: {}}\n",
      "lib/.env": "LIBTAG=fromlib\n",
    });
    const p = load(dir);
    expect(Object.keys(p.services).sort()).toEqual(["app", "libsvc"]);
    expect(p.services.libsvc!.image).toBe("busybox:fromlib");
    expect(p.services.libsvc!.volumes![0]!.source).toBe(join(dir, "lib/d"));
    expect(p.volumes.v!.name).toBe(`${p.name}_v`);
  });

  test("profiles: --profile, COMPOSE_PROFILES, '*', and services named on the command line", () => {
    const dir = project({ "compose.yaml": "services:\n  a: {image: busybox}\n  dbg: {image: busybox, profiles: [debug]}\n  tool: {image: busybox, profiles: [tools, debug]}\n" });
    expect(Object.keys(load(dir).services)).toEqual(["a"]);
    expect(Object.keys(load(dir, { profiles: ["tools"] }).services)).toEqual(["a", "tool"]);
    expect(Object.keys(load(dir, { env: { COMPOSE_PROFILES: "debug" } }).services)).toEqual(["a", "dbg", "tool"]);
    expect(Object.keys(load(dir, { profiles: ["*"] }).services)).toEqual(["a", "dbg", "tool"]);
    expect(Object.keys(load(dir, { services: ["dbg"] }).services)).toEqual(["a", "dbg"]);
  });

  test("the default network and resource names: <project>_<key>, external keeps its name", () => {
    const dir = project({ "compose.yaml": "name: proj\nservices:\n  a: {image: busybox}\n  b: {image: busybox, network_mode: host}\n  c: {image: busybox, networks: [ext]}\nnetworks: {ext: {external: true}, named: {name: custom}}\nvolumes: {old: {external: {name: legacy}}}\n" });
    const p = load(dir);
    expect(p.services.a!.networks).toEqual({ default: null });
    expect(p.services.b!.networks).toBeUndefined();
    expect(p.networks).toEqual({ ext: { external: true, name: "ext" }, named: { name: "custom" }, default: { name: "proj_default" } });
    expect(p.volumes.old).toEqual({ external: true, name: "legacy" });
  });
});

describe("refused files, with compose's messages", () => {
  const bad = (yaml: string) => loadError(project({ "compose.yaml": yaml }));
  test("a YAML syntax error names the file and the line where the text stops being YAML", () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: [busybox\n" });
    expect(loadError(dir)).toStartWith(`parsing ${join(dir, "compose.yaml")}: yaml: line 3: `);
    expect(bad("services:\n  web:\n    image: busybox\n   command: x\n")).toMatch(/^parsing .*compose\.yaml: yaml: line 4: \S/);
    expect(bad("services:\n  web:\n\timage: busybox\n")).toMatch(/^parsing .*compose\.yaml: yaml: line 3: Tab characters cannot be used as indentation$/);
    expect(bad("x-a: 1\nservices:\n  web:\n    image: \"busybox\n    command: x\n")).toMatch(/^parsing .*compose\.yaml: yaml: line 4: /);
    // In the second of two files, that file is named.
    const two = project({ "compose.yaml": "services:\n  web: {image: busybox}\n", "over.yaml": "services:\n  web:\n    ports: [80\n" });
    expect(loadError(two, { files: ["compose.yaml", "over.yaml"] })).toStartWith(`parsing ${join(two, "over.yaml")}: yaml: line 3: `);
  });
  test("a key given twice in one mapping is refused with each repeat's line and the first one's", () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n    ports:\n    - 80\n    image: other\n" });
    expect(loadError(dir)).toBe(`parsing ${join(dir, "compose.yaml")}: yaml: unmarshal errors:\n  line 6: mapping key "image" already defined at line 3`);
    // A flow mapping, a quoted spelling of the same key, a third copy, a repeated << merge key, a service named twice.
    expect(bad("services:\n  web: {image: busybox, image: x}\n")).toEndWith(`unmarshal errors:\n  line 2: mapping key "image" already defined at line 2`);
    expect(bad("services:\n  a:\n    image: busybox\n    'image': x\n    \"image\": y\n")).toEndWith(
      `unmarshal errors:\n  line 4: mapping key "image" already defined at line 3\n  line 5: mapping key "image" already defined at line 3\n  line 5: mapping key "image" already defined at line 4`,
    );
    expect(bad("x-a: &a {image: busybox}\nservices:\n  w:\n    <<: *a\n    <<: *a\n")).toEndWith(`line 5: mapping key "<<" already defined at line 4`);
    expect(bad("services:\n  a: {image: busybox}\n  b: {image: busybox}\n  a: {image: busybox}\n")).toEndWith(`line 4: mapping key "a" already defined at line 2`);
    // Not repeats: the same key in sibling mappings, in list items, in block and quoted scalars, in another document.
    const fine = project({
      "compose.yaml": [
        "services:", "  a:", "    image: busybox", "    command: |", "      image: x", "      image: y",
        "    environment: ['A=1', 'A=2']", "    labels:", "      - image=1", "  b:", "    image: busybox",
        "    entrypoint: \"sh -c", "      'image: z'\"", "    healthcheck: {test: [CMD, 'true'], interval: 1s}",
        "    ports:", "    - target: 80", "      published: 8080", "    - target: 81", "      published: 8081", "",
      ].join("\n"),
    });
    expect(Object.keys(load(fine).services)).toEqual(["a", "b"]);
    // In the second of two files, that file is named.
    const two = project({ "compose.yaml": "services:\n  web: {image: busybox}\n", "over.yaml": "services:\n  web:\n    command: a\n    command: b\n" });
    expect(loadError(two, { files: ["compose.yaml", "over.yaml"] })).toBe(`parsing ${join(two, "over.yaml")}: yaml: unmarshal errors:\n  line 4: mapping key "command" already defined at line 3`);
  });
  test("unknown keys, wrong types, x- extensions allowed", () => {
    expect(bad("services:\n  web:\n    image: busybox\n    imagee: x\n")).toMatch(/^validating .*compose\.yaml: services\.web additional properties 'imagee' not allowed$/);
    expect(bad("servics: {}\n")).toMatch(/validating .*: additional properties 'servics' not allowed/);
    expect(bad("services:\n  web:\n    image: busybox\n    ports: '80:80'\n")).toMatch(/services\.web\.ports must be a list$/);
    expect(bad("services:\n  web: {image: busybox, depends_on: {db: {condition: healthy}}}\n  db: {image: busybox}\n")).toContain("services.web.depends_on.db.condition must be one of");
    expect(bad("- a\n- b\n")).toContain("top-level object must be a mapping");
    expect(Object.keys(load(project({ "compose.yaml": "x-top: 1\nservices:\n  web: {image: busybox, x-mine: 2}\n" })).services)).toEqual(["web"]);
  });
  test("unknown dependency, dependency cycle, undefined resources, no image", () => {
    expect(bad("services:\n  web: {image: busybox, depends_on: [db]}\n")).toBe('service "web" depends on undefined service "db": invalid compose project');
    expect(bad("services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [c]}\n  c: {image: busybox, depends_on: [a]}\n")).toBe("dependency cycle detected: a -> b -> c -> a");
    expect(bad("services:\n  a: {image: busybox, networks: [nope]}\n")).toBe('service "a" refers to undefined network nope: invalid compose project');
    expect(bad("services:\n  a: {image: busybox, volumes: ['nope:/x']}\n")).toBe('service "a" refers to undefined volume nope: invalid compose project');
    expect(bad("services:\n  a: {image: busybox, secrets: [nope]}\n")).toBe('service "a" refers to undefined secret nope: invalid compose project');
    expect(bad("services:\n  a: {command: echo}\n")).toBe('service "a" has neither an image nor a build context specified: invalid compose project');
    expect(bad("services:\n  a: {image: busybox, ports: ['80:80:80:80']}\n")).toContain("invalid port format");
  });
  test("an optional dependency may be missing", () => {
    expect(Object.keys(load(project({ "compose.yaml": "services:\n  a: {image: busybox, depends_on: {b: {condition: service_started, required: false}}}\n" })).services)).toEqual(["a"]);
  });
});

describe("the dependency graph and the config hash", () => {
  const services = { web: { depends_on: { api: { condition: "service_started" as const, required: true } } }, api: { depends_on: { db: { condition: "service_healthy" as const, required: true } } }, db: {}, lone: {} };
  test("dependencies and dependants", () => {
    expect(withDependencies(services, ["web"]).sort()).toEqual(["api", "db", "web"]);
    expect(dependants(services, ["db"]).sort()).toEqual(["api", "web"]);
  });
  test("start order runs dependencies first, in parallel where it can; stop order the reverse", async () => {
    const log: string[] = [];
    await inDependencyOrder(services, ["web", "api", "db", "lone"], async (n) => { log.push(`+${n}`); await Bun.sleep(5); log.push(`-${n}`); });
    expect(log.indexOf("-db")).toBeLessThan(log.indexOf("+api"));
    expect(log.indexOf("-api")).toBeLessThan(log.indexOf("+web"));
    expect(log.indexOf("+lone")).toBeLessThan(log.indexOf("-db")); // not held up by the chain
    const down: string[] = [];
    await inDependencyOrder(services, ["web", "api", "db"], async (n) => void down.push(n), true);
    expect(down).toEqual(["web", "api", "db"]);
  });
  test("a failure stops what has not started and is thrown", async () => {
    const started: string[] = [];
    const run = inDependencyOrder(services, ["web", "api", "db"], async (n) => { started.push(n); if (n === "api") throw new Error("api failed"); });
    await expect(run).rejects.toThrow("api failed");
    expect(started).toEqual(["db", "api"]);
  });
  test("the hash ignores replicas, dependencies and build, not the environment", () => {
    const a = { image: "x", environment: { A: "1" }, deploy: { replicas: 1 }, depends_on: {} };
    expect(serviceHash(a)).toBe(serviceHash({ ...a, deploy: { replicas: 3 }, depends_on: { b: { condition: "service_started", required: true } }, build: { context: "/x" } }));
    expect(serviceHash(a)).not.toBe(serviceHash({ ...a, environment: { A: "2" } }));
    expect(serviceHash({ environment: { B: "1", A: "1" } })).toBe(serviceHash({ environment: { A: "1", B: "1" } }));
  });

  test("a volume's config hash is compose's: SHA-256 of compose-go's VolumeConfig as Go's encoding/json writes it", () => {
    const sha = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");
    expect(volumeHash({ name: "p_data" })).toBe(sha('{"name":"p_data","driver":"local"}'));
    expect(volumeHash({ name: "p_data", driver: "local", driver_opts: {}, labels: {} })).toBe(sha('{"name":"p_data","driver":"local"}'));
    expect(volumeHash({ name: "p_d", driver_opts: { type: "none", o: "bind" }, labels: { z: "1", a: "<&>" } }))
      .toBe(sha('{"name":"p_d","driver":"local","driver_opts":{"o":"bind","type":"none"},"labels":{"a":"\\u003c\\u0026\\u003e","z":"1"}}'));
    expect(volumeHash({ name: "x", external: true })).toBe(sha('{"name":"x","driver":"local","external":true}'));
  });
});

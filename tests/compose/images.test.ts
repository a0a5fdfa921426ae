// A project's images against a real daemon (in a network namespace of the
// test's own, where a docker-registry runs too): build with build.secrets
// (a file and an environment variable, by name and under a target id), push
// to the registry, pull back, and down --rmi local (only the images compose
// named itself) and --rmi all.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DOCKER_REGISTRY } from "../registry/helpers.ts";
import { writeProject } from "./app-project.ts";
import { composeDaemonForFile } from "./compose-daemon.ts";

const haveRegistry = existsSync(DOCKER_REGISTRY);
if (!haveRegistry) {
  if (process.env.CI === "true") throw new Error(`docker-registry is not installed (${DOCKER_REGISTRY})`);
  console.warn("skipping: docker-registry is not installed");
}
const daemon = composeDaemonForFile("cmpi");
const ok = daemon.ok && haveRegistry;
const work = mkdtempSync("/tmp/berth-compose-images-");
// The registry listens in the daemon's namespace, where this port is free: the namespace is the test's own.
const registry = "127.0.0.1:15123";
let registryProc: ReturnType<typeof Bun.spawn> | undefined;

beforeAll(async () => {
  if (!ok) return;
  const dir = join(work, "registry");
  mkdirSync(dir);
  const log = join(dir, "registry.log");
  writeFileSync(join(dir, "config.yml"), `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\nhttp:\n  addr: ${registry}\n`);
  registryProc = Bun.spawn(["nsenter", `--net=/run/netns/${daemon.ns}`, "--", DOCKER_REGISTRY, "serve", join(dir, "config.yml")], { stdout: "ignore", stderr: Bun.file(log) });
  // Ready once it says it listens (it logs that line at info level), 20 s at most.
  for (const end = Date.now() + 20_000; !(existsSync(log) && readFileSync(log, "utf8").includes("listening on")); await Bun.sleep(50)) {
    if (Date.now() > end || registryProc.exitCode !== null) throw new Error(`docker-registry did not start: ${existsSync(log) ? readFileSync(log, "utf8") : ""}`);
  }
});
afterAll(async () => {
  registryProc?.kill();
  await registryProc?.exited;
  rmSync(work, { recursive: true, force: true });
});

const hasImage = async (ref: string) => (await daemon.d.cli(["image", "inspect", ref])).code === 0;

describe.if(ok)("compose images", () => {
  const dir = join(work, "imgs");
  const compose = (args: string[], env: Record<string, string> = {}) => daemon.compose(dir, args, env);
  const pushed = `${registry}/cmp/built:1`;
  beforeAll(() => {
    writeProject(dir, {
      "b/Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=token --mount=type=secret,id=api_key cat /run/secrets/token /run/secrets/api_key > /seen\nCMD [\"sleep\", \"100000\"]\n",
      "token.txt": "file-secret\n",
      "compose.yaml": [
        "services:",
        "  built:",
        `    image: ${pushed}`,
        "    build:",
        "      context: ./b",
        "      secrets: [token, {source: key, target: api_key}]",
        "    stop_signal: SIGKILL",
        "  plain:",
        "    build: {context: ./b, secrets: [token, {source: key, target: api_key}]}",
        "    stop_signal: SIGKILL",
        "secrets:",
        "  token: {file: ./token.txt}",
        "  key: {environment: API_KEY}",
      ].join("\n") + "\n",
    });
  });

  test("build hands the build its secrets, from a file and from the environment, under their ids", async () => {
    const b = await compose(["build"], { API_KEY: "env-secret" });
    expect(b.code).toBe(0);
    for (const image of [pushed, "imgs-plain"]) expect((await daemon.d.cli(["run", "--rm", image, "cat", "/seen"])).stdout).toBe("file-secret\nenv-secret");
  });

  test("push sends the built image to its registry; pull brings it back", async () => {
    const push = await compose(["push"], { API_KEY: "env-secret" });
    expect(push.code).toBe(0);
    expect((await daemon.d.cli(["rmi", pushed])).code).toBe(0);
    expect(await hasImage(pushed)).toBe(false);
    const pull = await compose(["pull", "built"], { API_KEY: "env-secret" });
    expect(pull.code).toBe(0);
    expect(pull.stderr).toContain("Service built  Pulled");
    expect((await daemon.d.cli(["run", "--rm", pushed, "cat", "/seen"])).stdout).toBe("file-secret\nenv-secret");
  });

  test("down --rmi local takes only the images compose named itself; --rmi all takes the rest", async () => {
    const env = { API_KEY: "env-secret" };
    expect((await compose(["up", "-d"], env)).code).toBe(0);
    const local = await compose(["down", "--rmi", "local", "-t", "0"], env);
    expect(local.code).toBe(0);
    expect(local.stderr).toContain("Image imgs-plain  Removed");
    expect(await hasImage("imgs-plain")).toBe(false);
    expect(await hasImage(pushed)).toBe(true);
    expect((await compose(["up", "-d"], env)).code).toBe(0);
    expect((await compose(["down", "--rmi", "all", "-t", "0"], env)).code).toBe(0);
    expect(await hasImage("imgs-plain")).toBe(false);
    expect(await hasImage(pushed)).toBe(false);
    expect(await hasImage("busybox")).toBe(true);
    const bad = await compose(["down", "--rmi", "some"], env);
    expect(bad.code).toBe(1);
  });
});

describe.if(ok)("up's image policy: --pull and --build", () => {
  const dir = join(work, "pol");
  const compose = (args: string[]) => daemon.compose(dir, args);
  const pulled = `${registry}/cmp/pulled:1`;
  const which = async (container: string) => (await daemon.d.cli(["exec", container, "cat", "/which"])).stdout;
  const nothingLeft = async () => {
    expect((await daemon.d.cli(["ps", "-aq", "--filter", "label=com.docker.compose.project=pol"])).stdout).toBe("");
    expect((await daemon.d.cli(["network", "ls", "-q", "--filter", "name=pol_default"])).stdout).toBe("");
  };
  beforeAll(async () => {
    writeProject(dir, {
      "one/Dockerfile": "FROM busybox\nRUN echo registry > /which\n",
      "two/Dockerfile": "FROM busybox\nRUN echo local > /which\n",
      "m/Dockerfile": "FROM busybox\nCOPY which /which\n",
      "m/which": "first\n",
      "compose.yaml": `services:\n  pulled: {image: ${pulled}, command: sleep 100000, stop_signal: SIGKILL}\n  made: {build: ./m, command: sleep 100000, stop_signal: SIGKILL}\n`,
    });
    // The registry holds one image under the tag, the daemon another.
    expect((await daemon.d.cli(["build", "-q", "-t", pulled, join(dir, "one")])).code).toBe(0);
    expect((await daemon.d.cli(["push", pulled])).code).toBe(0);
    expect((await daemon.d.cli(["build", "-q", "-t", pulled, join(dir, "two")])).code).toBe(0);
  });

  test("--pull: missing keeps the image the daemon has, always pulls (and recreates), never leaves a missing image missing", async () => {
    expect((await compose(["up", "-d", "pulled"])).code).toBe(0);
    expect(await which("pol-pulled-1")).toBe("local\n");
    expect((await compose(["up", "-d", "--pull", "missing", "pulled"])).stderr).not.toContain("Pulled");
    const always = await compose(["up", "-d", "--pull", "always", "pulled"]);
    expect(always.code).toBe(0);
    expect(always.stderr).toContain("Service pulled  Pulled");
    expect(always.stderr).toContain("Container pol-pulled-1  Recreated");
    expect(await which("pol-pulled-1")).toBe("registry\n");
    expect((await compose(["down", "-t", "0"])).code).toBe(0);

    expect((await daemon.d.cli(["rmi", pulled])).code).toBe(0);
    const never = await compose(["up", "-d", "--pull", "never", "pulled"]);
    expect(never.code).toBe(1);
    expect(never.stderr).toContain(`No such image: ${pulled}`);
    await nothingLeft();
    const missing = await compose(["up", "-d", "--pull", "missing", "pulled"]);
    expect(missing.stderr).toContain("Service pulled  Pulled");
    expect(await which("pol-pulled-1")).toBe("registry\n");
    expect((await compose(["down", "-t", "0"])).code).toBe(0);
  });

  test("--no-build never builds, a present image is kept, --build rebuilds and recreates", async () => {
    const none = await compose(["up", "-d", "--no-build", "made"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("No such image: pol-made");
    await nothingLeft();
    const first = await compose(["up", "-d", "made"]);
    expect(first.stderr).toContain("Service made  Built");
    expect(await which("pol-made-1")).toBe("first\n");
    writeFileSync(join(dir, "m/which"), "second\n");
    for (const args of [["up", "-d", "made"], ["up", "-d", "--no-build", "made"]]) {
      const kept = await compose(args);
      expect(kept.code).toBe(0);
      expect(kept.stderr).not.toContain("Built");
      expect(await which("pol-made-1")).toBe("first\n");
    }
    const rebuilt = await compose(["up", "-d", "--build", "made"]);
    expect(rebuilt.stderr).toContain("Service made  Built");
    expect(rebuilt.stderr).toContain("Container pol-made-1  Recreated");
    expect(await which("pol-made-1")).toBe("second\n");
    const both = await compose(["up", "-d", "--build", "--no-build"]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("--build and --no-build are incompatible");
    expect((await compose(["down", "-t", "0", "--rmi", "local"])).code).toBe(0);
  });
});

describe.if(ok)("build keys", () => {
  test("dockerfile_inline, target, labels and dockerfile reach the image", async () => {
    const dir = writeProject(join(work, "bk"), {
      "c/Alt.Dockerfile": "FROM busybox\nRUN echo alt > /stage\n",
      "compose.yaml": [
        "services:",
        "  inl:",
        "    build:",
        "      context: ./c",
        "      dockerfile_inline: |",
        "        FROM busybox AS one",
        "        RUN echo one > /stage",
        "        FROM busybox AS two",
        "        RUN echo two > /stage",
        "      target: one",
        "      labels: {com.example.built: \"yes\"}",
        "  alt:",
        "    build: {context: ./c, dockerfile: Alt.Dockerfile}",
      ].join("\n") + "\n",
    });
    const b = await daemon.compose(dir, ["build"]);
    expect(b.code).toBe(0);
    expect((await daemon.d.cli(["run", "--rm", "bk-inl", "cat", "/stage"])).stdout).toBe("one\n");
    expect((await daemon.d.cli(["run", "--rm", "bk-alt", "cat", "/stage"])).stdout).toBe("alt\n");
    const labels = JSON.parse((await daemon.d.cli(["image", "inspect", "bk-inl"])).stdout)[0].Config.Labels;
    expect(labels).toMatchObject({ "com.example.built": "yes", "com.docker.compose.project": "bk", "com.docker.compose.service": "inl" });
    expect((await daemon.d.cli(["rmi", "bk-inl", "bk-alt"])).code).toBe(0);
  });
});

// Dockerfile builds through a real daemon: berth build and the docker CLI's
// classic builder protocol, multi-stage with COPY --from, ARG/ENV
// substitution, .dockerignore re-inclusion, --chown/--chmod, a deletion across
// layers, the cache (a rebuild runs nothing; one changed file re-runs from its
// COPY; an mtime alone changes nothing), SOURCE_DATE_EPOCH, a failing RUN.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const run = requireDaemon();
let d: TestDaemon;
let ctx: string;

const dockerfile = `# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM $BASE AS build
WORKDIR /src
COPY hello.txt ./
RUN echo built > out.txt && cat hello.txt >> out.txt

FROM busybox
ARG GREETING=hi
ENV G=\${GREETING}-there
COPY --from=build /src/out.txt /app/
COPY --chown=65534:50 --chmod=640 data/ /data/
RUN rm /bin/true && echo "ran $GREETING"
COPY <<EOF /etc/motd
motd for $G
EOF
USER nobody
WORKDIR /app
LABEL org.test=yes
EXPOSE 8080 53/udp
HEALTHCHECK --interval=5s CMD cat /app/out.txt
CMD ["cat", "/app/out.txt"]
`;

beforeAll(async () => {
  if (!run) return;
  d = await startDaemon();
  expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest", "--change", 'CMD ["sh"]'])).code).toBe(0);
  ctx = mkdtempSync(join(d.dir, "ctx-"));
  writeFileSync(join(ctx, "Dockerfile"), dockerfile);
  writeFileSync(join(ctx, "hello.txt"), "hello\n");
  mkdirSync(join(ctx, "data"));
  writeFileSync(join(ctx, "data/a.txt"), "a\n");
  writeFileSync(join(ctx, "data/skip.tmp"), "left out\n");
  writeFileSync(join(ctx, "data/keep.tmp"), "re-included\n");
  writeFileSync(join(ctx, ".dockerignore"), "data/*.tmp\n!data/keep.tmp\n");
}, 60_000);

afterAll(async () => {
  await d?.stop();
});

const build = async (args: string[]) => {
  const r = await d.cli(["build", ...args], { timeoutMs: 90_000 });
  if (r.code !== 0) console.error(r.stdout, r.stderr);
  return r;
};

/** The build's output split per step: "N/M : INSTRUCTION\n…". */
const stepsOf = (stdout: string) => stdout.split(/^Step /m).slice(1);

describe.skipIf(!run)("berth build", () => {
  test("a multi-stage build runs with the expected files, env, user, workdir, labels, ports and history", async () => {
    const r = await build(["-t", "built:1", "-t", "built:2", "--build-arg", "GREETING=hello", ctx]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Step 1/");
    expect(r.stdout).toContain("ran hello");
    expect(r.stdout).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged built:1\nSuccessfully tagged built:2\n/);
    const out = await d.cli(["run", "--rm", "built:1"]);
    expect(out.stdout).toBe("built\nhello\n");
    const probe = await d.cli(["run", "--rm", "built:2", "sh", "-c", "id -u; pwd; echo $G; ls /data; ls -ln /data/a.txt; cat /etc/motd; ls /bin/true 2>&1 || echo gone"]);
    const lines = probe.stdout.trim().split("\n");
    expect(lines.slice(0, 5)).toEqual(["65534", "/app", "hello-there", "a.txt", "keep.tmp"]);
    expect(lines[5]).toMatch(/^-rw-r----- +1 65534 +50 /);
    expect(lines).toContain("motd for hello-there");
    expect(lines.at(-1)).toBe("gone");
    const inspect = JSON.parse((await d.cli(["image", "inspect", "built:1"])).stdout)[0];
    expect(inspect.Config.User).toBe("nobody");
    expect(inspect.Config.Labels).toEqual({ "org.test": "yes" });
    expect(Object.keys(inspect.Config.ExposedPorts).sort()).toEqual(["53/udp", "8080/tcp"]);
    expect(inspect.Config.Healthcheck).toEqual({ Test: ["CMD-SHELL", "cat /app/out.txt"], Interval: 5e9 });
    expect(inspect.Config.Env).toContain("G=hello-there");
    const res = await fetch("http://localhost/images/built:1/history", { unix: d.socket } as RequestInit);
    const history = (await res.json()) as { CreatedBy: string; Size: number }[];
    expect(history[0]!.CreatedBy).toBe('/bin/sh -c #(nop)  CMD ["cat" "/app/out.txt"]');
    expect(history.map((h) => h.CreatedBy)).toContain('|1 GREETING=hello /bin/sh -c rm /bin/true && echo "ran $GREETING"');
    // Metadata steps have no layer; the COPY of /etc/motd has one.
    expect(history.find((h) => h.CreatedBy.includes("USER nobody"))!.Size).toBe(0);
    expect(history.find((h) => /COPY file:[0-9a-f]{64} in \/etc\/motd /.test(h.CreatedBy))!.Size).toBeGreaterThan(0);
  }, 120_000);

  test("a rebuild of the same context is all cache and runs nothing; an mtime alone changes nothing", async () => {
    const first = (await build(["-q", "--build-arg", "GREETING=hello", ctx])).stdout.trim();
    utimesSync(join(ctx, "hello.txt"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const r = await build(["--build-arg", "GREETING=hello", ctx]);
    expect(r.stdout).not.toContain("Running in");
    for (const s of stepsOf(r.stdout)) if (!/ : FROM /.test(s)) expect(s).toContain("Using cache");
    expect(r.stdout).toContain(`Successfully built ${first.slice(7, 19)}`);
  }, 120_000);

  test("one changed file re-runs from its COPY on; a changed build arg from the first step that uses it", async () => {
    writeFileSync(join(ctx, "data/a.txt"), "changed\n");
    const steps = stepsOf((await build(["--build-arg", "GREETING=hello", ctx])).stdout);
    const from = steps.findIndex((s) => / : COPY --chown/.test(s));
    for (const s of steps.slice(0, from)) if (!/ : FROM /.test(s)) expect(s).toContain("Using cache");
    for (const s of steps.slice(from)) expect(s).not.toContain("Using cache");
    const argSteps = stepsOf((await build(["--build-arg", "GREETING=other", ctx])).stdout);
    const envStep = argSteps.findIndex((s) => / : ENV G=/.test(s));
    for (const s of argSteps.slice(0, envStep)) if (!/ : FROM /.test(s)) expect(s).toContain("Using cache");
    expect(argSteps[envStep]).not.toContain("Using cache");
  }, 120_000);

  test("--iidfile gets the image ID; the cache survives the daemon's kill -9 and restart", async () => {
    const iid = join(d.dir, "built.iid");
    expect((await build(["--iidfile", iid, "--build-arg", "GREETING=hello", ctx])).code).toBe(0);
    const id = await Bun.file(iid).text();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await d.cli(["image", "inspect", "-f", "{{.Id}}", id])).stdout.trim()).toBe(id);
    d.kill();
    await d.restart();
    rmSync(iid);
    const r = await build(["--iidfile", iid, "--build-arg", "GREETING=hello", ctx]);
    expect(r.stdout).not.toContain("Running in");
    for (const s of stepsOf(r.stdout)) if (!/ : FROM /.test(s)) expect(s).toContain("Using cache");
    expect(await Bun.file(iid).text()).toBe(id);
  }, 120_000);

  test("SOURCE_DATE_EPOCH: two uncached builds give the same image ID", async () => {
    const small = mkdtempSync(join(d.dir, "ctx-epoch-"));
    writeFileSync(join(small, "Dockerfile"), "FROM busybox\nCOPY f /f\nRUN echo x > /made\nENV A=1\n");
    writeFileSync(join(small, "f"), "f\n");
    const one = await build(["-q", "--no-cache", "--build-arg", "SOURCE_DATE_EPOCH=1700000000", small]);
    await Bun.sleep(1100);
    const two = await build(["-q", "--no-cache", "--build-arg", "SOURCE_DATE_EPOCH=1700000000", small]);
    expect(one.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(two.stdout.trim()).toBe(one.stdout.trim());
    const inspect = JSON.parse((await d.cli(["image", "inspect", one.stdout.trim()])).stdout)[0];
    expect(inspect.Created).toBe("2023-11-14T22:13:20Z");
    rmSync(small, { recursive: true, force: true });
  }, 120_000);

  test("a failing RUN stops with Docker's message and leaves no container behind; parse errors name the line", async () => {
    const bad = mkdtempSync(join(d.dir, "ctx-bad-"));
    writeFileSync(join(bad, "Dockerfile"), "FROM busybox\nRUN echo before\nRUN false\nRUN echo never\n");
    const r = await d.cli(["build", "-t", "bad:1", bad], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The command '/bin/sh -c false' returned a non-zero code: 1");
    expect(r.stdout).not.toContain("never");
    expect((await d.cli(["ps", "-aq"])).stdout.trim()).toBe("");
    expect((await d.cli(["image", "inspect", "bad:1"])).code).not.toBe(0);
    const parse = await d.cli(["build", "-f", "-", bad], { stdin: "FROM busybox\nFOO bar\n" });
    expect(parse.code).toBe(1);
    expect(parse.stderr).toContain("dockerfile parse error line 2: unknown instruction: FOO");
    rmSync(bad, { recursive: true, force: true });
  }, 120_000);

  test("the docker CLI builds through berth's classic builder API; docker history shows the steps", async () => {
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_BUILDKIT: "0" };
    // Without buildx the CLI falls back to the classic protocol on its own, DOCKER_BUILDKIT unset.
    const { DOCKER_BUILDKIT: _unset, ...plainEnv } = { ...env };
    const r = Bun.spawnSync(["docker", "build", "-t", "viadocker:1", "--build-arg", "GREETING=hello", ctx], { env: plainEnv });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toContain("Successfully tagged viadocker:1");
    const h = Bun.spawnSync(["docker", "history", "--no-trunc", "viadocker:1"], { env });
    expect(h.exitCode).toBe(0);
    expect(h.stdout.toString()).toContain('CMD ["cat" "/app/out.txt"]');
    const stdinBuild = Bun.spawnSync(["docker", "build", "-q", "-f", "-", ctx], { env, stdin: new TextEncoder().encode("FROM busybox\nCOPY hello.txt /h\n") });
    expect(stdinBuild.exitCode).toBe(0);
    expect(stdinBuild.stdout.toString().trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    const tar = Bun.spawnSync(["tar", "-C", ctx, "-cf", "-", "."]).stdout;
    const tarBuild = Bun.spawnSync(["docker", "build", "-t", "viadocker:tar", "--build-arg", "GREETING=hello", "-"], { env, stdin: tar });
    expect(tarBuild.exitCode).toBe(0);
    expect(tarBuild.stdout.toString()).toContain("Successfully tagged viadocker:tar");
  }, 120_000);
});

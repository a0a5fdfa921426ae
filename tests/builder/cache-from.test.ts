// --cache-from: an image saved, removed and loaded again (what a CI job gets
// from a registry: the image without the builder's cache rows or its
// intermediate images) lets a rebuild of the same context skip every step
// and give that image's ID again, through berth build and the docker CLI;
// a changed file re-runs the steps from its COPY on.
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";

const box = busyboxDaemonForFile();

/** The build's output split per step: "N/M : INSTRUCTION\n…". */
const stepsOf = (stdout: string) => stdout.split(/^Step /m).slice(1);

describe.if(box.ok)("--cache-from", () => {
  test("a loaded image's history stands in for the cache; a changed file re-runs from its COPY", async () => {
    const d = box.d;
    const ctx = join(d.dir, "cache-from-ctx");
    mkdirSync(ctx);
    writeFileSync(join(ctx, "a.txt"), "a\n");
    writeFileSync(join(ctx, "Dockerfile"), "FROM busybox\nENV MODE=ci\nRUN echo ran-first > /first\nCOPY a.txt /a.txt\nRUN cat /a.txt > /second\nCMD [\"cat\", \"/second\"]\n");
    const build = (args: string[]) => d.cli(["build", ...args, ctx], { timeoutMs: 120_000 });
    const first = await build(["-t", "cached:src"]);
    expect(first.code).toBe(0);
    const id = JSON.parse((await d.cli(["image", "inspect", "cached:src"])).stdout)[0].Id as string;
    const tar = join(d.dir, "cached-src.tar");
    expect((await d.cli(["save", "-o", tar, "cached:src"])).code).toBe(0);
    expect((await d.cli(["builder", "prune", "-f"])).code).toBe(0);
    expect((await d.cli(["rmi", "cached:src"])).code).toBe(0);
    expect((await d.cli(["load", "-i", tar])).code).toBe(0);

    // Without --cache-from the steps run again: the cache rows went with the prune.
    const plain = await build([]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain("Running in");
    expect((await d.cli(["builder", "prune", "-f"])).code).toBe(0);

    const again = await build(["--cache-from", "cached:src", "-t", "cached:again"]);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain("Running in");
    for (const s of stepsOf(again.stdout).slice(1)) expect(s).toContain("Using cache");
    expect(JSON.parse((await d.cli(["image", "inspect", "cached:again"])).stdout)[0].Id).toBe(id);
    expect((await d.cli(["run", "--rm", "cached:again"])).stdout).toBe("a\n");

    // The docker CLI sends cachefrom as the classic builder's API has it.
    expect((await d.cli(["builder", "prune", "-f"])).code).toBe(0);
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_BUILDKIT: "0" };
    const viaDocker = Bun.spawnSync(["docker", "build", "--cache-from", "cached:src", "-q", ctx], { env });
    expect(viaDocker.exitCode).toBe(0);
    expect(viaDocker.stdout.toString().trim()).toBe(id);

    // One changed file: the steps before its COPY come from the image, the COPY and after run.
    expect((await d.cli(["builder", "prune", "-f"])).code).toBe(0);
    writeFileSync(join(ctx, "a.txt"), "changed\n");
    const changed = await build(["--cache-from", "cached:src", "-t", "cached:changed"]);
    expect(changed.code).toBe(0);
    const steps = stepsOf(changed.stdout);
    const copy = steps.findIndex((s) => / : COPY a.txt/.test(s));
    for (const s of steps.slice(1, copy)) expect(s).toContain("Using cache");
    for (const s of steps.slice(copy)) expect(s).not.toContain("Using cache");
    expect((await d.cli(["run", "--rm", "cached:changed"])).stdout).toBe("changed\n");
  }, 240_000);
});

// dockerode (the Node client testcontainers builds on) against berth's daemon,
// unchanged: run with attached streams, logs, exec over a hijacked
// connection, inspect, wait, remove, and a pull with its progress stream.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { requireTools, skopeoOk, startDockerRegistry, type RunningRegistry } from "../registry/helpers.ts";

setDefaultTimeout(120_000);
const ok = requireDaemon() && requireTools();
let d: TestDaemon;
let tmp: string;
let docker: Docker;
let registry: RunningRegistry;

beforeAll(async () => {
  if (!ok) return;
  tmp = mkdtempSync("/tmp/berth-test-dockerode-");
  d = await startDaemon();
  expect((await d.cli(["import", busyboxRootfsTar(tmp), "busybox:latest", "--change", 'CMD ["sh"]'])).code).toBe(0);
  docker = new Docker({ socketPath: d.socket });
  registry = await startDockerRegistry(join(tmp, "registry"));
});

afterAll(async () => {
  if (!ok) return;
  await registry.stop();
  await d.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** Collects what a stream writes. */
function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const parts: Buffer[] = [];
  stream.on("data", (c) => parts.push(Buffer.from(c)));
  return { stream, text: () => Buffer.concat(parts).toString() };
}

describe.if(ok)("dockerode", () => {
  test("run with demultiplexed stdout/stderr, then the exit code", async () => {
    const out = sink();
    const err = sink();
    const [result, container] = await docker.run("busybox", ["sh", "-c", "echo to-out; echo to-err >&2; exit 3"], [out.stream, err.stream], { Tty: false });
    expect(result.StatusCode).toBe(3);
    // The output and the exit come on two connections: the daemon sends the output first (see
    // attach-exit-order.test.ts), but the client may hand the exit over a few ms before the data.
    for (const end = Date.now() + 10_000; Date.now() < end && (out.text() === "" || err.text() === ""); ) await Bun.sleep(20);
    expect(out.text()).toBe("to-out\n");
    expect(err.text()).toBe("to-err\n");
    await container.remove();
  });

  test("create, start, logs, exec, inspect, stop, wait, remove", async () => {
    const c = await docker.createContainer({ Image: "busybox", Cmd: ["sh", "-c", "echo started; sleep 60"], name: "dockerode-box", Labels: { via: "dockerode" } });
    await c.start();
    const info = await c.inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Config.Labels.via).toBe("dockerode");
    expect(info.Name).toBe("/dockerode-box");

    for (const end = Date.now() + 10_000; Date.now() < end && !(await c.logs({ stdout: true })).toString().includes("started"); ) await Bun.sleep(20);
    const logs = await c.logs({ stdout: true, stderr: true });
    // Without a TTY the log stream is multiplexed: an 8-byte header per frame.
    expect(logs[0]).toBe(1);
    expect(logs.subarray(8).toString()).toBe("started\n");

    const exec = await c.exec({ Cmd: ["sh", "-c", "echo $((6 * 7)); hostname"], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out = sink();
    const err = sink();
    docker.modem.demuxStream(stream, out.stream, err.stream);
    await new Promise<void>((resolve) => stream.on("end", () => resolve()));
    expect(out.text()).toBe(`42\n${info.Config.Hostname}\n`);
    expect((await exec.inspect()).ExitCode).toBe(0);

    const listed = await docker.listContainers({ filters: { label: ["via=dockerode"] } });
    expect(listed.map((x) => x.Names[0])).toEqual(["/dockerode-box"]);
    await c.stop({ t: 1 });
    expect((await c.wait()).StatusCode).toBe(137);
    await c.remove();
    await expect(c.inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  test("pull follows the progress stream to the end", async () => {
    await skopeoOk(["copy", "--quiet", "--dest-tls-verify=false", `docker-archive:${await saveBusybox()}`, `docker://${registry.host}/node/bb:v1`]);
    const stream = await docker.pull(`${registry.host}/node/bb:v1`);
    const events: any[] = await new Promise((resolve, reject) => docker.modem.followProgress(stream, (e: Error | null, out: any[]) => (e ? reject(e) : resolve(out))));
    expect(events.at(-1).status).toBe(`Status: Downloaded newer image for ${registry.host}/node/bb:v1`);
    const img = await docker.getImage(`${registry.host}/node/bb:v1`).inspect();
    expect(img.RepoTags).toContain(`${registry.host}/node/bb:v1`);
  });
});

/** busybox as a docker-archive, written by berth's save (skopeo reads it). */
async function saveBusybox(): Promise<string> {
  const file = join(tmp, "busybox.tar");
  const r = await d.cli(["save", "-o", file, "busybox:latest"]);
  expect(r.code).toBe(0);
  return file;
}

// The Engine API of a real `berth daemon` (a subprocess on a private socket):
// system routes, version prefixes, events, and the image routes with a
// skopeo-made docker-archive of a busybox-static image.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { makeImageFixtures, requireTools, type ImageFixtures } from "../fixtures/image-busybox.ts";

const ok = requireDaemon() && requireTools();
let d: TestDaemon;
let tmp: string;
let fx: ImageFixtures;

const api = (path: string, init: RequestInit = {}) => fetch(`http://localhost${path}`, { unix: d.socket, ...init } as RequestInit);
const json = async (path: string, init: RequestInit = {}) => {
  const r = await api(path, init);
  return { status: r.status, body: (await r.json()) as any };
};

/** Collects the events stream for `ms` milliseconds. */
async function eventsDuring(query: string, ms: number, action: () => Promise<void>): Promise<any[]> {
  const ctl = new AbortController();
  const r = await api(`/v1.44/events?${query}`, { signal: ctl.signal });
  const reader = r.body!.getReader();
  const seen: any[] = [];
  const reading = (async () => {
    let buf = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += new TextDecoder().decode(value);
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          if (buf.slice(0, i).trim()) seen.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
      }
    } catch {}
  })();
  await action();
  await Bun.sleep(ms);
  ctl.abort();
  await reading;
  return seen;
}

beforeAll(async () => {
  if (!ok) return;
  tmp = mkdtempSync("/tmp/berth-test-apid-");
  fx = await makeImageFixtures(tmp);
  d = await startDaemon();
});
afterAll(async () => {
  if (!ok) return;
  await d.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe.if(ok)("system routes", () => {
  test("GET and HEAD /_ping", async () => {
    for (const method of ["GET", "HEAD"]) {
      const r = await api("/_ping", { method });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(method === "GET" ? "OK" : "");
      expect(r.headers.get("api-version")).toBe("1.44");
      expect(r.headers.get("builder-version")).toBeTruthy();
      expect(r.headers.get("cache-control")).toBe("no-cache, no-store, must-revalidate");
      expect(r.headers.get("pragma")).toBe("no-cache");
      expect(r.headers.get("ostype")).toBe("linux");
    }
  });

  test("/version", async () => {
    const { body: v } = await json("/v1.44/version");
    expect(v.ApiVersion).toBe("1.44");
    expect(v.MinAPIVersion).toBe("1.24");
    expect(v.Os).toBe("linux");
    expect(v.GoVersion).toBe(`bun${Bun.version}`);
    expect(v.Platform.Name).toBe("berth");
    expect(v.Components[0].Name).toBe("Engine");
    expect(v.Components[0].Details.ApiVersion).toBe("1.44");
    expect(typeof v.KernelVersion).toBe("string");
  });

  test("/info holds the host's truth", async () => {
    const { body: i } = await json("/info");
    expect(i.OSType).toBe("linux");
    expect(i.NCPU).toBe(navigator.hardwareConcurrency);
    expect(i.MemTotal).toBe(require("node:os").totalmem());
    expect(["overlay2", "vfs"]).toContain(i.Driver);
    expect(i.LoggingDriver).toBe("json-file");
    expect(i.CgroupDriver).toBe("cgroupfs");
    expect(["1", "2"]).toContain(i.CgroupVersion);
    expect(i.DockerRootDir).toBe(join(d.dir, "data"));
    expect(i.RegistryConfig.InsecureRegistryCIDRs).toContain("127.0.0.0/8");
    expect(i.RegistryConfig.IndexConfigs["docker.io"].Official).toBe(true);
    expect(i.Images).toBeGreaterThanOrEqual(0);
    expect(i.Containers).toBe(i.ContainersRunning + i.ContainersPaused + i.ContainersStopped);
    expect(Array.isArray(i.Warnings)).toBe(true);
  });

  test("version prefixes: too old, too new, unknown route", async () => {
    expect(await json("/v1.12/info")).toEqual({
      status: 400,
      body: { message: "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version" },
    });
    expect((await json("/v1.99/info")).status).toBe(400);
    expect(await json("/v1.44/no/such/route")).toEqual({ status: 404, body: { message: "page not found" } });
  });

  test("bad events filters are 400", async () => {
    expect((await json(`/events?filters=${encodeURIComponent('{"bogus":["x"]}')}`)).status).toBe(400);
  });
});

describe.if(ok)("image routes", () => {
  let id = "";

  test("load streams Loaded image lines and emits a load event", async () => {
    const events = await eventsDuring(`filters=${encodeURIComponent('{"type":["image"]}')}`, 300, async () => {
      const r = await api("/v1.44/images/load?quiet=1", { method: "POST", body: Bun.file(fx.dockerArchive) });
      expect(r.status).toBe(200);
      const lines = (await r.text()).trim().split("\n").map((l) => JSON.parse(l));
      expect(lines).toContainEqual({ stream: "Loaded image: busybox:test\n" });
    });
    const load = events.find((e) => e.Action === "load");
    expect(load?.Type).toBe("image");
    expect(load?.Actor.ID).toMatch(/^sha256:[0-9a-f]{64}$/);
    id = load.Actor.ID;
  });

  test("list, inspect (names with slashes), history", async () => {
    const { body: list } = await json("/v1.44/images/json");
    const img = list.find((i: any) => i.RepoTags.includes("busybox:test"));
    expect(img.Id).toBe(id);
    expect(img.Size).toBeGreaterThan(1_000_000);
    const { body: byName } = await json("/v1.44/images/busybox:test/json");
    const { body: bySlash } = await json("/v1.44/images/library/busybox:test/json");
    const { body: byFull } = await json("/v1.44/images/docker.io/library/busybox:test/json");
    expect(byName.Id).toBe(id);
    expect(bySlash.Id).toBe(id);
    expect(byFull.Id).toBe(id);
    expect(byName.Config.Env).toContain("FOO=bar");
    expect(byName.RootFS.Layers.length).toBe(2);
    const { body: hist } = await json("/images/busybox:test/history");
    expect(hist[0].Id).toBe(id);
    expect(hist.length).toBeGreaterThanOrEqual(2);
    expect(await json("/images/nope/json")).toEqual({ status: 404, body: { message: "No such image: nope:latest" } });
  });

  test("tag, filters, and the tag/untag/delete events dockerd sends", async () => {
    const events = await eventsDuring(`since=0&filters=${encodeURIComponent('{"type":["image"]}')}`, 300, async () => {
      expect((await api("/images/busybox:test/tag?repo=registry.local:5000/team/bb&tag=2", { method: "POST" })).status).toBe(201);
      expect((await api("/images/busybox:test/tag?repo=bb", { method: "POST" })).status).toBe(201);
      const { body: ref } = await json(`/images/json?filters=${encodeURIComponent('{"reference":["bb"]}')}`);
      expect(ref.map((i: any) => i.Id)).toEqual([id]);
      // An ID with several tags is refused without force.
      const refused = await json(`/images/${id.slice(7, 19)}`, { method: "DELETE" });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain("image is referenced in multiple repositories");
      expect((await json("/images/bb:latest", { method: "DELETE" })).body).toEqual([{ Untagged: "bb:latest" }]);
    });
    const tag = events.find((e) => e.Action === "tag" && e.Actor.Attributes.name === "bb:latest");
    expect(tag?.Actor.ID).toBe(id);
    expect(tag?.Actor.Attributes["org.test"]).toBe("yes"); // the image's labels ride along
    expect(events.find((e) => e.Action === "tag" && e.Actor.Attributes.name === "registry.local:5000/team/bb:2")).toBeTruthy();
    const untag = events.find((e) => e.Action === "untag");
    expect(untag?.Actor.ID).toBe(id);
    expect(events.some((e) => e.Action === "load")).toBe(true); // since=0 replays history
  });

  test("save → delete → load round trip; save events", async () => {
    const events = await eventsDuring("", 200, async () => {
      const saved = await api(`/images/get?names=busybox:test&names=${encodeURIComponent("registry.local:5000/team/bb:2")}`);
      expect(saved.status).toBe(200);
      expect(saved.headers.get("content-type")).toBe("application/x-tar");
      await Bun.write(join(tmp, "saved.tar"), saved);
    });
    expect(events.filter((e) => e.Action === "save").map((e) => e.Actor.ID)).toContain(id);
    const single = await api("/images/busybox:test/get");
    expect(single.status).toBe(200);
    await single.arrayBuffer();

    const del1 = await json("/images/registry.local:5000/team/bb:2", { method: "DELETE" });
    expect(del1.body).toEqual([{ Untagged: "registry.local:5000/team/bb:2" }]);
    const del2 = await json("/images/busybox:test", { method: "DELETE" });
    expect(del2.body[0]).toEqual({ Untagged: "busybox:test" });
    expect(del2.body.some((x: any) => x.Deleted === id)).toBe(true);
    expect((await json("/images/busybox:test/json")).status).toBe(404);

    const r = await api("/images/load", { method: "POST", body: Bun.file(join(tmp, "saved.tar")) });
    const text = await r.text();
    expect(text).toContain("Loaded image: busybox:test");
    expect(text).toContain("Loaded image: registry.local:5000/team/bb:2");
    expect((await json("/images/busybox:test/json")).body.Id).toBe(id);
  });

  test("a broken archive is an error line in the stream", async () => {
    const r = await api("/images/load", { method: "POST", body: "this is not a tar archive at all, not even close".repeat(20) });
    expect(r.status).toBe(200);
    const last = JSON.parse((await r.text()).trim().split("\n").pop()!);
    expect(last.error).toBeTruthy();
    expect(last.errorDetail.message).toBe(last.error);
  });

  test("import a rootfs with changes; a pull that cannot reach its registry is an HTTP error", async () => {
    const tar = join(tmp, "rootfs.tar");
    Bun.spawnSync(["tar", "-C", fx.rootfs, "-cf", tar, "."]);
    const q = new URLSearchParams({ fromSrc: "-", repo: "imported", tag: "v1", message: "from the test" });
    q.append("changes", 'CMD ["/bin/sh"]');
    q.append("changes", "ENV A=b");
    const r = await api(`/images/create?${q}`, { method: "POST", body: Bun.file(tar) });
    const lines = (await r.text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.at(-1).status).toMatch(/^sha256:[0-9a-f]{64}$/);
    const { body: img } = await json("/images/imported:v1/json");
    expect(img.Config.Cmd).toEqual(["/bin/sh"]);
    expect(img.Config.Env).toContain("A=b");
    expect(img.Comment).toBe("from the test");
    // Nothing listens on port 1: the pull fails before any progress, so as an HTTP error.
    const pull = await json("/images/create?fromImage=127.0.0.1:1/busybox&tag=latest", { method: "POST" });
    expect(pull.status).toBe(500);
    expect(pull.body.message).toBe('Get "http://127.0.0.1:1/v2/busybox/manifests/latest": dial tcp 127.0.0.1:1: connect: connection refused');
  });
});

/** Docker stream frames → {stream, text} list. */
function frames(b: Buffer): { stream: number; text: string }[] {
  const out = [];
  for (let i = 0; i + 8 <= b.length;) {
    const len = b.readUInt32BE(i + 4);
    out.push({ stream: b[i]!, text: b.subarray(i + 8, i + 8 + len).toString() });
    i += 8 + len;
  }
  return out;
}

describe.if(ok)("hijack routes without Upgrade (dockerode's default)", () => {
  test("exec start with Detach:false streams frames as the body; Detach:true answers at once", async () => {
    const tar = busyboxRootfsTar(tmp);
    const q = new URLSearchParams({ fromSrc: "-", repo: "bbx", tag: "1" });
    await (await api(`/images/create?${q}`, { method: "POST", body: Bun.file(tar) })).text();
    const created = await json("/containers/create?name=hj", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ Image: "bbx:1", Cmd: ["sh", "-c", "echo started; sleep 30"] }),
    });
    expect(created.status).toBe(201);
    expect((await api("/containers/hj/start", { method: "POST" })).status).toBe(204);

    const ex = await json("/containers/hj/exec", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ AttachStdout: true, AttachStderr: true, Cmd: ["sh", "-c", "echo out; echo err >&2"] }),
    });
    const r = await api(`/exec/${ex.body.Id}/start`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"Detach":false,"Tty":false}' });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/vnd.docker.multiplexed-stream");
    const got = frames(Buffer.from(await r.arrayBuffer()));
    expect(got).toContainEqual({ stream: 1, text: "out\n" });
    expect(got).toContainEqual({ stream: 2, text: "err\n" });
    expect((await json(`/exec/${ex.body.Id}/json`)).body.ExitCode).toBe(0);

    const bg = await json("/containers/hj/exec", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ Cmd: ["touch", "/tmp/bg"] }),
    });
    const det = await api(`/exec/${bg.body.Id}/start`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"Detach":true}' });
    expect(det.status).toBe(200);
    expect(await det.text()).toBe("");

    // A plain POST attach follows the output as the response body.
    await json("/containers/create?name=ticker", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ Image: "bbx:1", Cmd: ["sh", "-c", "while true; do echo tick; sleep 0.1; done"] }),
    });
    expect((await api("/containers/ticker/start", { method: "POST" })).status).toBe(204);
    const ctl = new AbortController();
    const att = await api("/containers/ticker/attach?stream=1&stdout=1&stderr=1", { method: "POST", signal: ctl.signal });
    expect(att.status).toBe(200);
    expect(att.headers.get("content-type")).toBe("application/vnd.docker.multiplexed-stream");
    const reader = att.body!.getReader();
    const first = await Promise.race([reader.read(), Bun.sleep(3000).then(() => undefined)]);
    ctl.abort();
    expect(first?.value && frames(Buffer.from(first.value))[0]).toEqual({ stream: 1, text: "tick\n" });

    // logs=1 replays what was written before; with stream=0 that is all, and the body ends.
    await Bun.sleep(300);
    const replay = await api("/containers/ticker/attach?logs=1&stream=0&stdout=1", { method: "POST" });
    const past = frames(Buffer.from(await replay.arrayBuffer()));
    expect(past.length).toBeGreaterThanOrEqual(3);
    expect(past.every((f) => f.stream === 1 && f.text === "tick\n")).toBe(true);
    const stderrOnly = await api("/containers/ticker/attach?logs=1&stream=0&stderr=1", { method: "POST" });
    expect(await stderrOnly.arrayBuffer()).toHaveProperty("byteLength", 0);
    expect((await api("/containers/ticker?force=1", { method: "DELETE" })).status).toBe(204);
    expect((await api("/containers/hj?force=1", { method: "DELETE" })).status).toBe(204);
  });
});

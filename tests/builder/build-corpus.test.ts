// The rest of the Dockerfile corpus through a real daemon, each line of the
// builds issue that the other files leave out: the `# check=` directive,
// STOPSIGNAL, MAINTAINER, VOLUME, WORKDIR relative to the previous one, COPY
// wildcards and the destination's trailing-slash rules, the predefined build
// args (platform and proxy), --label, -f naming a file elsewhere in the
// context, RUN --network=none and host, `system prune` taking the build
// cache, a COPY's layer stored as it was copied (no SOURCE_DATE_EPOCH)
// holding what the layer unpacked from its tar (with one) holds, and a RUN
// step's layer made as a commit's is.
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { $ } from "bun";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";

const daemon = busyboxDaemonForFile();

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(daemon.d.dir, "ctx-corpus-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const build = (args: string[]) => daemon.d.cli(["build", ...args], { timeoutMs: 90_000 });
const inspect = async (ref: string) => JSON.parse((await daemon.d.cli(["image", "inspect", ref])).stdout)[0];

describe.skipIf(!daemon.ok)("the Dockerfile corpus", () => {
  test("directives, metadata instructions, WORKDIR, COPY's wildcards and destination rules", async () => {
    const ctx = context({
      Dockerfile: [
        "# syntax=docker/dockerfile:1", "# check=skip=all", "FROM busybox", "MAINTAINER someone@example.com",
        "STOPSIGNAL SIGQUIT", 'VOLUME ["/data", "/logs"]', "EXPOSE 9000",
        "WORKDIR /srv", "WORKDIR app", "WORKDIR ../lib",
        "COPY *.txt /many/", "COPY one.txt /renamed", "RUN mkdir /adir", "COPY one.txt /adir", "COPY sub /sub-contents/", "",
      ].join("\n"),
      "one.txt": "1\n", "two.txt": "2\n", "other.md": "no\n", "sub/inner.txt": "inner\n",
    });
    const r = await build(["-t", "corpus:meta", ctx]);
    if (r.code !== 0) console.error(r.stdout, r.stderr);
    expect(r.code).toBe(0);
    const img = await inspect("corpus:meta");
    expect(img.Author).toBe("someone@example.com");
    expect(img.Config.StopSignal).toBe("SIGQUIT");
    expect(Object.keys(img.Config.Volumes).sort()).toEqual(["/data", "/logs"]);
    expect(Object.keys(img.Config.ExposedPorts)).toEqual(["9000/tcp"]);
    expect(img.Config.WorkingDir).toBe("/srv/lib");
    const out = await daemon.d.cli(["run", "--rm", "corpus:meta", "sh", "-c", "ls /many; cat /renamed; ls /adir; ls /sub-contents; ls -d /srv/app /srv/lib"]);
    expect(out.stdout).toBe("one.txt\ntwo.txt\n1\none.txt\ninner.txt\n/srv/app\n/srv/lib\n");
  }, 120_000);

  test("predefined args: the platform's for a stage that declares them, proxies without a warning and out of the history", async () => {
    const ctx = context({
      Dockerfile: "FROM busybox\nARG TARGETPLATFORM\nARG TARGETARCH\nARG BUILDPLATFORM\nRUN echo \"$TARGETPLATFORM $TARGETARCH $BUILDPLATFORM proxy=$HTTP_PROXY\" > /args\n",
    });
    const r = await build(["--build-arg", "HTTP_PROXY=http://proxy.invalid:3128", "-t", "corpus:args", ctx]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("were not consumed");
    const arch = process.arch === "arm64" ? "arm64" : "amd64";
    expect((await daemon.d.cli(["run", "--rm", "corpus:args", "cat", "/args"])).stdout).toBe(`linux/${arch} ${arch} linux/${arch} proxy=http://proxy.invalid:3128\n`);
    const history = JSON.stringify((await inspect("corpus:args")).Config) + (await daemon.d.cli(["history", "--no-trunc", "corpus:args"])).stdout;
    expect(history).not.toContain("proxy.invalid");
  }, 120_000);

  test("--label, and -f naming a Dockerfile elsewhere in the context", async () => {
    const ctx = context({ "build/dev.Dockerfile": "FROM busybox\nLABEL from.file=yes\nCOPY f /f\n", f: "f\n" });
    // -f is a path from where the command runs, as with docker.
    const r = await build(["-f", join(ctx, "build/dev.Dockerfile"), "--label", "from.flag=1", "--label", "from.file=overridden", "-t", "corpus:label", ctx]);
    expect(r.code).toBe(0);
    expect((await inspect("corpus:label")).Config.Labels).toEqual({ "from.file": "overridden", "from.flag": "1" });
    expect((await daemon.d.cli(["history", "--no-trunc", "corpus:label"])).stdout).toContain('LABEL "from.flag"="1"');
    const missing = await build(["-f", join(ctx, "nope.Dockerfile"), ctx]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("unable to evaluate symlinks in Dockerfile path");
    // Through the API, a name the sent context does not hold.
    const tar = Bun.spawnSync(["tar", "-C", ctx, "-cf", "-", "."]).stdout;
    const res = await fetch("http://localhost/build?dockerfile=nope.Dockerfile", { method: "POST", body: tar, headers: { "Content-Type": "application/x-tar" }, unix: daemon.d.socket } as RequestInit);
    expect(await res.text()).toContain('"error":"Cannot locate specified Dockerfile: nope.Dockerfile"');
  }, 120_000);

  test("COPY --from naming neither an earlier stage nor an image there is: the classic builder's words, the file and the line", async () => {
    const ctx = context({ Dockerfile: "FROM busybox AS a\nFROM busybox\nCOPY --from=2 /x /x\n", "later.Dockerfile": "FROM busybox\nRUN true\nCOPY --from=no-such-stage /x /x\n" });
    const later = await build([ctx]);
    expect(later.code).toBe(1);
    expect(later.stderr).toContain("invalid from flag value 2: refers to current build stage or a later one (Dockerfile line 3)");
    const missing = await build(["-f", join(ctx, "later.Dockerfile"), ctx]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/invalid from flag value no-such-stage: .+ \(later\.Dockerfile line 3\)/);
  }, 120_000);

  test("RUN --mount=type=bind of the context and of a stage, and type=tmpfs: seen by the step, out of the layer, the bound files in the key", async () => {
    const ctx = context({
      Dockerfile: [
        "FROM busybox AS src", "RUN echo from-stage > /s", "FROM busybox",
        "RUN --mount=type=bind,target=/ctx cat /ctx/f > /from-ctx",
        "RUN --mount=type=bind,from=src,source=/s,target=/s cat /s > /from-stage",
        "RUN --mount=type=tmpfs,target=/scratch echo t > /scratch/t && cat /scratch/t > /from-tmpfs", "",
      ].join("\n"),
      f: "one\n",
    });
    expect((await build(["-t", "corpus:mounts", ctx])).code).toBe(0);
    const show = "cat /from-ctx /from-stage /from-tmpfs; ls -A /ctx 2>/dev/null; ls -A /scratch 2>/dev/null; test -e /s && echo s-left; true";
    expect((await daemon.d.cli(["run", "--rm", "corpus:mounts", "sh", "-c", show])).stdout).toBe("one\nfrom-stage\nt\n");
    writeFileSync(join(ctx, "f"), "two\n");
    const again = await build(["-t", "corpus:mounts", ctx]);
    const steps = again.stdout.split(/^Step /m).slice(1);
    expect(steps.find((x) => x.includes("target=/ctx"))).not.toContain("Using cache");
    expect((await daemon.d.cli(["run", "--rm", "corpus:mounts", "cat", "/from-ctx"])).stdout).toBe("two\n");
  }, 120_000);

  test("RUN --network=none has only loopback; --network=host needs a build on the host network", async () => {
    const ctx = context({ Dockerfile: "FROM busybox\nRUN --network=none ls /sys/class/net > /nets\n" });
    expect((await build(["-t", "corpus:nonet", ctx])).code).toBe(0);
    expect((await daemon.d.cli(["run", "--rm", "corpus:nonet", "cat", "/nets"])).stdout).toBe("lo\n");
    // The test daemon has no bridge: its builds are on the host's network unless --network says otherwise.
    const host = context({ Dockerfile: "FROM busybox\nRUN --network=host ls /sys/class/net > /nets\n" });
    const refused = await build(["--network", "none", host]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("network.host is not allowed");
    expect((await build(["--network", "host", "-t", "corpus:hostnet", host])).code).toBe(0);
    const seen = (await daemon.d.cli(["run", "--rm", "corpus:hostnet", "cat", "/nets"])).stdout.trim().split("\n").sort();
    expect(seen).toEqual(readdirSync("/sys/class/net").sort());
  }, 120_000);

  test("system prune takes the build cache with it", async () => {
    const ctx = context({ Dockerfile: "FROM busybox\nRUN echo cached > /c\n" });
    // Tagged: the image stays, only its steps' cache entries go.
    expect((await build(["-t", "corpus:pruned", ctx])).code).toBe(0);
    const count = async () => Number(/^Build Cache\s+(\d+)\s/m.exec((await daemon.d.cli(["system", "df"])).stdout)?.[1]);
    expect(await count()).toBeGreaterThan(0);
    const pruned = await daemon.d.cli(["system", "prune", "-f"]);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain("Deleted build cache objects:");
    expect(await count()).toBe(0);
    expect((await build([ctx])).stdout).not.toContain("Using cache");
  }, 120_000);

  test("a COPY's layer kept as copied holds what the same layer unpacked from its tar holds", async () => {
    // /etc/x is a file below and a directory after the COPY (a whiteout and an opaque dir in the
    // overlay's upper); /tmp gains a file beside what it had.
    const ctx = context({
      Dockerfile: "FROM busybox AS base\nRUN echo old > /etc/x && mkdir /tmp/kept && echo k > /tmp/kept/k\nFROM base\nCOPY tree/ /\nRUN find /etc/x /tmp | sort > /listing\n",
      "tree/etc/x/new": "new\n", "tree/tmp/added": "added\n", "tree/bin/tool": "#!/bin/sh\n",
    });
    const plain = await build(["--no-cache", "-q", ctx]);
    const clamped = await build(["--no-cache", "-q", "--build-arg", "SOURCE_DATE_EPOCH=1700000000", ctx]);
    expect(plain.code).toBe(0);
    expect(clamped.code).toBe(0);
    const show = "cat /listing; cat /etc/x/new /tmp/added /tmp/kept/k; ls -ln /bin/tool /etc/x/new | awk '{print $1, $3, $4, $5, $NF}'";
    const a = await daemon.d.cli(["run", "--rm", plain.stdout.trim(), "sh", "-c", show]);
    const b = await daemon.d.cli(["run", "--rm", clamped.stdout.trim(), "sh", "-c", show]);
    expect(a.stdout).toContain("/etc/x/new\n");
    expect(a.stdout).toContain("new\nadded\nk\n");
    expect(a.stdout).toBe(b.stdout);
    // The kept layer's blob is still its tar: saved and loaded back, the image is the same.
    const tar = join(daemon.d.dir, "corpus-save.tar");
    expect((await daemon.d.cli(["save", "-o", tar, plain.stdout.trim()])).code).toBe(0);
    expect((await daemon.d.cli(["rmi", plain.stdout.trim()])).code).toBe(0);
    expect((await daemon.d.cli(["load", "-i", tar])).code).toBe(0);
    const c = await daemon.d.cli(["run", "--rm", plain.stdout.trim(), "sh", "-c", show]);
    expect(c.stdout).toBe(a.stdout);
  }, 120_000);

  test("a RUN step's layer and a commit of the same change hold the same entries: one diff code makes both", async () => {
    const change = "mkdir -p /d/e && echo x > /d/f && chmod 640 /d/f && ln -s f /d/l && rm /bin/true";
    const built = await build(["--no-cache", "-q", context({ Dockerfile: `FROM busybox\nRUN ${change}\n` })]);
    expect(built.code).toBe(0);
    expect((await daemon.d.cli(["run", "--name", "diff-commit", "busybox", "sh", "-c", change])).code).toBe(0);
    const committed = await daemon.d.cli(["commit", "diff-commit", "diff-commit:1"]);
    expect(committed.code).toBe(0);
    expect((await daemon.d.cli(["rm", "diff-commit"])).code).toBe(0);
    /** The image's top layer as `tar -tv` lists it, without the times. */
    const topLayer = async (ref: string) => {
      const dir = mkdtempSync(join(daemon.d.dir, "diff-layer-"));
      expect((await daemon.d.cli(["save", "-o", join(dir, "image.tar"), ref])).code).toBe(0);
      await $`tar -xf ${join(dir, "image.tar")} -C ${dir}`;
      const layers: string[] = JSON.parse(await Bun.file(join(dir, "manifest.json")).text())[0].Layers;
      const listing = await $`tar -tvf ${join(dir, layers.at(-1)!)} --numeric-owner`.text();
      return listing.trim().split("\n").map((l) => l.split(/\s+/).filter((_, i) => i !== 3 && i !== 4).join(" ")).sort();
    };
    const fromBuild = await topLayer(built.stdout.trim());
    expect(fromBuild).toContain("-rw-r----- 0/0 2 d/f");
    expect(fromBuild.filter((l) => l.endsWith(" bin/.wh.true"))).toHaveLength(1);
    expect(await topLayer("diff-commit:1")).toEqual(fromBuild);
  }, 120_000);
});

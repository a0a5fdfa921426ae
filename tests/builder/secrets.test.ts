// RUN --mount=type=secret with `berth build --secret`: the step reads the secret at its
// target with the mount's mode and owner; the image holds neither the secret nor the
// placeholder it was mounted on, and COPY of the whole context does not see it.
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";

const box = busyboxDaemonForFile();

describe.if(box.ok)("build secrets", () => {
  test("a step sees its secrets; the image, its history and a COPY of the context do not", async () => {
    const d = box.d;
    const ctx = join(d.dir, "secret-ctx");
    mkdirSync(ctx);
    writeFileSync(join(d.dir, "token.txt"), "s3cret-from-file");
    writeFileSync(join(ctx, "app.txt"), "app\n");
    writeFileSync(join(ctx, "Dockerfile"), [
      "FROM busybox",
      // The step compares what it reads with a digest: the secret itself must not be in the Dockerfile (history shows RUN lines).
      `RUN --mount=type=secret,id=token test "$(sha256sum < /run/secrets/token)" = "${new Bun.CryptoHasher("sha256").update("s3cret-from-file").digest("hex")}  -" && stat -c "%a %u" /run/secrets/token > /seen`,
      "RUN --mount=type=secret,id=envtok,target=/etc/app.key,mode=0440,uid=65534,required=true stat -c '%a %u' /etc/app.key >> /seen && wc -c < /etc/app.key > /lengths",
      "RUN --mount=type=secret,id=absent cat /run/secrets/absent 2>/dev/null || echo absent >> /seen",
      "COPY . /ctx/",
      "",
    ].join("\n"));
    const r = await d.cli(["build", "-t", "secrets:1", "--secret", `id=token,src=${join(d.dir, "token.txt")}`, "--secret", "id=envtok,env=BERTH_TEST_TOKEN", ctx],
      { env: { BERTH_TEST_TOKEN: "s3cret-from-env" } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const look = await d.cli(["run", "--rm", "secrets:1", "sh", "-c", "cat /seen /lengths; ls -A /ctx; test -e /run/secrets || echo no-run-secrets; test -e /etc/app.key || echo no-key"]);
    expect(look.stdout).toBe("400 0\n440 65534\nabsent\n15\nDockerfile\napp.txt\nno-run-secrets\nno-key\n");
    // The secrets' bytes are nowhere in what the image is made of.
    const saved = Bun.spawnSync([...(await import("../fixtures/daemon.ts")).berthCmd, "-H", d.host, "save", "secrets:1"]).stdout;
    expect(saved.length).toBeGreaterThan(1000);
    const text = Buffer.from(saved).toString("latin1");
    expect(text.includes("s3cret-from")).toBe(false);
  });

  test("a required secret that was not given fails the step; bad --secret specs are refused", async () => {
    const d = box.d;
    const ctx = join(d.dir, "secret-missing");
    mkdirSync(ctx);
    writeFileSync(join(ctx, "Dockerfile"), "FROM busybox\nRUN --mount=type=secret,id=needed,required=true true\n");
    const missing = await d.cli(["build", ctx]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("secret needed: not found");
    const noSrc = await d.cli(["build", "--secret", "id=nothing-here", ctx]);
    expect(noSrc.stderr).toContain("secret nothing-here: give src=FILE or env=VAR");
    const badFile = await d.cli(["build", "--secret", "id=x,src=/no/such/file", ctx]);
    expect(badFile.stderr).toContain("failed to stat /no/such/file");
  });
});

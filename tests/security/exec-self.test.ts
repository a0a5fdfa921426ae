// The CVE-2019-5736 class: a container makes an exec run /proc/self/exe (a
// script whose interpreter is `#!/proc/self/exe`), so for a moment the engine's
// own executable runs inside it, and a process of the container takes a handle
// on that file to write it later. A watcher in the container finds such a
// process, holds /proc/PID/exe and reports whether the file it names lies on a
// read-only mount (a write through it then fails with EROFS) or is a memfd
// sealed against writes (EPERM). It never writes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const watcherSource = `
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
int main(void) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) return 2;
  self[n] = 0;
  for (;;) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      int pid = atoi(e->d_name);
      if (pid <= 1 || pid == getpid()) continue;
      char path[64], exe[4096];
      snprintf(path, sizeof path, "/proc/%d/exe", pid);
      ssize_t m = readlink(path, exe, sizeof exe - 1);
      if (m < 0) continue;
      exe[m] = 0;
      if (strcmp(exe, self) == 0 || strncmp(exe, "/bin/", 5) == 0) continue;
      int fd = open(path, O_PATH);
      if (fd < 0) continue;
      struct statvfs st;
      if (fstatvfs(fd, &st) != 0) continue;
      int rd = open(path, O_RDONLY);
      int seals = rd < 0 ? -1 : fcntl(rd, 1034 /* F_GET_SEALS */);
      printf("found %s ro=%d sealed=%d\\n", exe, (st.f_flag & ST_RDONLY) ? 1 : 0, seals >= 0 && (seals & 8 /* F_SEAL_WRITE */) ? 1 : 0);
      fflush(stdout);
      return 0;
    }
    if (d) closedir(d);
  }
}
`;

// Stage 2 is the exec runner by default: without a terminal the daemon's sealed memfd, with one the file in
// the exec root that stage 1 binds read-only; berth itself with BERTH_EXEC_STAGE2=typescript.
for (const stage2 of ["runner", "runner with a terminal", "typescript"] as const)
describe.if(requireDaemon())(`an exec cannot hand the container the engine's executable to write (stage 2: ${stage2})`, () => {
  let d: TestDaemon;
  let id: string;
  beforeAll(async () => {
    d = await startDaemon(stage2 === "typescript" ? { env: { BERTH_EXEC_STAGE2: "typescript" } } : {});
    const rootfs = join(d.dir, "busybox-rootfs");
    busyboxRootfsTar(d.dir);
    writeFileSync(`${rootfs}/watch.c`, watcherSource);
    const cc = Bun.spawnSync(["cc", "-static", "-O2", "-o", `${rootfs}/watch`, `${rootfs}/watch.c`]);
    rmSync(`${rootfs}/watch.c`);
    if (cc.exitCode !== 0) throw new Error(`cannot build the watcher: ${cc.stderr.toString()}`);
    writeFileSync(`${rootfs}/evil`, "#!/proc/self/exe\n");
    chmodSync(`${rootfs}/evil`, 0o755);
    Bun.spawnSync(["tar", "-C", rootfs, "-cf", join(d.dir, "evil.tar"), "."]);
    expect((await d.cli(["import", join(d.dir, "evil.tar"), "evil:latest"])).code).toBe(0);
    const run = await d.cli(["run", "-d", "evil", "/watch"]);
    expect(run.code).toBe(0);
    id = run.stdout.trim();
  });
  afterAll(async () => {
    await d?.stop();
  });

  test("the engine's executable, seen from the container, cannot be written (a read-only mount or a sealed memfd)", async () => {
    const exe = stage2 === "runner with a terminal" ? join(d.dir, "exec", "exec-runner") : berthCmd[0]!;
    const before = statSync(exe);
    let logs = "";
    // Each exec runs the engine's executable in the container for a moment (the runner: a few
    // milliseconds); the watcher catches one. Four at a time, to give it more moments per second.
    for (const end = Date.now() + 90_000; Date.now() < end && !logs.includes("found"); ) {
      await Promise.all([1, 2, 3, 4].map(() => d.cli(["exec", ...(stage2 === "runner with a terminal" ? ["-t"] : []), id, "/evil"])));
      logs = (await d.cli(["logs", id])).stdout;
    }
    expect(logs).toContain("found");
    if (stage2 === "runner") expect(logs).toMatch(/found \/memfd:berth-exec-runner \(deleted\) ro=0 sealed=1/);
    else expect(logs).toContain(stage2 === "typescript" ? "berth ro=1" : "exec-runner ro=1");
    const after = statSync(exe);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    expect(readFileSync(`/proc/self/mountinfo`, "utf8")).not.toContain(` ${exe} ${exe} `); // the read-only bind stayed private
  }, 150_000);
});

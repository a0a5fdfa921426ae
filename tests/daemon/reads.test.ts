// Reads of the container engine (find, list, inspect, isRunning, counts) have
// no side effects: a container whose program exited shows as exited at once,
// but its state is stored, its events raised and its --rm removal made only on
// the exit path. Here the exit happens while no engine watches it: the daemon
// is killed with -9, an engine is opened in the test over its data root (as a
// restarted daemon would, before adopting), and the containers' programs are
// killed. Then adoption, the exit path's fallback, handles each exit once.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { createImageService } from "../../src/daemon/images.ts";
import { ContainerEngine } from "../../src/daemon/containers/engine.ts";
import { createRuntime } from "../../src/runtime/index.ts";
import { defaultConfig } from "../../src/shared/daemon-config.ts";
import { humanDuration } from "../../src/shared/units.ts";

let store: Store | undefined;
const daemon = busyboxDaemonForFile();

afterAll(() => {
  store?.close();
});

describe.if(daemon.ok)("container engine reads", () => {
  test("show an unhandled exit without storing it; adoption then handles it once (die, --rm)", async () => {
    const kept = (await daemon.d.cli(["run", "-d", "busybox", "sleep", "1000"])).stdout.trim();
    const autoRemoved = (await daemon.d.cli(["run", "-d", "--rm", "busybox", "sleep", "1000"])).stdout.trim();
    expect(kept).toMatch(/^[0-9a-f]{64}$/);
    expect(autoRemoved).toMatch(/^[0-9a-f]{64}$/);
    daemon.d.kill();
    await Bun.sleep(100);

    const dataRoot = join(daemon.d.dir, "data");
    store = await openStore(dataRoot);
    const runtime = createRuntime({ ...defaultConfig(), dataRoot, execRoot: join(daemon.d.dir, "exec"), cgroupParent: daemon.d.cgroupParent });
    const events: string[] = [];
    const engine = new ContainerEngine(store, createImageService(store), runtime, { emit: (_t, action, id) => events.push(`${action} ${id}`) }, humanDuration);

    for (const id of [kept, autoRemoved]) {
      const c = engine.find(id);
      expect(c.state.Running).toBe(true);
      process.kill(c.state.Pid, "SIGKILL");
    }
    const exited = (id: string) => !!runtime.status(engine.paths(engine.records.get(id)!).root)?.exit;
    for (const end = Date.now() + 15_000; Date.now() < end && !(exited(kept) && exited(autoRemoved)); ) await Bun.sleep(20);
    expect([exited(kept), exited(autoRemoved)]).toEqual([true, true]);

    // Every read shows the exit...
    expect(engine.find(kept).state).toMatchObject({ Status: "exited", Running: false, ExitCode: 137 });
    expect(((await engine.inspect(autoRemoved)).State as { Status: string }).Status).toBe("exited");
    expect(engine.list({ all: true }).map((c) => c.State)).toEqual(["exited", "exited"]);
    expect(engine.list({})).toEqual([]);
    expect(engine.isRunning(kept)).toBe(false);
    expect(engine.counts()).toEqual({ total: 2, running: 0, paused: 0 });
    // ...and none of them stored it, raised an event, or removed the --rm container.
    await Bun.sleep(50);
    expect(engine.records.get(kept)!.state.Running).toBe(true);
    expect(engine.records.get(autoRemoved)!.state.Running).toBe(true);
    expect(events).toEqual([]);
    expect(existsSync(join(dataRoot, "containers", autoRemoved))).toBe(true);

    // Adoption after a restart is the exit path for exits that happened meanwhile.
    await engine.adoptRunning();
    for (const end = Date.now() + 15_000; Date.now() < end && engine.records.get(autoRemoved); ) await Bun.sleep(20);
    expect(engine.records.get(kept)!.state).toMatchObject({ Status: "exited", Running: false, ExitCode: 137 });
    expect(engine.records.get(autoRemoved)).toBeUndefined();
    expect(events.sort()).toEqual([`destroy ${autoRemoved}`, `die ${autoRemoved}`, `die ${kept}`].sort());
    // Handled once: a second adoption and more reads change nothing.
    await engine.adoptRunning();
    engine.list({ all: true });
    expect(events).toHaveLength(3);

    store.close();
    store = undefined;
    await daemon.d.restart();
    expect((await daemon.d.cli(["ps", "-a", "--format", "{{.ID}} {{.Status}}"])).stdout).toStartWith(`${kept.slice(0, 12)} Exited (137)`);
  });
});

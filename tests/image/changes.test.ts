import { describe, expect, test } from "bun:test";
import { applyChanges } from "../../src/image/changes.ts";

describe("--change instructions", () => {
  test("JSON and shell forms, env, labels, ports, volumes, user, workdir, stopsignal", () => {
    const c = applyChanges({}, [
      'CMD ["/bin/sh", "-c", "echo hi"]',
      "ENTRYPOINT /entry.sh --flag",
      'ENV A=1 B="two words"',
      "ENV LEGACY some value",
      "ENV A=3",
      'LABEL org.x="y z" k=v',
      "EXPOSE 80 53/udp 8000-8001",
      'VOLUME ["/data", "/logs"]',
      "VOLUME /more",
      "USER 1000:1000",
      "WORKDIR /app",
      "WORKDIR sub",
      "STOPSIGNAL SIGKILL",
    ]);
    expect(c.Cmd).toEqual(["/bin/sh", "-c", "echo hi"]);
    expect(c.Entrypoint).toEqual(["/bin/sh", "-c", "/entry.sh --flag"]);
    expect(c.Env).toEqual(["A=3", "B=two words", "LEGACY=some value"]);
    expect(c.Labels).toEqual({ "org.x": "y z", k: "v" });
    expect(Object.keys(c.ExposedPorts!).sort()).toEqual(["53/udp", "80/tcp", "8000-8001/tcp"]);
    expect(Object.keys(c.Volumes!).sort()).toEqual(["/data", "/logs", "/more"]);
    expect(c.User).toBe("1000:1000");
    expect(c.WorkingDir).toBe("/app/sub");
    expect(c.StopSignal).toBe("SIGKILL");
  });
  test("refused instructions name themselves", () => {
    expect(() => applyChanges({}, ["RUN echo hi"])).toThrow("RUN is not a valid change command");
    expect(() => applyChanges({}, ["FROM busybox"])).toThrow("FROM is not a valid change command");
    expect(() => applyChanges({}, ["EXPOSE abc"])).toThrow(/invalid containerPort/);
  });
});

// Runs templates through the real docker CLI (`docker version --format` works
// without a daemon: it prints the client section, then fails to reach the
// daemon) and through berth's implementation, over the same data, and compares.
import { describe, expect, test } from "bun:test";
import { GoStruct, parseTemplate } from "../../src/cli/format/template.ts";

const docker = Bun.which("docker") ?? (await Bun.file("/usr/local/bin/docker").exists() ? "/usr/local/bin/docker" : null);

function cannotRun(why: string): boolean {
  if (process.env.CI === "true") throw new Error(why);
  console.warn(`skipped: ${why}`);
  return false;
}

async function dockerFormat(format: string): Promise<string> {
  const p = Bun.spawn([docker!, "version", "--format", format], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, DOCKER_HOST: "unix:///nonexistent/berth-test.sock", DOCKER_CONFIG: "/nonexistent-berth-docker-config" },
  });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return out.endsWith("\n") ? out.slice(0, -1) : out;
}

// Templates whose execution succeeds in docker (its execution errors are hidden
// behind "Cannot connect to the Docker daemon"), over .Client and constants.
const templates = [
  "{{.Client}}",
  "{{json .Client}}",
  "{{.Client.Version | json}}",
  "{{.Server}}|{{json .Server}}|{{if .Server}}yes{{else}}no{{end}}",
  '{{printf "%+v" .Client}}',
  '{{split .Client.Version "."}}|{{join (split .Client.Version ".") "+"}}',
  '{{truncate .Client.Version 3}}|{{pad .Client.Version 2 1}}|{{upper .Client.Os}}|{{title .Client.Context}}',
  '{{len .Client.Version}} {{slice .Client.Version 1 3}} {{eq .Client.Os "linux" "x"}}',
  '{{range $i, $p := split .Client.Version "."}}{{$i}}:{{$p}},{{end}}',
  '{{with .Client}}{{.GoVersion}}{{end}}{{with .Server}}x{{else}}no server{{end}}',
  '{{printf "%s|%10s|%-10s|%q|%x" .Client.Arch .Client.Os .Client.Os .Client.BuildTime .Client.GitCommit}}',
  '{{printf "%.2f %.3g %e %g %v %08.2f" 2.675 1.0625 0.000123 1e-5 123456789.0 -1.5}}',
  '{{printf "%d|%5d|%-5d|%05d|%x|%X|%o|%b|%c|%q|%U|%+d" 42 42 42 -42 255 255 8 5 9731 9731 9731 7}}',
  '{{printf "%t %v %s" true false "x"}} {{printf "%v %d" (split "a,b" ",") (len "héllo")}}',
  '{{print "a" 1 2 "b" 3.5 nil true}}|{{println "x" 1}}|',
  '{{json "tab\\there \\"quoted\\" <html> & \\u00e9 \\u2029 \\x01 \\b\\f"}}',
  '{{html "<script>&\'\\""}}|{{js "</script>\\n\'\\"="}}|{{urlquery "a b/c?d=é"}}',
  "{{- \"  trimmed  \" -}}   \n\n  {{- .Client.Os -}}  \n  ",
  '{{$v := .Client.Version}}{{$v}}{{$v = "changed"}} {{$v}}',
  "{{range $i := 4}}{{if eq $i 2}}{{break}}{{end}}{{$i}}{{end}}",
  '{{and .Client.Os .Server}}|{{or .Server "" .Client.Os}}|{{not .Server}}',
  '{{lt 1 2}} {{ge 2 2}} {{gt "b" "a"}} {{le 1.5 1.5}} {{ne "a" "b"}}',
  '{{index (split "x,y,z" ",") 2}}{{index "abc" 1}}',
  "{{0x1p-2}} {{1e3}} {{-0.0}} {{.5e1}} {{'\\x41'}} {{'\\u00e9'}} {{1_000_000}}",
];

describe("compared with the real docker CLI", () => {
  test("docker version --format gives the same text as berth's template", async () => {
    if (!docker) return void cannotRun("docker CLI not found (expected at /usr/local/bin/docker)");
    const raw = await dockerFormat("{{json .Client}}");
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(raw);
    } catch {
      return void cannotRun(`docker version --format printed no JSON: ${raw}`);
    }
    // types.Version's first field is a nil *Platform (omitted from JSON by omitempty).
    // Go's field is APIVersion, its JSON name ApiVersion.
    const goFields = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k === "ApiVersion" ? "APIVersion" : k, v]));
    const client = new GoStruct("client.VersionInfo", { Platform: null, ...goFields }, () => new GoStruct("", fields));
    const data = new GoStruct("*version.versionInfo", { Client: client, Server: null });
    const want = await Promise.all(templates.map(dockerFormat));
    const mismatches: string[] = [];
    templates.forEach((t, i) => {
      let got: string;
      try {
        got = parseTemplate(t, { name: "version" }).execute(data);
      } catch (e) {
        got = `ERROR ${(e as Error).message}`;
      }
      if (got !== want[i]) mismatches.push(`${t}\n  docker: ${JSON.stringify(want[i])}\n  berth:  ${JSON.stringify(got)}`);
    });
    expect(mismatches.join("\n")).toBe("");
  });

  test("parse errors read like docker's", async () => {
    if (!docker) return void cannotRun("docker CLI not found (expected at /usr/local/bin/docker)");
    for (const t of ["{{foo}}", "{{.X", "{{end}}", "{{if 1}}", "{{range .}}{{else}}", '{{"abc}}']) {
      const p = Bun.spawn([docker, "version", "--format", t], { stdout: "pipe", stderr: "pipe" });
      const err = (await new Response(p.stderr).text()).trim();
      await p.exited;
      let mine = "";
      try {
        parseTemplate(t, { name: "version" });
      } catch (e) {
        mine = `template parsing error: ${(e as Error).message}`;
      }
      expect(mine).toBe(err);
    }
  });
});

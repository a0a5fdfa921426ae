// Table-driven checks of the Go text/template implementation. Expected strings
// are Go's output (the ones marked "docker" were printed by the real docker CLI
// 28.2.2 with `docker version --format`, see docker-compare.test.ts for the live run).
import { describe, expect, test } from "bun:test";
import { Float64, GoStruct, parseTemplate, TemplateExecError, TemplateParseError } from "../../src/cli/format/template.ts";

const container = new GoStruct("*formatter.ContainerContext", {
  ID: () => "4f66ad9a0b2e",
  Names: () => "web",
  Image: () => "nginx:alpine",
  Labels: () => "a=1,b=2",
  Label: (name: string) => ({ a: "1", b: "2" } as Record<string, string>)[name] ?? "",
  Ports: () => "",
});

const inspect = {
  Id: "4f66ad9a0b2e31d7",
  Name: "/web",
  State: { Running: true, Pid: 4242, ExitCode: 0, Health: null },
  Config: {
    Env: ["PATH=/usr/bin", "A=b c"],
    Labels: { "com.example.b": "2", "com.example.a": "1" },
    Cmd: ["nginx", "-g", "daemon off;"],
    Tty: false,
  },
  NetworkSettings: { Networks: { bridge: { IPAddress: "172.17.0.2" }, alpha: { IPAddress: "10.0.0.2" } } },
  Mounts: [],
  Size: 1234.5,
};

const ok: [string, unknown, string][] = [
  // fields, nesting, Go printing
  ["{{.Id}}", inspect, "4f66ad9a0b2e31d7"],
  ["{{.State.Pid}} {{.State.Running}}", inspect, "4242 true"],
  ["{{.Config.Env}}", inspect, "[PATH=/usr/bin A=b c]"],
  ["{{.Config.Labels}}", inspect, "map[com.example.a:1 com.example.b:2]"],
  ["{{.Mounts}}", inspect, "[]"],
  ["{{.Nope}}", inspect, "<no value>"],
  ["{{.Nope.Deeper}}", inspect, "<no value>"],
  ["{{.State}}", inspect, "map[ExitCode:0 Health:<nil> Pid:4242 Running:true]"],
  ["{{.Size}}", inspect, "1234.5"],
  ["{{.}}", 1e6, "1000000"],
  ["{{.}}", new Float64(1e6), "1e+06"],
  ["{{.}}", null, "<nil>"],
  // json
  ["{{json .}}", { b: 1, a: [true, null], c: "x<y>&\"" }, '{"a":[true,null],"b":1,"c":"x<y>&\\""}'],
  ["{{json .Config.Labels}}", inspect, '{"com.example.a":"1","com.example.b":"2"}'],
  ["{{.Config.Cmd | json}}", inspect, '["nginx","-g","daemon off;"]'],
  ["{{json .Nope}}", inspect, "null"],
  ['{{json "<a&b> \\u2028 \\t"}}', null, '"<a&b> \\u2028 \\t"'], // docker
  // methods with arguments, on a struct
  ['{{.ID}}\t{{.Label "a"}}', container, "4f66ad9a0b2e\t1"],
  // range, if/else, with, variables
  ["{{range .Config.Env}}[{{.}}]{{end}}", inspect, "[PATH=/usr/bin][A=b c]"],
  ["{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", inspect, "com.example.a=1;com.example.b=2;"],
  ["{{range $n, $c := .NetworkSettings.Networks}}{{$n}}:{{$c.IPAddress}} {{end}}", inspect, "alpha:10.0.0.2 bridge:172.17.0.2 "],
  ["{{range .Mounts}}x{{else}}none{{end}}", inspect, "none"],
  ["{{if .State.Running}}up{{else}}down{{end}}", inspect, "up"],
  ["{{if .Config.Tty}}tty{{else if .State.Running}}running{{else}}no{{end}}", inspect, "running"],
  ["{{with .State}}{{.Pid}}{{end}}", inspect, "4242"],
  ["{{with .Nope}}x{{else}}empty{{end}}", inspect, "empty"],
  ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', null, "2"], // docker
  ['{{range $i := 3}}{{if eq $i 1}}{{continue}}{{end}}{{$i}}{{end}}', null, "02"], // docker
  ['{{range $i, $e := split "a,b" ","}}{{$i}}={{$e}};{{end}}', null, "0=a;1=b;"], // docker
  ["{{range .Config.Env}}{{if eq . \"A=b c\"}}{{break}}{{end}}{{.}}{{end}}", inspect, "PATH=/usr/bin"],
  ["{{$.Id}}{{range .Config.Cmd}}{{$.Name}}{{end}}", inspect, "4f66ad9a0b2e31d7/web/web/web"],
  // index, len, slice
  ['{{index .Config.Labels "com.example.a"}}', inspect, "1"],
  ['{{index .Config.Labels "missing"}}', inspect, ""],
  ["{{index .Config.Cmd 1}}", inspect, "-g"],
  ['{{index (split "a,b,c" ",") 1}} {{slice "hello" 1 3}} {{len (split "a,b" ",")}}', null, "b el 2"], // docker
  ['{{len "héllo"}}', null, "6"],
  // docker's functions
  ['{{split "a,b" ","}}', null, "[a b]"],
  ['{{join .Config.Env ","}}', inspect, "PATH=/usr/bin,A=b c"],
  ['{{title "don\'t stop élan x_y 3d"}}', null, "Don'T Stop Élan X_y 3d"], // docker
  ['{{upper "abc"}} {{lower "ÀB"}} {{upper "ß"}}', null, "ABC àb ß"],
  ['{{truncate .Id 4}}|{{truncate "ab" 5}}', inspect, "4f66|ab"],
  ['{{pad "x" 2 1}}|{{pad "" 2 1}}|', null, "  x ||"],
  // printing functions
  ['{{println 1 "a" 2}}', null, "1 a 2\n"], // docker
  ['{{print 1 2 "a" "b" 3}}', null, "1 2ab3"], // docker
  ['{{printf "%v %5.2f %x %q %t %-4s|" 1.5 3.14159 255 "hi" true "ab"}}', null, '1.5  3.14 ff "hi" true ab  |'], // docker
  ['{{printf "%v" 1000000.0}} {{1e6}} {{1.5}} {{0x10}} {{3}}', null, "1e+06 1e+06 1.5 16 3"], // docker
  ['{{printf "%.3g|%.4g|%g|%v|%e|%.2f|%08.3f|%+d|%x|%X|%o|%c|%q|%U" 1.0625 1062.5 100000.0 1e21 123456.789 2.675 -3.14159 5 "hi" 255 8 65 66 0x1F600}}',
    null, "1.06|1062|100000|1e+21|1.234568e+05|2.67|-003.142|+5|6869|FF|10|A|'B'|U+1F600"], // docker
  ['{{printf "%5s|%-5s|%.2s|%5.1s|%q|%#q|%+q" "ab" "ab" "héllo" "xyz" "a\\"b\\n\\x01é" "ab" "é"}}', null,
    '   ab|ab   |hé|    x|"a\\"b\\n\\x01é"|`ab`|"\\u00e9"'], // docker
  ['{{printf "%d %s" 1.5 2}}', null, "%!d(float64=1.5) %!s(int=2)"], // docker
  ['{{printf "%d" "x"}} {{printf "%s"}} {{printf "%s" 1 2}}', null, "%!d(string=x) %!s(MISSING) %!s(int=1)%!(EXTRA int=2)"], // docker
  ['{{print nil}} {{printf "%v|%s|%d" nil nil nil}}', null, "<nil> <nil>|%!s(<nil>)|%!d(<nil>)"], // docker
  ['{{printf "%T %T %T %T %T" 1 1.5 "s" true (split "a" ",")}}', null, "int float64 string bool []string"], // docker
  ['{{printf "%6.2v|%x" 3.14159 "héllo"}}', null, "   3.1|68c3a96c6c6f"], // docker
  ['{{.Id | printf "%s-%d" 3}}', inspect, "%!s(int=3)-%!d(string=4f66ad9a0b2e31d7)"],
  ['{{printf "%q" (split "a,b" ",")}}', null, '["a" "b"]'], // docker
  // literals, comparison, logic, escaping
  ["{{'a'}} {{'\\n'}} {{0x1F}} {{0o17}} {{017}} {{1_000}} {{-5}} {{+5}} {{.5}} {{1.}}", null, "97 10 31 15 15 1000 -5 5 0.5 1"], // docker
  ['{{"\\x41\\101\\u00e9"}} {{`raw\\n`}}', null, "AAé raw\\n"],
  ['{{lt 1 2}} {{le "a" "b"}} {{ne 1 1}} {{gt 2.5 1.5}}', null, "true true false true"], // docker
  ['{{eq .Name "/x" "/web"}}', inspect, "true"],
  ["{{and 1 0}} {{or 0 \"\" \"z\"}} {{not 0}}", null, "0 z true"], // docker
  ['{{html "\\"q\'\\x00"}} {{js "a\'b<"}} {{urlquery "a b&c"}}', null, "&#34;q&#39;\ufffd a\\'b\\u003C a+b%26c"], // docker
  // whitespace trimming and comments
  ['{{- "a" -}}  {{- "b"}} {{"c" -}} !', null, "ab c!"], // docker
  ["{{/* comment */}}x{{- /* c2 */ -}} y", null, "xy"], // docker
  ["a\n  {{- .Id}}\n", inspect, "a4f66ad9a0b2e31d7\n"],
];

describe("template execution", () => {
  for (const [src, data, want] of ok) {
    test(src, () => {
      expect(parseTemplate(src).execute(data)).toBe(want);
    });
  }

  test("Go's struct printing: {…} and &{…}, %+v with names", () => {
    const inner = new GoStruct("types.Version", { Platform: null, Version: "28.2.2", Os: "linux" });
    expect(parseTemplate("{{.}}").execute(inner)).toBe("{<nil> 28.2.2 linux}");
    expect(parseTemplate('{{printf "%+v" .}}').execute(inner)).toBe("{Platform:<nil> Version:28.2.2 Os:linux}");
    expect(parseTemplate("{{.}}").execute(new GoStruct("*x.T", { A: 1 }))).toBe("&{1}");
  });

  test("missingkey=error (docker inspect's raw fallback) and zero", () => {
    expect(() => parseTemplate("{{.Foo}}").execute(inspect, { missingKey: "error" })).toThrow(
      'template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"',
    );
    expect(parseTemplate("{{.Config.Labels.x}}|").execute(inspect, { missingKey: "zero" })).toBe("|");
  });
});

const execErrors: [string, unknown, string][] = [
  ["{{.Foo}}", container, 'template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.ContainerContext'],
  ["x\n  {{.ID.Bar}}", container, 'template: :2:7: executing "" at <.ID.Bar>: can\'t evaluate field Bar in type string'],
  ["{{.State.Health.Status}}", inspect, 'template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status'],
  ['{{.Id "x"}}', inspect, 'template: :1:2: executing "" at <.Id>: Id is not a method but has arguments'],
  ["{{.Label}}", container, 'template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0'],
  ['{{truncate .Id "x"}}', inspect, 'template: :1:15: executing "" at <"x">: expected integer; found "x"'],
  ['{{join .Id ","}}', inspect, 'template: :1:7: executing "" at <.Id>: wrong type for value; expected []string; got string'],
  ["{{index .Config.Cmd 9}}", inspect, 'template: :1:2: executing "" at <index .Config.Cmd 9>: error calling index: index out of range: 9'],
  ["{{json}}", null, 'template: :1:2: executing "" at <json>: wrong number of args for json: want 1 got 0'],
  ['{{range "abc"}}{{end}}', null, 'template: :1:8: executing "" at <"abc">: range can\'t iterate over abc'],
  ["{{.Config.Environment.Variables.Long}}", { Config: 1 }, 'template: :1:9: executing "" at <.Config.Environment....>: can\'t evaluate field Environment in type int'],
];

const parseErrors: [string, string][] = [
  ["{{foo}}", 'template: :1: function "foo" not defined'], // docker
  ["{{.Client", "template: :1: unclosed action"], // docker
  ["{{end}}", "template: :1: unexpected {{end}}"], // docker
  ["{{if 1}}", "template: :1: unexpected EOF"], // docker
  ["{{$x}}", 'template: :1: undefined variable "$x"'],
  ['{{"abc}}', "template: :1: unterminated quoted string"],
  ["{{range .}}{{else}}{{else}}{{end}}", "template: :1: expected end; found {{else}}"],
  ['{{.X | "a"}}', "template: :1: non executable command in pipeline stage 2"],
  ["{{break}}", "template: :1: {{break}} outside {{range}}"],
];

describe("template errors", () => {
  for (const [src, data, want] of execErrors) {
    test(`exec ${src}`, () => {
      let err: unknown;
      try {
        parseTemplate(src).execute(data);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TemplateExecError);
      expect((err as Error).message).toBe(want);
    });
  }
  for (const [src, want] of parseErrors) {
    test(`parse ${src}`, () => {
      expect(() => parseTemplate(src)).toThrow(TemplateParseError);
      expect(() => parseTemplate(src)).toThrow(want);
    });
  }
  test("an execution error keeps the output written before it", () => {
    try {
      parseTemplate("a{{.Foo}}").execute(container);
    } catch (e) {
      expect((e as TemplateExecError).partial).toBe("a");
    }
  });
});

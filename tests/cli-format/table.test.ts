// Go's tabwriter as docker configures it, and docker's --format handling
// ("table", "json", \t escapes, headers).
import { describe, expect, test } from "bun:test";
import { renderFormat, templateText } from "../../src/cli/format/render.ts";
import { tabwrite } from "../../src/cli/format/table.ts";
import { GoStruct } from "../../src/cli/format/template.ts";
import { InvalidParameterError } from "../../src/errors.ts";

describe("tabwriter (minwidth 10, padding 3)", () => {
  const cases: [string, string, string][] = [
    ["docker ps with no containers",
      "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n",
      "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"],
    ["docker images with hello-world",
      "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\nhello-world\tlatest\td2c94e258dcb\t9 months ago\t13.3kB\n",
      "REPOSITORY    TAG       IMAGE ID       CREATED        SIZE\n" +
      "hello-world   latest    d2c94e258dcb   9 months ago   13.3kB\n"],
    ["the last cell of a line is not padded; empty cells are",
      "a\t\tc\nlonger-value\tb\t\n",
      "a" + " ".repeat(14) + " ".repeat(10) + "c\n" + "longer-value   " + "b" + " ".repeat(9) + "\n"],
    ["a line without tabs ends the column block",
      "aa\tb\nno tabs here\nxxxxxxxxxxxxx\ty\n",
      "aa        b\nno tabs here\nxxxxxxxxxxxxx   y\n"],
    ["text without a final newline is flushed as is", "a\tb", "a         b"],
    ["widths count runes, not bytes", "héllo\tx\nab\ty\n", "héllo     x\nab        y\n"],
    ["a shorter line only shares the columns it has",
      "x\ty\tz\na\tb\n",
      "x         y         z\na         b\n"],
  ];
  for (const [name, input, want] of cases) test(name, () => expect(tabwrite(input)).toBe(want));
});

describe("docker --format rendering", () => {
  const image = (repo: string, tag: string, id: string, created: string, size: string) =>
    new GoStruct("*formatter.imageContext", {
      Repository: () => repo, Tag: () => tag, ID: () => id, CreatedSince: () => created, Size: () => size,
    });
  const rows = [
    image("busybox", "latest", "a416a98b71e2", "2 weeks ago", "4.26MB"),
    image("hello-world", "latest", "d2c94e258dcb", "9 months ago", "13.3kB"),
  ];
  const headers = { Repository: "REPOSITORY", Tag: "TAG", ID: "IMAGE ID", CreatedSince: "CREATED", Size: "SIZE" };

  test("preFormat: table prefix, json, trimming and \\t \\n escapes", () => {
    expect(templateText("table {{.ID}}\\t{{.Name}}")).toBe("{{.ID}}\t{{.Name}}");
    expect(templateText("json")).toBe("{{json .}}");
    expect(templateText("  {{.ID}}\\n ")).toBe("{{.ID}}\n");
  });

  test("a table: header from the caller's map, then aligned rows", () => {
    const out = renderFormat("table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}", rows, headers);
    expect(out).toBe(
      "REPOSITORY    TAG       IMAGE ID       CREATED        SIZE\n" +
      "busybox       latest    a416a98b71e2   2 weeks ago    4.26MB\n" +
      "hello-world   latest    d2c94e258dcb   9 months ago   13.3kB\n",
    );
  });

  test("a table with no rows still prints its header; header functions pass titles through", () => {
    expect(renderFormat("table {{.ID}}\t{{lower .Repository}}\t{{.Nope}}", [], headers)).toBe("IMAGE ID   REPOSITORY   <no value>\n");
  });

  test("plain and json formats: one line per row, no header, no alignment", () => {
    expect(renderFormat("{{.Repository}}:{{.Tag}}", rows, headers)).toBe("busybox:latest\nhello-world:latest\n");
    const withJson = new GoStruct("*formatter.imageContext", { ID: () => "x" }, () => ({ ID: "x", Size: "1B" }));
    expect(renderFormat("json", [withJson])).toBe('{"ID":"x","Size":"1B"}\n');
  });

  test("errors read like docker's", () => {
    expect(() => renderFormat("{{.Foo}}", rows)).toThrow(
      'template parsing error: template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.imageContext',
    );
    expect(() => renderFormat("{{foo}}", rows)).toThrow('template parsing error: template: :1: function "foo" not defined');
    expect(() => renderFormat("{{foo}}", rows)).toThrow(InvalidParameterError);
  });
});

test("a default table printed directly is the same text as its table template renders", async () => {
  const { printDefaultTable, printRows } = await import("../../src/cli/output.ts");
  const rows = [
    { ID: "0123456789ab", Image: "busybox", Command: '"sh -c \'echo…"', Status: "Up 3 seconds", Names: "wide-名前" },
    { ID: "ba9876543210", Image: "registry.example/a/very/long/image:tag", Command: '"true"', Status: "Exited (0) 2 minutes ago", Names: "x" },
    { ID: "ffffffffffff", Image: "", Command: '""', Status: "Created", Names: "" },
  ];
  const headers = { ID: "CONTAINER ID", Image: "IMAGE", Command: "COMMAND", Status: "STATUS", Names: "NAMES" };
  const columns = ["ID", "Image", "Command", "Status", "Names"];
  const template = `table ${columns.map((c) => `{{.${c}}}`).join("\t")}`;
  // A format given runs the template engine; none takes the direct path for such a table.
  expect(printDefaultTable(columns, rows, headers)).toBe(printRows(template, template, rows, headers));
  expect(printDefaultTable(columns, [], headers)).toBe(printRows(template, template, [], headers));
  expect(printRows(undefined, template, rows, headers)).toBe(printRows(template, template, rows, headers));
  expect(printRows(undefined, template, [], headers)).toBe(printRows(template, template, [], headers));
  // A field that is not a string (a missing one, a number) keeps the template's way of printing it.
  const odd = [{ ...rows[0]!, Names: undefined, Status: 3 }];
  expect(printRows(undefined, template, odd, headers)).toBe(printRows(template, template, odd, headers));
  expect(printRows(undefined, template, odd, headers)).toContain("<no value>");
});

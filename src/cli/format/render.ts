// docker's formatter.Context: turns a --format value and a list of rows into
// the text the docker CLI prints ("table …" with a header and tabwriter
// alignment, "json" as {{json .}}, or one template run per row).
import { InvalidParameterError } from "../../errors.ts";
import { tabwrite } from "./table.ts";
import { dockerHeaderFunctions, parseTemplate, TemplateExecError, TemplateParseError, type Template } from "./template.ts";

export const TABLE_FORMAT_KEY = "table";
export const JSON_FORMAT_KEY = "json";

export function isTableFormat(format: string): boolean {
  return format.startsWith(TABLE_FORMAT_KEY);
}

/** preFormat: drop "table", map "json" to {{json .}}, trim spaces, and turn literal \t and \n into tab and newline. */
export function templateText(format: string): string {
  let f = format;
  if (isTableFormat(f)) f = f.slice(TABLE_FORMAT_KEY.length);
  else if (f === JSON_FORMAT_KEY) f = "{{json .}}";
  f = f.replace(/^ +| +$/g, "");
  return f.replace(/\\t|\\n/g, (m) => (m === "\\t" ? "\t" : "\n"));
}

/** Parses a --format value; errors read "template parsing error: …" as in docker. */
export function parseFormat(format: string): Template {
  try {
    return parseTemplate(templateText(format));
  } catch (e) {
    if (e instanceof TemplateParseError) throw new InvalidParameterError(`template parsing error: ${e.message}`);
    throw e;
  }
}

/**
 * Renders rows with a docker --format value. headers maps field names to column
 * titles (docker's FullHeader: {ID: "CONTAINER ID", …}); only table formats use it.
 */
export function renderFormat(format: string, rows: unknown[], headers: Record<string, string> = {}): string {
  const tmpl = parseFormat(format);
  let body = "";
  for (const row of rows) {
    try {
      body += tmpl.execute(row) + "\n";
    } catch (e) {
      if (e instanceof TemplateExecError) throw new InvalidParameterError(`template parsing error: ${e.message}`);
      throw e;
    }
  }
  if (!isTableFormat(format)) return body;
  let header: string;
  try {
    header = tmpl.execute(headers, { funcs: dockerHeaderFunctions });
  } catch (e) {
    if (!(e instanceof TemplateExecError)) throw e;
    header = e.partial; // docker ignores the header's error and keeps what was written
  }
  return tabwrite(header + "\n" + body);
}

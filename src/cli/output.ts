// Shared output helpers: tables and --format, as docker prints them.
import { tabwrite } from "./format/table.ts";
import { parseFormat, renderFormat } from "./format/render.ts";
import { GoStruct, TemplateExecError } from "./format/template.ts";

/**
 * Renders rows with a default table format unless `--format` says otherwise.
 * `headers` maps field names to the column titles docker uses; `{{json .}}`
 * prints the row's fields.
 */
export function printRows(format: string | undefined, defaultFormat: string, rows: Record<string, unknown>[], headers: Record<string, string>, typeName = "*formatter.Context"): string {
  if (!format) {
    const columns = plainColumns(defaultFormat);
    if (columns && rows.every((r) => columns.every((c) => typeof r[c] === "string"))) return printDefaultTable(columns, rows, headers);
  }
  const structs = rows.map((r) => new GoStruct(typeName, r, () => r));
  return renderFormat(format || defaultFormat, structs, headers);
}

/**
 * The fields of a "table {{.A}}\t{{.B}}…" format that names only fields, or undefined. Such a table
 * of string fields needs no template engine: the text is the same (tests/cli-format/table.test.ts),
 * and parsing and running the template cost a printing command ~150 page faults.
 */
function plainColumns(format: string): string[] | undefined {
  if (!format.startsWith("table ")) return undefined;
  const columns: string[] = [];
  for (const cell of format.slice(6).split("\t")) {
    const m = /^\{\{\.(\w+)\}\}$/.exec(cell);
    if (!m) return undefined;
    columns.push(m[1]!);
  }
  return columns;
}

/**
 * A command's default table (no --format): the same text as its "table
 * {{.A}}\t{{.B}}…" template renders, without running the template engine for
 * every row (a cold CLI process spent milliseconds in it for a long list).
 */
export function printDefaultTable(columns: string[], rows: Record<string, unknown>[], headers: Record<string, string>): string {
  let text = columns.map((c) => headers[c] ?? c).join("\t") + "\n";
  for (const r of rows) text += columns.map((c) => String(r[c] ?? "")).join("\t") + "\n";
  return tabwrite(text);
}

/** A prune's "Deleted X:" list, followed by the blank line docker prints after it. */
export function deletedList(title: string, items: string[]): string {
  return items.length ? `Deleted ${title}:\n${items.join("\n")}\n\n` : "";
}

/** docker's indented JSON (Go escapes <, > and &). */
export function printJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(/[<>&]/g, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`) + "\n";
}

/** Fields that are Go maps in docker's types (keys sorted in {{json}}, missing keys give <no value>). */
const mapFields = new Set([
  "Labels", "ExposedPorts", "Volumes", "Data", "Ports", "Networks", "Sysctls", "Options", "DriverOpts",
  "StorageOpt", "Tmpfs", "Annotations", "Runtimes", "IndexConfigs", "Attributes", "Details", "Plugins",
]);

/**
 * JSON from the daemon → the shape docker's templates see: objects become
 * structs (field order kept, as Go marshals a struct) except the map-typed fields.
 */
export function asGoValue(v: unknown, key = "", parent = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => asGoValue(x, "", key));
  if (!v || typeof v !== "object" || v instanceof GoStruct) return v;
  const isMap = mapFields.has(key) || (key === "Config" && parent === "LogConfig");
  const fields: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) fields[k] = asGoValue(x, isMap ? "" : k, key);
  return isMap ? fields : new GoStruct("struct", fields);
}

/**
 * Runs a --format template once over a JSON value (inspect-style): first over
 * the struct view, then, if a field is missing there, over plain maps — as
 * docker's TemplateInspector falls back to the raw JSON.
 */
export function formatOne(format: string, value: unknown): string {
  try {
    return renderFormat(format, [asGoValue(value)], {});
  } catch {
    return renderFormat(format, [value], {});
  }
}

/**
 * `inspect --format`: docker's TemplateInspector. The struct view first; on
 * failure the raw JSON with missingkey=error, so a misspelt field is an
 * error rather than "<no value>".
 */
export function formatInspect(format: string, value: unknown): string {
  try {
    return renderFormat(format, [asGoValue(value)], {});
  } catch {
    try {
      return parseFormat(format).execute(value, { missingKey: "error" }) + "\n";
    } catch (e) {
      if (e instanceof TemplateExecError) throw new Error(`template parsing error: ${e.message}`);
      throw e;
    }
  }
}

const pad2 = (n: number) => String(n).padStart(2, "0");

function localParts(sec: number) {
  const d = new Date(sec * 1000);
  const offMin = -d.getTimezoneOffset();
  const sign = offMin < 0 ? "-" : "+";
  const off = `${sign}${pad2(Math.floor(Math.abs(offMin) / 60))}${pad2(Math.abs(offMin) % 60)}`;
  const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  return { d, offMin, off, date, time };
}

/** Go's time.Time.String() in local time: "2006-01-02 15:04:05 -0700 MST" (docker's CreatedAt columns). */
export function goTimeString(sec: number): string {
  const { d, offMin, off, date, time } = localParts(sec);
  let zone = offMin === 0 ? "UTC" : new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? off;
  if (process.env.TZ === "" || (offMin === 0 && !process.env.TZ)) zone = "UTC";
  return `${date} ${time} ${off} ${zone}`;
}

/** Go's time.RFC3339 in local time: "2006-01-02T15:04:05Z07:00". */
export function rfc3339(sec: number): string {
  const { offMin, off, date, time } = localParts(sec);
  return `${date}T${time}${offMin === 0 ? "Z" : `${off.slice(0, 3)}:${off.slice(3)}`}`;
}

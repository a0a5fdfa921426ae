// Shared output helpers: tables and --format, as docker prints them.
import { renderFormat } from "./format/render.ts";
import { GoStruct } from "./format/template.ts";

/**
 * Renders rows with a default table format unless `--format` says otherwise.
 * `headers` maps field names to the column titles docker uses; `{{json .}}`
 * prints the row's fields.
 */
export function printRows(format: string | undefined, defaultFormat: string, rows: Record<string, unknown>[], headers: Record<string, string>, typeName = "*formatter.Context"): string {
  const structs = rows.map((r) => new GoStruct(typeName, r, () => r));
  return renderFormat(format || defaultFormat, structs, headers);
}

/** docker's indented JSON (Go escapes <, > and &). */
export function printJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(/[<>&]/g, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`) + "\n";
}

/** Runs a --format template once over a plain JSON value (inspect-style). */
export function formatOne(format: string, value: unknown): string {
  return renderFormat(format, [value], {});
}

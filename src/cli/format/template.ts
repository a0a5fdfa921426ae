// A Go text/template implementation for docker-compatible `--format` flags:
// the same syntax, printing, functions and error messages as the docker CLI.
import { Executor, type MissingKey, type TemplateFunc } from "./template/exec.ts";
import { dockerFunctions, dockerHeaderFunctions, goBuiltins } from "./template/funcs.ts";
import { parse, type Node } from "./template/parse.ts";

export { TemplateExecError, type FuncSpec, type MissingKey, type ParamKind, type TemplateFunc } from "./template/exec.ts";
export { TemplateParseError } from "./template/lex.ts";
export { Float64, GoStruct } from "./template/values.ts";
export { goJson } from "./template/json.ts";
export { formatValue as goFormatValue, goQuote, sprint, sprintf, sprintln } from "./template/print.ts";
export { formatFloat } from "../../shared/go-floats.ts";
export { dockerFunctions, dockerHeaderFunctions, goBuiltins } from "./template/funcs.ts";

export interface ParseOptions {
  /** The template's name as it appears in errors (docker uses ""). */
  name?: string;
  /** Functions besides Go's builtins; defaults to docker's (json, split, join, title, lower, upper, pad, truncate). */
  funcs?: Record<string, TemplateFunc>;
}

export interface ExecuteOptions {
  /** Go's missingkey option: "default" prints <no value>, "zero" the zero value, "error" fails. */
  missingKey?: MissingKey;
  /** Functions replacing same-named ones for this run (docker's header pass uses dockerHeaderFunctions). */
  funcs?: Record<string, TemplateFunc>;
}

export class Template {
  private constructor(
    readonly source: string,
    readonly name: string,
    private readonly nodes: Node[],
    private readonly funcs: Record<string, TemplateFunc>,
  ) {}

  /** Parses like template.New(name).Funcs(funcs).Parse(source); throws TemplateParseError. */
  static parse(source: string, opts: ParseOptions = {}): Template {
    const name = opts.name ?? "";
    const funcs = { ...goBuiltins, ...(opts.funcs ?? dockerFunctions) };
    const nodes = parse(source, { name, hasFunction: (f) => Object.hasOwn(funcs, f) });
    return new Template(source, name, nodes, funcs);
  }

  /** Runs the template over data; throws TemplateExecError (with .partial output) like Go's Execute. */
  execute(data: unknown, opts: ExecuteOptions = {}): string {
    const funcs = opts.funcs ? { ...this.funcs, ...opts.funcs } : this.funcs;
    const lookup = (f: string) => (Object.hasOwn(funcs, f) ? funcs[f] : undefined);
    return new Executor(this.source, this.name, lookup, opts.missingKey ?? "default").run(this.nodes, data);
  }
}

export function parseTemplate(source: string, opts?: ParseOptions): Template {
  return Template.parse(source, opts);
}

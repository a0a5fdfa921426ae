// Executes a parsed template the way Go's text/template does.
import { lineOf } from "./lex.ts";
import { nodeString, type ArgNode, type CommandNode, type ControlNode, type Node, type PipeNode } from "./parse.ts";
import { formatValue } from "./print.ts";
import { GoStruct, goTypeName, isMethod, isTrue, kindOf, mapEntries, mapGet, mapZero, numberValue } from "./values.ts";

export type ParamKind = "any" | "string" | "int" | "bool" | "[]string";

/** A template function with Go-like parameter types (checked before the call). */
export interface FuncSpec {
  params: ParamKind[];
  variadic?: ParamKind;
  call: (...args: any[]) => unknown;
  /** and/or: receive thunks so the arguments are evaluated lazily, as in Go. */
  lazy?: boolean;
}
export type TemplateFunc = FuncSpec | ((...args: any[]) => unknown);

export type MissingKey = "default" | "zero" | "error";

export class TemplateExecError extends Error {
  /** What had been written before the error (Go writes output as it goes). */
  partial = "";
}

const MISSING: unique symbol = Symbol("missing");
type Final = unknown | typeof MISSING;
class BreakSignal {}
class ContinueSignal {}

function specOf(f: TemplateFunc): FuncSpec {
  return typeof f === "function" ? { params: Array(f.length).fill("any"), call: f } : f;
}

export class Executor {
  private out = "";
  private vars: { name: string; value: unknown }[] = [];
  private at: { pos: number; text: string } | undefined;

  constructor(
    private src: string,
    private name: string,
    private funcs: (name: string) => TemplateFunc | undefined,
    private missingKey: MissingKey,
  ) {}

  run(nodes: Node[], data: unknown): string {
    this.vars = [{ name: "$", value: data }];
    try {
      this.walkList(data, nodes);
    } catch (e) {
      if (e instanceof TemplateExecError) e.partial = this.out;
      throw e;
    }
    return this.out;
  }

  private fail(msg: string): never {
    if (!this.at) throw new TemplateExecError(`template: ${this.name}: ${msg}`);
    const { pos, text } = this.at;
    const lineStart = this.src.lastIndexOf("\n", pos - 1) + 1;
    const col = Buffer.byteLength(this.src.slice(lineStart, pos));
    const ctx = text.length > 20 ? text.slice(0, 20) + "..." : text;
    throw new TemplateExecError(`template: ${this.name}:${lineOf(this.src, pos)}:${col}: executing ${JSON.stringify(this.name)} at <${ctx}>: ${msg}`);
  }
  private mark(n: ArgNode | CommandNode): void {
    this.at = { pos: n.pos, text: nodeString(n) };
  }

  private walkList(dot: unknown, nodes: Node[]): void {
    for (const n of nodes) this.walk(dot, n);
  }

  private walk(dot: unknown, n: Node): void {
    switch (n.kind) {
      case "text": this.out += n.text; return;
      case "action": {
        const v = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.out += v === undefined ? "<no value>" : formatValue(v, "v");
        return;
      }
      case "break": throw new BreakSignal();
      case "continue": throw new ContinueSignal();
      case "if": case "with": {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, n.pipe);
        if (isTrue(v)) this.walkList(n.kind === "with" ? v : dot, n.list);
        else if (n.elseList) this.walkList(dot, n.elseList);
        this.vars.length = mark;
        return;
      }
      case "range": return this.walkRange(dot, n);
    }
  }

  private walkRange(dot: unknown, n: ControlNode): void {
    const mark = this.vars.length;
    const v = this.evalPipeline(dot, n.pipe);
    const items: [unknown, unknown][] = [];
    switch (kindOf(v)) {
      case "invalid": case "nil": break;
      case "slice": case "bytes": Array.from(v as ArrayLike<unknown>).forEach((x, i) => items.push([i, x])); break;
      case "map": for (const [k, x] of mapEntries(v)) items.push([k, x]); break;
      case "int": {
        if (n.pipe.decl.length > 1) this.fail(`can't use ${formatValue(v, "v")} to iterate over more than one variable`);
        for (let i = 0; i < numberValue(v); i++) items.push([i, i]);
        break;
      }
      default: this.fail(`range can't iterate over ${formatValue(v, "v")}`);
    }
    for (const [key, elem] of items) {
      if (n.pipe.decl.length > 0) this.vars[this.vars.length - 1]!.value = elem;
      if (n.pipe.decl.length > 1) this.vars[this.vars.length - 2]!.value = key;
      try {
        this.walkList(elem, n.list);
      } catch (e) {
        if (e instanceof BreakSignal) break;
        if (!(e instanceof ContinueSignal)) throw e;
      }
    }
    if (items.length === 0 && n.elseList) this.walkList(dot, n.elseList);
    this.vars.length = mark;
  }

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const d of pipe.decl) {
      if (pipe.isAssign) {
        const slot = [...this.vars].reverse().find((x) => x.name === d);
        if (!slot) this.fail(`undefined variable: ${d}`);
        slot.value = value;
      } else this.vars.push({ name: d, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.kind) {
      case "field": this.mark(first); return this.evalFieldChain(dot, dot, first, first.idents, cmd.args, final);
      case "chain": return this.evalChain(dot, first, cmd.args, final);
      case "ident": return this.evalFunction(dot, first, cmd, cmd.args, final);
      case "variable": return this.evalVariable(dot, first, cmd.args, final);
      case "pipe": this.notAFunction(cmd.args, final); return this.evalPipeline(dot, first);
    }
    this.mark(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case "dot": return dot;
      case "nil": return this.fail("nil is not a command");
      case "literal": return first.value;
    }
  }

  private notAFunction(args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.fail(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  private evalChain(dot: unknown, chain: Extract<ArgNode, { kind: "chain" }>, args: ArgNode[], final: Final): unknown {
    if (chain.node.kind === "nil") this.fail(`indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArg(dot, chain.node);
    this.mark(chain);
    return this.evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  private evalVariable(dot: unknown, v: Extract<ArgNode, { kind: "variable" }>, args: ArgNode[], final: Final): unknown {
    this.mark(v);
    const slot = [...this.vars].reverse().find((x) => x.name === v.idents[0]);
    if (!slot) this.fail(`undefined variable: ${v.idents[0]}`);
    if (v.idents.length === 1) {
      this.notAFunction(args, final);
      return slot.value;
    }
    return this.evalFieldChain(dot, slot.value, v, v.idents.slice(1), args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: ArgNode, idents: string[], args: ArgNode[], final: Final): unknown {
    for (let i = 0; i < idents.length - 1; i++) receiver = this.evalField(dot, idents[i]!, node, [], MISSING, receiver);
    return this.evalField(dot, idents[idents.length - 1]!, node, args, final, receiver);
  }

  private evalField(dot: unknown, name: string, node: ArgNode, args: ArgNode[], final: Final, receiver: unknown): unknown {
    const kind = kindOf(receiver);
    if (kind === "invalid") {
      if (this.missingKey === "error") this.fail(`nil data; no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    if (kind === "nil") this.fail(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = args.length > 1 || final !== MISSING;
    if (kind === "struct") {
      const st = receiver as GoStruct;
      if (Object.hasOwn(st.fields, name)) {
        const member = st.fields[name];
        if (isMethod(member)) return this.evalCall(dot, member, node, name, args, final);
        if (hasArgs) this.fail(`${name} has arguments but cannot be invoked as function`);
        return member;
      }
    } else if (kind === "map") {
      const member = mapGet(receiver, name);
      if (isMethod(member)) return this.evalCall(dot, member, node, name, args, final);
      if (hasArgs) this.fail(`${name} is not a method but has arguments`);
      if (member !== undefined) return member;
      if (this.missingKey === "error") this.fail(`map has no entry for key ${JSON.stringify(name)}`);
      return this.missingKey === "zero" ? mapZero(receiver) : undefined;
    }
    return this.fail(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(dot: unknown, ident: Extract<ArgNode, { kind: "ident" }>, cmd: ArgNode | CommandNode, args: ArgNode[], final: Final): unknown {
    this.mark(ident);
    const f = this.funcs(ident.name);
    if (!f) this.fail(`${JSON.stringify(ident.name)} is not a defined function`);
    return this.evalCall(dot, f, cmd, ident.name, args, final);
  }

  /** args[0] is the node naming the function; the rest, then final, are its arguments. */
  private evalCall(dot: unknown, f: TemplateFunc, node: ArgNode | CommandNode, name: string, args: ArgNode[], final: Final): unknown {
    const spec = specOf(f);
    const argNodes = args.slice(1);
    const got = argNodes.length + (final !== MISSING ? 1 : 0);
    const want = spec.params.length;
    if (spec.variadic ? got < want : got !== want) {
      this.mark(node);
      this.fail(`wrong number of args for ${name}: want ${spec.variadic ? "at least " : ""}${want} got ${got}`);
    }
    const kindAt = (i: number): ParamKind => spec.params[i] ?? spec.variadic ?? "any";
    let argv: unknown[];
    if (spec.lazy) {
      argv = argNodes.map((a) => () => this.evalArg(dot, a));
      if (final !== MISSING) argv.push(() => final);
    } else {
      argv = argNodes.map((a, i) => this.checkArg(this.evalArg(dot, a), kindAt(i), a));
      if (final !== MISSING) argv.push(this.checkArg(final, kindAt(argv.length), undefined));
    }
    this.mark(node);
    try {
      return spec.call(...argv);
    } catch (e) {
      if (e instanceof TemplateExecError) throw e;
      return this.fail(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private checkArg(v: unknown, kind: ParamKind, node: ArgNode | undefined): unknown {
    if (kind === "any") return v === undefined ? null : v;
    const goKind = kind === "[]string" ? "[]string" : kind;
    if (v === undefined) this.fail(`invalid value; expected ${goKind}`);
    const k = kindOf(v);
    const ok =
      (kind === "string" && k === "string") ||
      (kind === "int" && k === "int") ||
      (kind === "bool" && k === "bool") ||
      (kind === "[]string" && (k === "nil" || (k === "slice" && (v as unknown[]).every((x) => typeof x === "string"))));
    if (ok) return kind === "[]string" && v === null ? [] : v;
    if (node?.kind === "literal") this.fail(`expected ${kind === "int" ? "integer" : goKind}; found ${node.text}`);
    return this.fail(`wrong type for value; expected ${goKind}; got ${goTypeName(v)}`);
  }

  private evalArg(dot: unknown, n: ArgNode): unknown {
    this.mark(n);
    switch (n.kind) {
      case "dot": return dot;
      case "nil": return null;
      case "literal": return n.value;
      case "field": return this.evalFieldChain(dot, dot, n, n.idents, [n], MISSING);
      case "variable": return this.evalVariable(dot, n, [n], MISSING);
      case "pipe": return this.evalPipeline(dot, n);
      case "ident": return this.evalFunction(dot, n, n, [n], MISSING);
      case "chain": return this.evalChain(dot, n, [n], MISSING);
    }
  }
}

// Parser for Go's text/template: builds the same node kinds as text/template/parse.
import { lex, lineOf, TemplateParseError, type Token } from "./lex.ts";
import { charValue, numberValue, unquote } from "./literals.ts";

export type ArgNode =
  | { kind: "field"; pos: number; idents: string[] }
  | { kind: "variable"; pos: number; idents: string[] } // idents[0] is "$name"
  | { kind: "dot"; pos: number }
  | { kind: "nil"; pos: number }
  | { kind: "ident"; pos: number; name: string }
  | { kind: "literal"; pos: number; text: string; value: unknown }
  | { kind: "chain"; pos: number; node: ArgNode; fields: string[] }
  | PipeNode;

export interface CommandNode { kind: "command"; pos: number; args: ArgNode[] }
export interface PipeNode { kind: "pipe"; pos: number; decl: string[]; isAssign: boolean; cmds: CommandNode[] }
export interface ControlNode { kind: "if" | "with" | "range"; pos: number; pipe: PipeNode; list: Node[]; elseList?: Node[] }
export type Node =
  | { kind: "text"; pos: number; text: string }
  | { kind: "action"; pos: number; pipe: PipeNode }
  | ControlNode
  | { kind: "break" | "continue"; pos: number };

export function nodeString(n: ArgNode | CommandNode): string {
  switch (n.kind) {
    case "field": return "." + n.idents.join(".");
    case "variable": return n.idents.join(".");
    case "dot": return ".";
    case "nil": return "nil";
    case "ident": return n.name;
    case "literal": return n.text;
    case "chain": return (n.node.kind === "pipe" ? "(" + nodeString(n.node) + ")" : nodeString(n.node)) + "." + n.fields.join(".");
    case "command": return n.args.map((a) => (a.kind === "pipe" ? "(" + nodeString(a) + ")" : nodeString(a))).join(" ");
    case "pipe": return (n.decl.length ? n.decl.join(", ") + (n.isAssign ? " = " : " := ") : "") + n.cmds.map(nodeString).join(" | ");
  }
}

export interface ParseOptions {
  name: string;
  /** Names of functions that exist; any other identifier is a parse error, as in Go. */
  hasFunction: (name: string) => boolean;
}

export function parse(src: string, opts: ParseOptions): Node[] {
  return new Parser(src, opts).parseTemplate();
}

class Parser {
  private toks: Token[];
  private i = 0;
  private vars: string[] = ["$"];
  private rangeDepth = 0;

  constructor(private src: string, private opts: ParseOptions) {
    this.toks = lex(src, opts.name);
  }

  private fail(msg: string, tok: Token = this.peek()): never {
    throw new TemplateParseError(`template: ${this.opts.name}:${lineOf(this.src, tok.pos)}: ${msg}`);
  }
  private peek(): Token {
    return this.toks[Math.min(this.i, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length) this.i++;
    return t;
  }
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === "space") t = this.next();
    return t;
  }
  private peekNonSpace(): Token {
    const save = this.i;
    const t = this.nextNonSpace();
    this.i = save;
    return t;
  }
  private expectRight(context: string): void {
    const t = this.nextNonSpace();
    if (t.type !== "right") this.fail(`unexpected ${describe(t)} in ${context}`, t);
  }

  parseTemplate(): Node[] {
    const { list, end } = this.parseList();
    if (end !== "eof") this.fail(`unexpected {{${end}}}`);
    return list;
  }

  /** Parses nodes until {{end}}, {{else…}} or EOF; returns which one stopped it (already consumed up to the keyword). */
  private parseList(): { list: Node[]; end: "eof" | "end" | "else"; endTok?: Token } {
    const list: Node[] = [];
    for (;;) {
      const t = this.next();
      if (t.type === "eof") return { list, end: "eof" };
      if (t.type === "text") {
        list.push({ kind: "text", pos: t.pos, text: t.val });
        continue;
      }
      // t is a left delimiter
      const k = this.peekNonSpace();
      if (k.type === "keyword") {
        this.nextNonSpace();
        switch (k.val) {
          case "end": this.expectRight("end"); return { list, end: "end", endTok: k };
          case "else": return { list, end: "else", endTok: k };
          case "if": case "with": case "range": list.push(this.parseControl(k.val, k)); continue;
          case "break": case "continue":
            if (this.rangeDepth === 0) this.fail(`{{${k.val}}} outside {{range}}`, k);
            this.expectRight(k.val);
            list.push({ kind: k.val, pos: k.pos });
            continue;
          default: this.fail(`{{${k.val}}} is not supported in berth's templates`, k);
        }
      }
      const pipe = this.parsePipeline("command", "right");
      list.push({ kind: "action", pos: pipe.pos, pipe });
    }
  }

  private parseControl(kind: "if" | "with" | "range", kw: Token): Node {
    const savedVars = this.vars.length;
    const pipe = this.parsePipeline(kind, "right");
    if (kind === "range") this.rangeDepth++;
    const body = this.parseList();
    if (kind === "range") this.rangeDepth--;
    if (body.end === "eof") this.fail("unexpected EOF", this.peek());
    let elseList: Node[] | undefined;
    if (body.end === "else") {
      const after = this.peekNonSpace();
      if ((after.type === "keyword" && (after.val === "if" || after.val === "with")) && kind !== "range") {
        // {{else if …}} / {{else with …}}: a nested control that shares our {{end}}.
        this.nextNonSpace();
        elseList = [this.parseControl(after.val as "if" | "with", after)];
      } else {
        this.expectRight("else");
        const rest = this.parseList();
        if (rest.end === "eof") this.fail("unexpected EOF", this.peek());
        if (rest.end === "else") this.fail("expected end; found {{else}}", rest.endTok);
        elseList = rest.list;
      }
    }
    this.vars.length = savedVars;
    return { kind, pos: kw.pos, pipe, list: body.list, elseList };
  }

  private parsePipeline(context: string, end: "right" | "rparen"): PipeNode {
    const start = this.peekNonSpace();
    const pipe: PipeNode = { kind: "pipe", pos: start.pos, decl: [], isAssign: false, cmds: [] };
    // Declarations: $x := …, $x = …, and in range $k, $v := …
    const save = this.i;
    const v = this.nextNonSpace();
    if (v.type === "variable") {
      const op = this.nextNonSpace();
      if (op.type === "declare" || op.type === "assign") {
        pipe.decl.push(v.val);
        pipe.isAssign = op.type === "assign";
      } else if (op.type === "comma" && context === "range") {
        const v2 = this.nextNonSpace();
        const op2 = this.nextNonSpace();
        if (v2.type !== "variable" || (op2.type !== "declare" && op2.type !== "assign")) this.fail("range can only initialize variables", v2);
        pipe.decl.push(v.val, v2.val);
        pipe.isAssign = op2.type === "assign";
      } else this.i = save;
    } else this.i = save;
    if (pipe.decl.length && pipe.isAssign) {
      for (const d of pipe.decl) if (!this.vars.includes(d)) this.fail(`undefined variable "${d}"`, v);
    }
    for (;;) {
      const t = this.peekNonSpace();
      if ((end === "right" && t.type === "right") || (end === "rparen" && t.type === "rparen")) {
        this.nextNonSpace();
        break;
      }
      if (t.type === "eof" || t.type === "right" || t.type === "rparen") {
        this.fail(t.type === "eof" ? "unclosed action" : `unexpected ${describe(t)} in ${context}`, t);
      }
      pipe.cmds.push(this.parseCommand(context));
      if (this.peekNonSpace().type === "pipe") this.nextNonSpace();
    }
    if (pipe.cmds.length === 0) this.fail(pipe.decl.length ? "missing value for declaration" : `missing value for ${context}`, start);
    pipe.cmds.forEach((c, i) => {
      const first = c.args[0]!;
      if (i > 0 && (first.kind === "literal" || first.kind === "nil" || first.kind === "dot")) {
        this.fail(`non executable command in pipeline stage ${i + 1}`, start);
      }
    });
    if (!pipe.isAssign) for (const d of pipe.decl) this.vars.push(d);
    return pipe;
  }

  private parseCommand(context: string): CommandNode {
    const cmd: CommandNode = { kind: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === "pipe" || t.type === "right" || t.type === "rparen") break;
      if (t.type === "eof") this.fail("unclosed action", t);
      cmd.args.push(this.parseOperand(context));
      const after = this.peek();
      if (after.type !== "space" && after.type !== "pipe" && after.type !== "right" && after.type !== "rparen") {
        this.fail(`unexpected ${describe(after)} in operand`, after);
      }
    }
    if (cmd.args.length === 0) this.fail("empty command", this.peek());
    return cmd;
  }

  private parseOperand(context: string): ArgNode {
    const term = this.parseTerm(context);
    const fields: string[] = [];
    // Go gives a chained node the position of its first added field (errors point there).
    const pos = this.peek().pos;
    while (this.peek().type === "field") fields.push(this.next().val.slice(1));
    if (fields.length === 0) return term;
    switch (term.kind) {
      case "field": return { ...term, pos, idents: [...term.idents, ...fields] };
      case "variable": return { ...term, pos, idents: [...term.idents, ...fields] };
      case "literal": case "nil": case "dot":
        return this.fail(`unexpected . after term ${JSON.stringify(nodeString(term))}`);
      default: return { kind: "chain", pos, node: term, fields };
    }
  }

  private parseTerm(context: string): ArgNode {
    const t = this.nextNonSpace();
    switch (t.type) {
      case "ident":
        if (!this.opts.hasFunction(t.val)) this.fail(`function "${t.val}" not defined`, t);
        return { kind: "ident", pos: t.pos, name: t.val };
      case "dot": return { kind: "dot", pos: t.pos };
      case "nil": return { kind: "nil", pos: t.pos };
      case "variable":
        if (!this.vars.includes(t.val)) this.fail(`undefined variable "${t.val}"`, t);
        return { kind: "variable", pos: t.pos, idents: [t.val] };
      case "field": return { kind: "field", pos: t.pos, idents: [t.val.slice(1)] };
      case "bool": return { kind: "literal", pos: t.pos, text: t.val, value: t.val === "true" };
      case "string": return { kind: "literal", pos: t.pos, text: t.val, value: unquote(t.val, () => this.fail(`invalid syntax: ${t.val}`, t)) };
      case "rawstring": return { kind: "literal", pos: t.pos, text: t.val, value: t.val.slice(1, -1).replace(/\r/g, "") };
      case "char": return { kind: "literal", pos: t.pos, text: t.val, value: charValue(t.val, () => this.fail(`malformed character constant: ${t.val}`, t)) };
      case "number": return { kind: "literal", pos: t.pos, text: t.val, value: numberValue(t.val, () => this.fail(`illegal number syntax: ${JSON.stringify(t.val)}`, t)) };
      case "lparen": {
        const pipe = this.parsePipeline("parenthesized pipeline", "rparen");
        return { ...pipe, pos: t.pos };
      }
      default: return this.fail(`unexpected ${describe(t)} in ${context}`, t);
    }
  }
}

function describe(t: Token): string {
  if (t.type === "eof") return "EOF";
  if (t.type === "right") return '"}}"';
  if (t.type === "keyword") return `<${t.val}>`;
  return JSON.stringify(t.val);
}

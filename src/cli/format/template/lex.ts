// Lexer for Go's text/template syntax: text, {{ actions }}, trim markers, comments.

export type TokType =
  | "text" | "left" | "right" | "space" | "field" | "ident" | "variable" | "dot" | "string" | "rawstring"
  | "char" | "number" | "bool" | "nil" | "declare" | "assign" | "pipe" | "lparen" | "rparen" | "comma"
  | "keyword" | "comment" | "eof";

export interface Token {
  type: TokType;
  val: string;
  pos: number; // offset in the template source
}

export class TemplateParseError extends Error {}

const KEYWORDS = new Set(["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"]);
const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isAlnum = (c: string | undefined) => c !== undefined && /[\p{L}\p{Nd}_]/u.test(c);

export function lineOf(src: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src[i] === "\n") n++;
  return n;
}

export function lex(src: string, name: string): Token[] {
  const toks: Token[] = [];
  let pos = 0;
  const fail = (msg: string, at: number): never => {
    throw new TemplateParseError(`template: ${name}:${lineOf(src, at)}: ${msg}`);
  };
  while (pos < src.length) {
    const open = src.indexOf("{{", pos);
    const end = open < 0 ? src.length : open;
    let text = src.slice(pos, end);
    const trimLeft = open >= 0 && src[open + 2] === "-" && isSpace(src[open + 3]);
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, "");
    if (text.length > 0) toks.push({ type: "text", val: text, pos });
    if (open < 0) break;
    pos = open + 2 + (trimLeft ? 2 : 0);
    // Comments must be the whole action.
    let i = pos;
    while (isSpace(src[i]) && trimLeft) i++;
    if (src.startsWith("/*", trimLeft ? i : pos)) {
      const start = trimLeft ? i : pos;
      const close = src.indexOf("*/", start + 2);
      if (close < 0) fail("unclosed comment", start);
      let after = close + 2;
      let trimRight = false;
      if (isSpace(src[after]) && src[after + 1] === "-" && src.startsWith("}}", after + 2)) {
        trimRight = true;
        after += 2;
      }
      if (!src.startsWith("}}", after)) fail("comment ends before closing delimiter", start);
      pos = after + 2;
      if (trimRight) pos = skipSpace(src, pos);
      continue;
    }
    toks.push({ type: "left", val: "{{", pos: open });
    pos = lexAction(src, pos, toks, fail);
  }
  toks.push({ type: "eof", val: "", pos: src.length });
  return toks;
}

function skipSpace(src: string, pos: number): number {
  while (isSpace(src[pos])) pos++;
  return pos;
}

/** Lexes one action's insides; returns the position after its closing delimiter (and trimmed space). */
function lexAction(src: string, pos: number, toks: Token[], fail: (m: string, at: number) => never): number {
  let parens = 0;
  const start = pos;
  for (;;) {
    if (isSpace(src[pos]) && src[pos + 1] === "-" && src.startsWith("}}", pos + 2)) {
      toks.push({ type: "right", val: "}}", pos: pos + 2 });
      return skipSpace(src, pos + 4);
    }
    if (src.startsWith("}}", pos)) {
      if (parens > 0) fail("unclosed left paren", pos);
      toks.push({ type: "right", val: "}}", pos });
      return pos + 2;
    }
    const c = src[pos];
    if (c === undefined) fail("unclosed action", start);
    if (c === "\n" || c === "\r") {
      // Go allows newlines inside actions (since 1.16), they are just space.
    }
    const at = pos;
    const push = (type: TokType, val: string) => toks.push({ type, val, pos: at });
    if (isSpace(c)) {
      while (isSpace(src[pos])) pos++;
      push("space", " ");
    } else if (c === ":" ) {
      if (src[pos + 1] !== "=") fail("expected :=", pos);
      pos += 2;
      push("declare", ":=");
    } else if (c === "=") {
      pos++;
      push("assign", "=");
    } else if (c === "|") {
      pos++;
      push("pipe", "|");
    } else if (c === ",") {
      pos++;
      push("comma", ",");
    } else if (c === "(") {
      pos++;
      parens++;
      push("lparen", "(");
    } else if (c === ")") {
      pos++;
      if (--parens < 0) fail(`unexpected right paren`, at);
      push("rparen", ")");
    } else if (c === '"') {
      pos++;
      while (src[pos] !== '"') {
        if (src[pos] === "\\") pos++;
        if (pos >= src.length || src[pos] === "\n") fail("unterminated quoted string", at);
        pos++;
      }
      pos++;
      push("string", src.slice(at, pos));
    } else if (c === "`") {
      const close = src.indexOf("`", pos + 1);
      if (close < 0) fail("unterminated raw quoted string", at);
      pos = close + 1;
      push("rawstring", src.slice(at, pos));
    } else if (c === "'") {
      pos++;
      while (src[pos] !== "'") {
        if (src[pos] === "\\") pos++;
        if (pos >= src.length || src[pos] === "\n") fail("unterminated character constant", at);
        pos++;
      }
      pos++;
      push("char", src.slice(at, pos));
    } else if (c === "$") {
      pos++;
      while (isAlnum(src[pos])) pos++;
      push("variable", src.slice(at, pos));
    } else if (c === ".") {
      if (/[0-9]/.test(src[pos + 1] ?? "")) {
        pos = lexNumber(src, pos, push, fail);
      } else {
        pos++;
        while (isAlnum(src[pos])) pos++;
        push(pos - at === 1 ? "dot" : "field", src.slice(at, pos));
      }
    } else if (c === "+" || c === "-" || /[0-9]/.test(c)) {
      pos = lexNumber(src, pos, push, fail);
    } else if (isAlnum(c)) {
      while (isAlnum(src[pos])) pos++;
      const word = src.slice(at, pos);
      if (KEYWORDS.has(word)) push("keyword", word);
      else if (word === "true" || word === "false") push("bool", word);
      else if (word === "nil") push("nil", word);
      else push("ident", word);
    } else {
      fail(`unrecognized character in action: ${JSON.stringify(c)}`, at);
    }
  }
}

function lexNumber(src: string, pos: number, push: (t: TokType, v: string) => void, fail: (m: string, at: number) => never): number {
  const m = /^[+-]?(0[xX][0-9a-fA-F_]+(\.[0-9a-fA-F_]*)?([pP][+-]?\d+)?|0[oObB][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)i?/.exec(src.slice(pos));
  const text = m?.[0] ?? "";
  if (text === "" || text === "+" || text === "-" || isAlnum(src[pos + text.length])) {
    fail(`bad number syntax: ${JSON.stringify(src.slice(pos, pos + text.length + 1))}`, pos);
  }
  push("number", text);
  return pos + text.length;
}

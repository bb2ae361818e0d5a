/**
 * parse.ts - strict JSON parsing that keeps every number exact.
 *
 * JSON.parse turns 18446744073709551615 into 18446744073709552000; seccomp
 * argument values are 64-bit, so numbers are kept as their source text
 * (JsonNum) and converted to BigInt by the validator.  Syntax errors carry a
 * line and column, from jsonc-parser's scanner.
 */
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { ProfileError } from '../errors.js';

/** A JSON number, kept as written. */
export class JsonNum {
  constructor(readonly raw: string) {}
  /** The exact integer value, or undefined if the number is not an integer. */
  toBigInt(): bigint | undefined {
    if (!/^-?(0|[1-9][0-9]*)$/.test(this.raw)) {
      // 1e3 or 5.0 are integers in value; Go's encoding/json rejects them for
      // integer fields, and so do we.
      return undefined;
    }
    return BigInt(this.raw);
  }
  toString(): string {
    return this.raw;
  }
}

export type JsonValue = null | boolean | string | JsonNum | JsonValue[] | { [k: string]: JsonValue };

const messages: Record<string, string> = {
  InvalidSymbol: 'invalid symbol',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected "," or a closing bracket',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'unexpected content after the end of the document',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

/** 1-based line and column of a character offset. */
export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

function convert(node: Node, text: string): JsonValue {
  switch (node.type) {
    case 'object': {
      // Duplicate keys: the last one wins, as in Go's encoding/json.
      const out: { [k: string]: JsonValue } = Object.create(null);
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (!k || !v) continue;
        out[k.value as string] = convert(v, text);
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map((c) => convert(c, text));
    case 'number':
      return new JsonNum(text.slice(node.offset, node.offset + node.length));
    case 'string':
      return node.value as string;
    case 'boolean':
      return node.value as boolean;
    default:
      return null;
  }
}

/** Parse strict JSON (no comments, no trailing commas); numbers stay exact. */
export function parseJson(text: string, file: string): JsonValue {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first) {
    const { line, column } = lineCol(text, first.offset);
    const code = printParseErrorCode(first.error);
    throw new ProfileError(file, '', `invalid JSON at line ${line}, column ${column}: ${messages[code] ?? code}`);
  }
  if (!tree) throw new ProfileError(file, '', 'invalid JSON at line 1, column 1: the file is empty');
  return convert(tree, text);
}

export function isObject(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNum);
}

export function typeName(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (v instanceof JsonNum) return `number ${v.raw}`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

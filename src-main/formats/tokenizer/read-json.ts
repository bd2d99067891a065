/**
 * Reading the JSON files of a model folder, with errors a user can act on: the file, and for bad
 * JSON the line and column (V8's JSON.parse messages often carry neither), so a hand-edited
 * tokenizer_config.json can be fixed without guessing.
 */
import { readFileSync } from 'node:fs';
import { TokenizerError } from './errors.js';

/** The file's text, or undefined when it does not exist. */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new TokenizerError('IO_ERROR', path, `cannot read: ${code ?? String(err)}`);
  }
}

/**
 * Parsed JSON, or undefined when the file does not exist. `missing` is the reason given when it
 * must exist; without it a missing file is fine.
 */
export function readJson(path: string, missing?: string): unknown {
  const text = readText(path);
  if (text === undefined) {
    if (missing === undefined) return undefined;
    throw new TokenizerError('MISSING_FILE', path, missing);
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // tolerate a UTF-8 BOM
  try {
    return JSON.parse(body);
  } catch {
    const at = jsonErrorOffset(body);
    const before = body.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    const what = at >= body.length ? 'unexpected end of file' : `unexpected ${JSON.stringify(String.fromCodePoint(body.codePointAt(at)!))}`;
    throw new TokenizerError('INVALID_JSON', path, `invalid JSON at line ${line}, column ${column}: ${what}`);
  }
}

const NUMBER_OR_WORD = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/**
 * Offset of the first syntax error in text that JSON.parse refused: a small RFC 8259 scanner run
 * only on the failure path. Returns the text's length for a truncated file.
 */
function jsonErrorOffset(s: string): number {
  let i = 0;
  const fail = (): never => {
    throw new ScanStop(i);
  };
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= s.length) fail();
      const c = s.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) fail();
      if (c === 0x5c) {
        ESCAPE.lastIndex = i;
        if (!ESCAPE.test(s)) fail();
        i = ESCAPE.lastIndex;
      } else i++;
    }
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '"') return string();
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (s[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          ws();
          if (s[i] !== '"') fail();
          string();
          ws();
          if (s[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === close) return void i++;
        else fail();
      }
    }
    NUMBER_OR_WORD.lastIndex = i;
    if (!NUMBER_OR_WORD.test(s)) fail();
    i = NUMBER_OR_WORD.lastIndex;
  };
  try {
    value();
    ws();
    if (i < s.length) fail(); // something after the value
    return s.length;
  } catch (e) {
    if (e instanceof ScanStop) return e.offset;
    return 0; // nesting too deep for the scanner: point at the start
  }
}

class ScanStop {
  constructor(readonly offset: number) {}
}

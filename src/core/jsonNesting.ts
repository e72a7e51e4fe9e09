// Every JSON reader we use (jsonc-parser, zod, our own tree walks) recurses once per nesting level, so a file
// nested a few thousand levels deep ends in `Maximum call stack size exceeded`. This scan runs first, without
// recursion: strings and comments are skipped, brackets counted, and the first bracket past the limit is named.
// No rule file, run configuration or experiment needs more than a handful of levels.

export const maxJsonNesting = 100;

export interface NestingProblem {
  /** zero-based offset of the bracket that goes past the limit */
  offset: number;
  /** one-based, as compilers print them */
  line: number;
  column: number;
  message: string;
}

/** End of the string that starts at `from` (a `"`), or the text's length when it never closes. */
function stringEnd(text: string, from: number): number {
  for (let i = from + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 34 /* " */ || c === 10 /* newline: JSON strings cannot span lines */) return i;
  }
  return text.length;
}

/** End of the comment that starts at `from` (a `/`), or `from` itself when no comment starts there. */
function commentEnd(text: string, from: number): number {
  const next = text[from + 1];
  if (next === '/') {
    const end = text.indexOf('\n', from + 2);
    return end < 0 ? text.length : end;
  }
  if (next === '*') {
    const end = text.indexOf('*/', from + 2);
    return end < 0 ? text.length : end + 1;
  }
  return from;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The first place where JSON (with comments) nests deeper than `limit` arrays and objects, if any. */
export function findDeepNesting(text: string, limit = maxJsonNesting): NestingProblem | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = stringEnd(text, i);
    else if (c === '/') i = commentEnd(text, i);
    else if (c === '{' || c === '[') {
      if (++depth > limit) {
        return {
          offset: i,
          ...lineAndColumn(text, i),
          message: `nested more than ${limit} levels deep (arrays and objects): not a file this tool reads`,
        };
      }
    } else if (c === '}' || c === ']') depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** `file:line:col: message`, the one line a reader prints before it refuses the file. */
export function formatNestingProblem(file: string, problem: NestingProblem): string {
  return `${file}:${problem.line}:${problem.column}: ${problem.message}`;
}

// Reading JSONL files that another process may be appending to right now. Writers append whole lines ending in
// '\n', so a last line without its newline is still being written (or was torn by a kill): it is left unconsumed,
// never reported. A malformed line in the middle is a real problem and is reported with its file and line.
// Pure (no fs): the host, the webview and the trainer share it.
import type { z } from 'zod';

export interface JsonlProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface JsonlChunk<T> {
  readonly records: T[];
  /** Line number (1-based) of each record, parallel to `records`. */
  readonly lines: number[];
  readonly problems: JsonlProblem[];
  /** Characters of `text` consumed: everything up to and including the last '\n'. Feed the rest back later. */
  readonly consumed: number;
  /** Number of complete lines consumed (blank ones included), to continue line numbering. */
  readonly lineCount: number;
  /** The text ended in a partial line (still being written, or torn by a kill). */
  readonly tornTail: boolean;
}

export interface JsonlOptions {
  /** Name used in problems (a path, usually). */
  readonly file: string;
  /** Line number of the first line of `text` (when reading incrementally). Default 1. */
  readonly firstLine?: number;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(record)'}: ${i.message}`)
    .slice(0, 3)
    .join('; ');
}

/** Parses the complete lines of `text`, validating each record with `schema`. */
export function parseJsonl<T>(text: string, schema: z.ZodType<T>, options: JsonlOptions): JsonlChunk<T> {
  const records: T[] = [];
  const lines: number[] = [];
  const problems: JsonlProblem[] = [];
  const end = text.lastIndexOf('\n') + 1;
  let lineNo = options.firstLine ?? 1;
  let start = 0;
  let lineCount = 0;
  while (start < end) {
    const nl = text.indexOf('\n', start);
    const raw = text.slice(start, nl).replace(/\r$/, '');
    start = nl + 1;
    lineCount++;
    const here = lineNo++;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      problems.push({ file: options.file, line: here, message: `not JSON: ${(err as Error).message}` });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      problems.push({ file: options.file, line: here, message: describeIssues(parsed.error) });
      continue;
    }
    records.push(parsed.data);
    lines.push(here);
  }
  return { records, lines, problems, consumed: end, lineCount, tornTail: end < text.length };
}

/** `file:line: message`, the form editors and terminals link. */
export function formatJsonlProblem(p: JsonlProblem): string {
  return `${p.file}:${p.line}: ${p.message}`;
}

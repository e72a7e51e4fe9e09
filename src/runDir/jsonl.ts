// Record streams of a run: appended one whole line per record and flushed (one write call), read back tolerantly
// (a torn last line, left by a kill or still being written, is never a record and never an error).
import * as fs from 'node:fs';
import type { z } from 'zod';
import { formatJsonlProblem, parseJsonl } from '../protocol/jsonl';
import { writeAtomic } from './atomic';

export class JsonlAppender {
  private fd: number | null = null;

  constructor(readonly file: string) {}

  append(record: unknown): void {
    this.fd ??= fs.openSync(this.file, 'a');
    // One write per whole line: the OS has it once write returns, and a reader never sees half of it in the middle.
    fs.writeSync(this.fd, JSON.stringify(record) + '\n');
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

export interface JsonlFileRead<T> {
  readonly records: T[];
  /** Line number of each record, parallel to `records`. */
  readonly lines: number[];
  /** `file:line: message` of every line in the middle that did not parse. */
  readonly problems: string[];
  /** Raw text of every complete line, in order (blank lines excluded). */
  readonly rawLines: string[];
  readonly tornTail: boolean;
}

/** Every complete record of a JSONL file; an absent file has none. */
export function readJsonlFile<T>(file: string, schema: z.ZodType<T>): JsonlFileRead<T> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { records: [], lines: [], problems: [], rawLines: [], tornTail: false };
    throw err;
  }
  const chunk = parseJsonl(text, schema, { file });
  const complete = text.slice(0, chunk.consumed).split('\n');
  return {
    records: chunk.records,
    lines: chunk.lines,
    problems: chunk.problems.map(formatJsonlProblem),
    rawLines: chunk.lines.map((n) => complete[n - 1]!),
    tornTail: chunk.tornTail,
  };
}

/** The newest record of a JSONL file that parses, reading at most its last `bytes`; undefined when none. */
export function readLastRecord<T>(file: string, schema: z.ZodType<T>, bytes = 256 * 1024): T | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  let text: string;
  try {
    const { size } = fs.fstatSync(fd);
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    fs.readSync(fd, buffer, 0, buffer.length, start);
    text = buffer.toString('utf8');
    // Started mid-file: the first line is cut.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
  } finally {
    fs.closeSync(fd);
  }
  const lines = text.split('\n');
  // The last line may be torn (still being written): walk back to the newest record that parses.
  for (let i = lines.length - 1; i >= 0; i--) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/** Replaces a JSONL file with exactly `records` (atomically). */
export function writeJsonlFile(file: string, records: readonly unknown[]): void {
  writeAtomic(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
}

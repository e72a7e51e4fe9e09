// samples.jsonl is most of a run's bytes (G completions of a real model per prompt group): the host does not keep
// its records. It follows the file by bytes, noting where each step's lines start (typed arrays, ~12 bytes a
// step), and reads one step's lines again from disk when a page asks for them. Lines are found by their '\n' and
// their step read from the line's start (`{"v":1,"step":N,`, as the trainer's JSON.stringify writes them; a line
// in another key order is parsed whole); a line still being written is left for the next read. A replaced or
// shrunk file is indexed again from the start, as JsonlFollower does.
import * as fs from 'node:fs';
import type { z } from 'zod';
import { parseJsonl } from '../protocol/jsonl';
import { Column } from './followColumns';

const NEWLINE = 0x0a;
const CHUNK = 4 * 1024 * 1024;
/** `{"v":1,"step":N,` as JSON.stringify writes it (Python's json.dumps adds spaces: TRL's callback). */
const STEP_AT_START = /^\{\s*"v"\s*:\s*\d+\s*,\s*"step"\s*:\s*(\d+)\s*[,}]/;

/** Where each step's lines are in a JSONL file: one entry per run of lines of one step, in file order. */
export class StepIndex {
  private readonly steps = new Column();
  private readonly starts = new Column();
  /** Steps arrive ascending (the trainer's order); if one ever does not, lookups scan instead of bisecting. */
  private sorted = true;
  /** Byte offset after the last indexed line. */
  end = 0;

  add(step: number, start: number, end: number): void {
    const n = this.steps.length;
    if (n === 0 || this.steps.at(n - 1) !== step) {
      if (n > 0 && step < this.steps.at(n - 1)) this.sorted = false;
      this.steps.push(step);
      this.starts.push(start);
    }
    this.end = end;
  }

  /** Distinct steps, ascending. */
  stepList(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.steps.length; i++) out.push(this.steps.at(i));
    return this.sorted ? out : [...new Set(out)].sort((a, b) => a - b);
  }

  get lastStep(): number | undefined {
    return this.steps.length === 0 ? undefined : this.steps.at(this.steps.length - 1);
  }

  /** Byte ranges holding `step`'s lines (they may hold other steps' lines too: the reader filters). */
  ranges(step: number): [number, number][] {
    const out: [number, number][] = [];
    const endOf = (i: number) => (i + 1 < this.starts.length ? this.starts.at(i + 1) : this.end);
    if (this.sorted) {
      let lo = 0;
      let hi = this.steps.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.steps.at(mid) < step) lo = mid + 1;
        else hi = mid;
      }
      if (lo < this.steps.length && this.steps.at(lo) === step) out.push([this.starts.at(lo), endOf(lo)]);
      return out;
    }
    for (let i = 0; i < this.steps.length; i++)
      if (this.steps.at(i) === step) out.push([this.starts.at(i), endOf(i)]);
    return out;
  }

  get bytes(): number {
    return this.steps.bytes + this.starts.bytes;
  }
}

export interface IndexRead {
  /** Steps that got lines in this read (ascending, distinct). */
  readonly steps: number[];
  /** The file was replaced or truncated: the index starts again from its first line. */
  readonly reset: boolean;
}

/** The step of a line from its first bytes, else from the whole line parsed (another key order). */
function stepAtStart(head: string): number | undefined {
  const m = STEP_AT_START.exec(head);
  return m === null ? undefined : Number(m[1]);
}

function stepOfLine(line: string): number | undefined {
  try {
    const step = (JSON.parse(line) as { step?: unknown } | null)?.step;
    return typeof step === 'number' && Number.isInteger(step) ? step : undefined;
  } catch {
    return undefined;
  }
}

/** Follows a JSONL file by bytes, indexing each complete line by its step; never holds the records. */
export class StepIndexFollower<T extends { step: number }> {
  index = new StepIndex();
  private inode = -1;

  constructor(
    readonly file: string,
    private readonly schema: z.ZodType<T>,
  ) {}

  read(): IndexRead {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const reset = this.index.end > 0;
      if (reset) this.restart(-1);
      return { steps: [], reset };
    }
    try {
      const stat = fs.fstatSync(fd);
      let reset = false;
      if (this.inode !== -1 && (stat.ino !== this.inode || stat.size < this.index.end)) {
        this.restart(stat.ino);
        reset = true;
      }
      this.inode = stat.ino;
      return { steps: this.scan(fd, stat.size), reset };
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Indexes the complete lines between the index's end and `size`, a few MB at a time. */
  private scan(fd: number, size: number): number[] {
    const seen = new Set<number>();
    let buffer = Buffer.alloc(Math.min(CHUNK, Math.max(0, size - this.index.end)));
    while (this.index.end < size) {
      const from = this.index.end;
      const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, size - from), from);
      if (n === 0) break;
      let lineStart = 0;
      for (;;) {
        const nl = buffer.indexOf(NEWLINE, lineStart);
        if (nl === -1 || nl >= n) break;
        // The step sits in the line's first bytes: decode only those.
        const head = buffer.toString('utf8', lineStart, Math.min(nl, lineStart + 64));
        const step = stepAtStart(head) ?? stepOfLine(buffer.toString('utf8', lineStart, nl));
        if (step !== undefined) {
          this.index.add(step, from + lineStart, from + nl + 1);
          seen.add(step);
        } else {
          this.index.end = from + nl + 1; // a blank or broken line: the reader reports it when it is read
        }
        lineStart = nl + 1;
      }
      if (lineStart === 0) {
        if (from + n >= size) break; // the last line is still being written
        buffer = Buffer.alloc(buffer.length * 2); // one line longer than the buffer (huge completions)
      }
    }
    return [...seen].sort((a, b) => a - b);
  }

  /** The records of one step, read from disk now (validated as JsonlFollower validates them). */
  readStep(step: number): T[] {
    const ranges = this.index.ranges(step);
    if (ranges.length === 0) return [];
    const fd = fs.openSync(this.file, 'r');
    try {
      const records: T[] = [];
      for (const [start, end] of ranges) {
        const bytes = Buffer.alloc(end - start);
        fs.readSync(fd, bytes, 0, bytes.length, start);
        const chunk = parseJsonl(bytes.toString('utf8'), this.schema, { file: this.file });
        for (const record of chunk.records) if (record.step === step) records.push(record);
      }
      return records;
    } finally {
      fs.closeSync(fd);
    }
  }

  private restart(inode: number): void {
    this.index = new StepIndex();
    this.inode = inode;
  }
}

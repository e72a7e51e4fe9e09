// Incremental reading of a JSONL file another process is appending to: each read() returns only the records
// completed since the previous one, reading the file a chunk (1 MiB) at a time. Bytes after the last '\n' (a line
// still being written, or torn by a kill, or cut by a chunk's end) stay pending, as bytes, so a multi-byte
// character split across two reads is decoded whole. A file that was replaced (new inode, e.g. a resume dropping
// records past its checkpoint) or shrank is read again from the start and the caller is told to drop what it had.
import * as fs from 'node:fs';
import type { z } from 'zod';
import { parseJsonl } from '../protocol/jsonl';
import type { JsonlProblem } from '../protocol/jsonl';

export interface FollowResult<T> {
  readonly records: T[];
  readonly problems: JsonlProblem[];
  /** The file was replaced or truncated: `records` start again from its first line. */
  readonly reset: boolean;
}

const NEWLINE = 0x0a;
/** Bytes read and decoded at a time: the first read of a 100 MB file holds one chunk, not the file. */
export const FOLLOW_CHUNK_BYTES = 2 ** 20;

export class JsonlFollower<T> {
  private offset = 0;
  private inode = -1;
  /** Bytes after the last '\n' read so far, in pieces (one line may span many chunks). */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private nextLine = 1;

  constructor(
    readonly file: string,
    private readonly schema: z.ZodType<T>,
    private readonly chunkBytes = FOLLOW_CHUNK_BYTES,
  ) {}

  /** The records completed since the previous read, in one array (see readEach for long files). */
  read(): FollowResult<T> {
    const records: T[] = [];
    const { problems, reset } = this.readEach((record) => records.push(record));
    return { records, problems, reset };
  }

  /**
   * As read(), but each record goes to `visit` as soon as its chunk is parsed and none is collected, so a caller
   * that keeps a few (or typed columns) never holds a long file's records at once. Reads at most to byte `until`.
   */
  readEach(visit: (record: T) => void, until = Infinity): Omit<FollowResult<T>, 'records'> {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        const reset = this.offset > 0;
        if (reset) this.restart(-1);
        return { problems: [], reset };
      }
      throw err;
    }
    try {
      const stat = fs.fstatSync(fd);
      let reset = false;
      if (this.inode !== -1 && (stat.ino !== this.inode || stat.size < this.offset)) {
        this.restart(stat.ino);
        reset = true;
      }
      this.inode = stat.ino;
      const problems: JsonlProblem[] = [];
      // Up to the size seen now: what is appended meanwhile is the next read's.
      const size = Math.min(stat.size, until);
      const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(this.chunkBytes, size - this.offset)));
      while (this.offset < size) {
        const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, size - this.offset), this.offset);
        if (n === 0) break;
        this.offset += n;
        this.take(buffer.subarray(0, n), visit, problems);
      }
      return { problems, reset };
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * On a follower that has read nothing yet: moves past the file's complete lines but its last `keep`, counting them
   * (later problems keep their line numbers) without decoding or parsing them, so a reader that wants only the newest
   * records of a long file neither spends the time nor makes the garbage. Returns how many lines it skipped.
   */
  skipAllBut(keep: number): number {
    if (this.offset !== 0 || this.pendingLength !== 0) return 0;
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    try {
      const { size, ino } = fs.fstatSync(fd);
      this.inode = ino;
      const buffer = Buffer.allocUnsafe(Math.min(this.chunkBytes, size));
      // Where each of the newest keep + 1 lines ends (a ring): the oldest of them is where reading resumes.
      const ends = new Float64Array(keep + 1);
      let lines = 0;
      for (let from = 0; from < size;) {
        const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, size - from), from);
        if (n === 0) break;
        for (let i = buffer.indexOf(NEWLINE); i !== -1 && i < n; i = buffer.indexOf(NEWLINE, i + 1))
          ends[lines++ % (keep + 1)] = from + i + 1;
        from += n;
      }
      if (lines <= keep) return 0;
      const skipped = lines - keep;
      this.offset = ends[(skipped - 1) % (keep + 1)]!;
      this.nextLine = 1 + skipped;
      return skipped;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Bytes of the file's complete lines read so far (a reader of the same file can stop there). */
  get consumed(): number {
    return this.offset - this.pendingLength;
  }

  /** Bytes of a last line not yet terminated (still being written, or torn). */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /**
   * Parses the complete lines that `bytes` ends (with the pending bytes before them) and keeps its tail pending.
   * Lines are decoded only whole: '\n' never occurs inside a UTF-8 sequence, so a character cut by a chunk's end
   * is decoded once its line is complete.
   */
  private take(bytes: Buffer, visit: (record: T) => void, problems: JsonlProblem[]): void {
    const end = bytes.lastIndexOf(NEWLINE) + 1;
    if (end === 0) {
      // Copy: `bytes` is the read buffer, reused for the next chunk.
      this.pending.push(Buffer.from(bytes));
      this.pendingLength += bytes.length;
      return;
    }
    const lines =
      this.pending.length > 0
        ? Buffer.concat([...this.pending, bytes.subarray(0, end)])
        : bytes.subarray(0, end);
    this.pending = end < bytes.length ? [Buffer.from(bytes.subarray(end))] : [];
    this.pendingLength = bytes.length - end;
    const chunk = parseJsonl(lines.toString('utf8'), this.schema, {
      file: this.file,
      firstLine: this.nextLine,
    });
    this.nextLine += chunk.lineCount;
    for (const record of chunk.records) visit(record);
    for (const problem of chunk.problems) problems.push(problem);
  }

  private restart(inode: number): void {
    this.offset = 0;
    this.inode = inode;
    this.pending = [];
    this.pendingLength = 0;
    this.nextLine = 1;
  }
}

/** The last `count` lines of a text file (reads at most its last 64 KiB); [] when it does not exist. */
export function lastLines(file: string, count: number): string[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n');
    if (length < size) lines.shift(); // first line is probably cut
    return lines
      .map((l) => l.trimEnd())
      .filter((l) => l !== '')
      .slice(-count);
  } finally {
    fs.closeSync(fd);
  }
}

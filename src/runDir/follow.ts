// Incremental reading of a JSONL file another process is appending to: each read() returns only the records
// completed since the previous one. Bytes after the last '\n' (a line still being written, or torn by a kill)
// stay pending, as bytes, so a multi-byte character split across two reads is decoded whole. A file that was
// replaced (new inode, e.g. a resume dropping records past its checkpoint) or shrank is read again from the start
// and the caller is told to drop what it had.
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

export class JsonlFollower<T> {
  private offset = 0;
  private inode = -1;
  private pending: Buffer = Buffer.alloc(0);
  private nextLine = 1;

  constructor(
    readonly file: string,
    private readonly schema: z.ZodType<T>,
  ) {}

  read(): FollowResult<T> {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        const reset = this.offset > 0;
        if (reset) this.restart(-1);
        return { records: [], problems: [], reset };
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
      if (stat.size === this.offset) return { records: [], problems: [], reset };
      const fresh = Buffer.alloc(stat.size - this.offset);
      let got = 0;
      while (got < fresh.length) {
        const n = fs.readSync(fd, fresh, got, fresh.length - got, this.offset + got);
        if (n === 0) break;
        got += n;
      }
      this.offset += got;
      const data =
        this.pending.length > 0
          ? Buffer.concat([this.pending, fresh.subarray(0, got)])
          : fresh.subarray(0, got);
      const end = data.lastIndexOf(NEWLINE) + 1;
      // Copy: the pending tail must not keep the whole read buffer alive.
      this.pending = Buffer.from(data.subarray(end));
      if (end === 0) return { records: [], problems: [], reset };
      const chunk = parseJsonl(data.subarray(0, end).toString('utf8'), this.schema, {
        file: this.file,
        firstLine: this.nextLine,
      });
      this.nextLine += chunk.lineCount;
      return { records: chunk.records, problems: chunk.problems, reset };
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Bytes of a last line not yet terminated (still being written, or torn). */
  get pendingBytes(): number {
    return this.pending.length;
  }

  private restart(inode: number): void {
    this.offset = 0;
    this.inode = inode;
    this.pending = Buffer.alloc(0);
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

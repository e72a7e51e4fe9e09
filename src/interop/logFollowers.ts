// Incremental readers of foreign logs on disk: each `poll()` returns only the points written since the last one,
// so a host can follow a live run without re-reading it. A record or line still being written is left for later.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImportSource } from '../protocol/importedRun';
import type { ScalarPoint } from './scalars';
import { InteropError } from './scalars';
import { isEventFileName, readEventScalars } from './tensorboardEvents';
import { parseTrainerState } from './trlState';
import { readVerlLines } from './verlJsonl';

export interface ForeignLogFollower {
  readonly source: ImportSource;
  /** The folder (TensorBoard) or file (TRL, verl) being followed. */
  readonly path: string;
  /** New points since the last poll. Throws an InteropError (file and offset or line) on corrupt input. */
  poll(): ScalarPoint[];
}

/** The bytes of `file` from `start` to its current end (empty when it has not grown or is gone). */
function readFrom(file: string, start: number): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Uint8Array(0);
    throw new InteropError(`${file}: cannot read: ${(err as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const bytes = new Uint8Array(Math.max(0, size - start));
    let done = 0;
    while (done < bytes.length) {
      const n = fs.readSync(fd, bytes, done, bytes.length - done, start + done);
      if (n === 0) break;
      done += n;
    }
    return bytes.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}

/** Every event file of one TensorBoard run folder (a resumed run adds files), each followed from its offset. */
export class TensorBoardFollower implements ForeignLogFollower {
  readonly source = 'tensorboard';
  private readonly offsets = new Map<string, number>();

  constructor(readonly path: string) {}

  poll(): ScalarPoint[] {
    const names = fs.readdirSync(this.path).filter(isEventFileName).sort();
    const points: ScalarPoint[] = [];
    for (const name of names) {
      const file = path.join(this.path, name);
      const start = this.offsets.get(file) ?? 0;
      const chunk = readEventScalars(readFrom(file, start), start, file);
      this.offsets.set(file, start + chunk.consumed);
      points.push(...chunk.points);
    }
    return points;
  }
}

/** verl's file-logger JSONL, followed by byte offset. */
export class VerlFollower implements ForeignLogFollower {
  readonly source = 'verl';
  private offset = 0;
  private nextLine = 1;

  constructor(readonly path: string) {}

  poll(): ScalarPoint[] {
    const chunk = readVerlLines(readFrom(this.path, this.offset), this.path, this.nextLine);
    const problem = chunk.problems[0];
    if (problem !== undefined) throw new InteropError(`${problem.file}:${problem.line}: ${problem.message}`);
    this.offset += chunk.consumed;
    this.nextLine += chunk.lines;
    return chunk.points;
  }
}

/**
 * TRL's trainer_state.json, rewritten whole at each save: re-read when it changes, new log entries returned. A live
 * TRL run saves it only into each new `checkpoint-N/`, so `locate` finds the newest one on every poll.
 */
export class TrlFollower implements ForeignLogFollower {
  readonly source = 'trl';
  private entries = 0;
  private stamp = '';

  constructor(
    readonly path: string,
    private readonly locate: () => string | undefined = () => path,
  ) {}

  poll(): ScalarPoint[] {
    const file = this.locate();
    const stat = file === undefined ? undefined : fs.statSync(file, { throwIfNoEntry: false });
    if (file === undefined || stat === undefined) return [];
    const stamp = `${file}:${stat.size}:${stat.mtimeMs}`;
    if (stamp === this.stamp) return [];
    const read = parseTrainerState(fs.readFileSync(file, 'utf8'), file, this.entries);
    this.stamp = stamp;
    this.entries = read.entries;
    return read.points;
  }
}

// The writing side of a run directory, as the trainer uses it: appended records, the log, run.json, checkpoints.
import * as fs from 'node:fs';
import { z } from 'zod';
import type { AuditRecord } from '../protocol/audit';
import type { EvalRecord, GroupsRecord, MetricsRecord, RunInfo, SamplesRecord } from '../protocol/runDir';
import { writeAtomic } from './atomic';
import { writeCheckpoint, type CheckpointData, type CheckpointMetaDraft } from './checkpoints';
import { JsonlAppender, readJsonlFile } from './jsonl';
import { checkpointsDir, RECORD_STREAMS, runFile, type RecordStream } from './layout';
import { readRunInfo, writeRunInfo } from './runInfo';

const stepOnly = z.looseObject({ step: z.number(), phase: z.string().optional() });

export class RunWriter {
  private readonly streams = new Map<RecordStream, JsonlAppender>();
  private logFd: number;

  constructor(readonly dir: string) {
    fs.mkdirSync(checkpointsDir(dir), { recursive: true });
    this.logFd = fs.openSync(runFile(dir, 'log'), 'a');
  }

  writeRunInfo(info: RunInfo): void {
    writeRunInfo(this.dir, info);
  }

  readRunInfo(): RunInfo | null {
    return readRunInfo(this.dir);
  }

  private stream(name: RecordStream): JsonlAppender {
    let s = this.streams.get(name);
    if (s === undefined) {
      s = new JsonlAppender(runFile(this.dir, name));
      this.streams.set(name, s);
    }
    return s;
  }

  metrics(r: MetricsRecord): void {
    this.stream('metrics').append(r);
  }
  groups(r: GroupsRecord): void {
    this.stream('groups').append(r);
  }
  samples(r: SamplesRecord): void {
    this.stream('samples').append(r);
  }
  evalRecord(r: EvalRecord): void {
    this.stream('eval').append(r);
  }
  audit(r: AuditRecord): void {
    this.stream('audit').append(r);
  }

  /** Appends `line` to trainer.log with a timestamp. */
  log(line: string): void {
    fs.writeSync(this.logFd, `${new Date().toISOString()} ${line}\n`);
  }

  /**
   * Before resuming from a checkpoint at `step`: drop records past it (a killed run may have written steps the
   * checkpoint does not hold, and a torn last line), so the resumed run appends with no gap and no duplicate.
   * Returns how many were dropped from each stream, for the log.
   */
  truncateAfter(step: number): { dropped: number; byStream: Record<RecordStream, number> } {
    let dropped = 0;
    const byStream = { metrics: 0, groups: 0, samples: 0, eval: 0, audit: 0 };
    for (const name of RECORD_STREAMS) {
      const file = runFile(this.dir, name);
      if (!fs.existsSync(file)) continue;
      this.stream(name).close();
      const read = readJsonlFile(file, stepOnly);
      const keep = read.rawLines.filter((_, i) => {
        const rec = read.records[i]!;
        return rec.step <= step && !(name === 'eval' && rec.phase === 'final');
      });
      const gone = read.records.length - keep.length + read.problems.length + (read.tornTail ? 1 : 0);
      byStream[name] = gone;
      dropped += gone;
      writeAtomic(file, keep.map((l) => l + '\n').join(''));
    }
    return { dropped, byStream };
  }

  writeCheckpoint(data: CheckpointData & { meta: CheckpointMetaDraft }, keep: number): string {
    return writeCheckpoint(this.dir, data, keep);
  }

  close(): void {
    for (const s of this.streams.values()) s.close();
    this.streams.clear();
    fs.closeSync(this.logFd);
  }
}

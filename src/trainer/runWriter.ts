// Writes the run directory (see src/protocol/runDir.ts): appended, flushed JSONL records; run.json and `latest`
// replaced atomically; checkpoints written to a temp folder then renamed, so a kill never leaves a half checkpoint.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { parseJsonl } from '../protocol/jsonl';
import {
  CheckpointMetaSchema,
  RUN_FILES,
  type CheckpointMeta,
  type EvalRecord,
  type GroupsRecord,
  type MetricsRecord,
  type RunInfo,
  RunInfoSchema,
  type SamplesRecord,
} from '../protocol/runDir';

type Stream = 'metrics' | 'groups' | 'samples' | 'eval';

const stepOnly = z.looseObject({ step: z.number(), phase: z.string().optional() });

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export interface CheckpointData {
  readonly meta: CheckpointMeta;
  readonly weights: Float32Array[];
  readonly moments: { m: Float32Array[]; v: Float32Array[] };
}

function concat(parts: readonly Float32Array[]): Buffer {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

function split(buf: Buffer, sizes: readonly number[]): Float32Array[] {
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (all.length !== total) throw new Error(`checkpoint holds ${all.length} values, expected ${total}`);
  const out: Float32Array[] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(all.slice(at, at + n));
    at += n;
  }
  return out;
}

export class RunWriter {
  private readonly fds = new Map<Stream, number>();
  private logFd: number;

  constructor(readonly dir: string) {
    fs.mkdirSync(path.join(dir, RUN_FILES.checkpoints), { recursive: true });
    this.logFd = fs.openSync(path.join(dir, RUN_FILES.log), 'a');
  }

  file(name: keyof typeof RUN_FILES): string {
    return path.join(this.dir, RUN_FILES[name]);
  }

  writeRunInfo(info: RunInfo): void {
    writeAtomic(this.file('run'), JSON.stringify(RunInfoSchema.parse(info), null, 2) + '\n');
  }

  readRunInfo(): RunInfo {
    const text = fs.readFileSync(this.file('run'), 'utf8');
    return RunInfoSchema.parse(JSON.parse(text));
  }

  private fd(stream: Stream): number {
    let fd = this.fds.get(stream);
    if (fd === undefined) {
      fd = fs.openSync(this.file(stream), 'a');
      this.fds.set(stream, fd);
    }
    return fd;
  }

  private append(stream: Stream, record: unknown): void {
    // One write per whole line, then fsync-free flush (the OS has it; a torn last line is tolerated by readers).
    fs.writeSync(this.fd(stream), JSON.stringify(record) + '\n');
  }

  metrics(r: MetricsRecord): void {
    this.append('metrics', r);
  }
  groups(r: GroupsRecord): void {
    this.append('groups', r);
  }
  samples(r: SamplesRecord): void {
    this.append('samples', r);
  }
  evalRecord(r: EvalRecord): void {
    this.append('eval', r);
  }

  log(line: string): void {
    fs.writeSync(this.logFd, `${new Date().toISOString()} ${line}\n`);
  }

  /**
   * Before resuming from a checkpoint at `step`: drop records past it (a killed run may have written steps the
   * checkpoint does not hold, and a torn last line), so the resumed run appends with no gap and no duplicate.
   */
  truncateAfter(step: number): { dropped: number } {
    let dropped = 0;
    for (const stream of ['metrics', 'groups', 'samples', 'eval'] as const) {
      const file = this.file(stream);
      if (!fs.existsSync(file)) continue;
      const text = fs.readFileSync(file, 'utf8');
      const lines = text.split('\n');
      const keep: string[] = [];
      lines.forEach((line, i) => {
        if (line.trim() === '') return;
        const torn = i === lines.length - 1;
        const parsed = parseJsonl(line + '\n', stepOnly, { file, firstLine: i + 1 });
        const rec = parsed.records[0];
        if (torn || rec === undefined || rec.step > step || (stream === 'eval' && rec.phase === 'final')) {
          dropped++;
          return;
        }
        keep.push(line);
      });
      writeAtomic(file, keep.map((l) => l + '\n').join(''));
    }
    return { dropped };
  }

  writeCheckpoint(data: CheckpointData, keep: number): string {
    const root = this.file('checkpoints');
    const name = `step-${data.meta.step}`;
    const tmp = path.join(root, `.tmp-${name}-${process.pid}`);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(tmp, 'weights.bin'), concat(data.weights));
    fs.writeFileSync(path.join(tmp, 'optimizer.bin'), concat([...data.moments.m, ...data.moments.v]));
    fs.writeFileSync(
      path.join(tmp, 'meta.json'),
      JSON.stringify(CheckpointMetaSchema.parse(data.meta)) + '\n',
    );
    const final = path.join(root, name);
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(tmp, final);
    writeAtomic(path.join(root, RUN_FILES.latest), name + '\n');
    this.prune(keep, name);
    return final;
  }

  /** Keeps the base (step-0), the newest `keep` checkpoints and `current`. */
  private prune(keep: number, current: string): void {
    const root = this.file('checkpoints');
    const steps = fs
      .readdirSync(root)
      .filter((n) => /^step-\d+$/.test(n))
      .map((n) => Number(n.slice(5)))
      .sort((a, b) => b - a);
    for (const s of steps.slice(keep)) {
      if (s !== 0 && `step-${s}` !== current)
        fs.rmSync(path.join(root, `step-${s}`), { recursive: true, force: true });
    }
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
    fs.closeSync(this.logFd);
  }
}

/** The newest complete checkpoint of a run directory, or null. */
export function latestCheckpoint(dir: string): string | null {
  const root = path.join(dir, RUN_FILES.checkpoints);
  const pointer = path.join(root, RUN_FILES.latest);
  if (!fs.existsSync(pointer)) return null;
  const name = fs.readFileSync(pointer, 'utf8').trim();
  const full = path.join(root, name);
  return fs.existsSync(path.join(full, 'meta.json')) ? full : null;
}

export function readCheckpoint(dir: string, weightSizes: readonly number[]): CheckpointData {
  const meta = CheckpointMetaSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')));
  const weights = split(fs.readFileSync(path.join(dir, 'weights.bin')), weightSizes);
  const moments = split(fs.readFileSync(path.join(dir, 'optimizer.bin')), [...weightSizes, ...weightSizes]);
  return {
    meta,
    weights,
    moments: { m: moments.slice(0, weightSizes.length), v: moments.slice(weightSizes.length) },
  };
}

export function readCheckpointMeta(dir: string): CheckpointMeta {
  return CheckpointMetaSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')));
}

// Checkpoints: written into `checkpoints/.tmp-step-N-PID` and renamed into place, so a kill never leaves a half
// checkpoint under a real name; each records the byte size and SHA-256 of its weight files in meta.json, so a
// checkpoint damaged later (a truncated copy, a full disk) is recognised and passed over for an older valid one.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointMetaSchema, type CheckpointMeta } from '../protocol/runDir';
import { TEMP_MARK, writeAtomic } from './atomic';
import { RunDirError } from './errors';
import { faultPoint } from './faults';
import { CHECKPOINT_FILES, checkpointName, checkpointsDir, checkpointStep, RUN_FILES } from './layout';

export interface CheckpointData {
  readonly meta: CheckpointMeta;
  readonly weights: Float32Array[];
  readonly moments: { m: Float32Array[]; v: Float32Array[] };
}

/** Without its `files` (sizes and checksums), which writeCheckpoint fills in. */
export type CheckpointMetaDraft = Omit<CheckpointMeta, 'files'>;

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

function split(file: string, buf: Buffer, sizes: readonly number[]): Float32Array[] {
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (all.length !== total || buf.byteLength % 4 !== 0)
    throw new RunDirError(`${file}: holds ${buf.byteLength} bytes, the model needs ${total * 4}`);
  const out: Float32Array[] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(all.slice(at, at + n));
    at += n;
  }
  return out;
}

const sha256 = (buf: Uint8Array) => createHash('sha256').update(buf).digest('hex');

/** Writes checkpoint `meta.step`, points `latest` at it and prunes; returns its folder. */
export function writeCheckpoint(
  runDir: string,
  data: CheckpointData & { meta: CheckpointMetaDraft },
  keep: number,
) {
  const root = checkpointsDir(runDir);
  fs.mkdirSync(root, { recursive: true });
  const name = checkpointName(data.meta.step);
  const tmp = path.join(root, `${TEMP_MARK}${name}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const weights = concat(data.weights);
  const optimizer = concat([...data.moments.m, ...data.moments.v]);
  fs.writeFileSync(path.join(tmp, CHECKPOINT_FILES.weights), weights);
  faultPoint('checkpoint-write');
  fs.writeFileSync(path.join(tmp, CHECKPOINT_FILES.optimizer), optimizer);
  const meta: CheckpointMeta = {
    ...data.meta,
    files: {
      weights: { bytes: weights.byteLength, sha256: sha256(weights) },
      optimizer: { bytes: optimizer.byteLength, sha256: sha256(optimizer) },
    },
  };
  fs.writeFileSync(
    path.join(tmp, CHECKPOINT_FILES.meta),
    JSON.stringify(CheckpointMetaSchema.parse(meta)) + '\n',
  );
  const final = path.join(root, name);
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  writeAtomic(path.join(root, RUN_FILES.latest), name + '\n');
  pruneCheckpoints(runDir, keep, data.meta.step);
  return final;
}

export interface CheckpointRef {
  readonly name: string;
  readonly step: number;
  readonly dir: string;
}

/** The run's checkpoint folders (`step-N`), newest step first. */
export function listCheckpoints(runDir: string): CheckpointRef[] {
  const root = checkpointsDir(runDir);
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, step: checkpointStep(name), dir: path.join(root, name) }))
    .filter((c): c is CheckpointRef => c.step !== null)
    .sort((a, b) => b.step - a.step);
}

/**
 * Keeps step-0 (the SFT base every estimator of a study starts from), the newest `keep` checkpoints and `current`;
 * removes the rest.
 */
export function pruneCheckpoints(runDir: string, keep: number, current: number): void {
  for (const c of listCheckpoints(runDir).slice(keep)) {
    if (c.step !== 0 && c.step !== current) fs.rmSync(c.dir, { recursive: true, force: true });
  }
}

export function readCheckpointMeta(dir: string): CheckpointMeta {
  const file = path.join(dir, CHECKPOINT_FILES.meta);
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RunDirError(
      `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (err as Error).message}`,
    );
  }
  const parsed = CheckpointMetaSchema.safeParse(value);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new RunDirError(`${file}: ${i.path.join('.') || '(record)'}: ${i.message}`);
  }
  return parsed.data;
}

function fileProblem(file: string, expected: number, sum: string | undefined): string | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return `${file}: missing`;
  }
  if (buf.byteLength !== expected) return `${file}: ${buf.byteLength} bytes, its shapes need ${expected}`;
  if (sum !== undefined && sha256(buf) !== sum) return `${file}: checksum differs from meta.json`;
  return null;
}

/** Why the checkpoint in `dir` cannot be used (meta, sizes against shapes, checksums), or null when it can. */
export function checkpointProblem(dir: string): string | null {
  let meta: CheckpointMeta;
  try {
    meta = readCheckpointMeta(dir);
  } catch (err) {
    return (err as Error).message;
  }
  const values = meta.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  return (
    fileProblem(path.join(dir, CHECKPOINT_FILES.weights), values * 4, meta.files?.weights.sha256) ??
    fileProblem(path.join(dir, CHECKPOINT_FILES.optimizer), values * 8, meta.files?.optimizer.sha256)
  );
}

export interface CheckpointChoice {
  /** The newest valid checkpoint, or null when there is none. */
  readonly chosen: (CheckpointRef & { readonly meta: CheckpointMeta }) | null;
  /** Checkpoints passed over, newest first, each with why. */
  readonly rejected: readonly { readonly name: string; readonly why: string }[];
  /** One line: which was chosen and why. */
  readonly reason: string;
}

function latestPointer(runDir: string): string | null {
  try {
    return fs.readFileSync(path.join(checkpointsDir(runDir), RUN_FILES.latest), 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * The newest valid checkpoint. `latest` is a hint only: a checkpoint folder is found by listing, so a pointer that
 * names a folder that is gone, or a path outside the run, cannot lead anywhere else.
 */
export function selectCheckpoint(runDir: string): CheckpointChoice {
  const pointer = latestPointer(runDir);
  const rejected: { name: string; why: string }[] = [];
  if (pointer !== null && checkpointStep(pointer) === null)
    rejected.push({ name: `${RUN_FILES.latest} → ${pointer}`, why: 'not a checkpoint folder of this run' });
  for (const c of listCheckpoints(runDir)) {
    const why = checkpointProblem(c.dir);
    if (why !== null) {
      rejected.push({ name: c.name, why });
      continue;
    }
    const newest = rejected.length === 0 ? 'the newest checkpoint' : 'the newest valid checkpoint';
    const pointed = pointer === c.name ? `, named by ${RUN_FILES.latest}` : '';
    const passed =
      rejected.length > 0 ? `; passed over ${rejected.map((r) => `${r.name} (${r.why})`).join(', ')}` : '';
    return {
      chosen: { ...c, meta: readCheckpointMeta(c.dir) },
      rejected,
      reason: `${c.name}: ${newest}${pointed}${passed}`,
    };
  }
  const reason =
    rejected.length === 0
      ? 'no checkpoint yet'
      : `no valid checkpoint: ${rejected.map((r) => `${r.name} (${r.why})`).join(', ')}`;
  return { chosen: null, rejected, reason };
}

/** The newest valid checkpoint folder of a run, or null. */
export function latestCheckpoint(runDir: string): string | null {
  return selectCheckpoint(runDir).chosen?.dir ?? null;
}

/** A checkpoint's weights and optimizer moments for a model whose parameters have `weightSizes` values. */
export function readCheckpoint(dir: string, weightSizes: readonly number[]): CheckpointData {
  const meta = readCheckpointMeta(dir);
  const file = (name: keyof typeof CHECKPOINT_FILES) => path.join(dir, CHECKPOINT_FILES[name]);
  const read = (name: keyof typeof CHECKPOINT_FILES) => {
    try {
      return fs.readFileSync(file(name));
    } catch {
      throw new RunDirError(`${file(name)}: missing`);
    }
  };
  const weights = split(file('weights'), read('weights'), weightSizes);
  const moments = split(file('optimizer'), read('optimizer'), [...weightSizes, ...weightSizes]);
  return {
    meta,
    weights,
    moments: { m: moments.slice(0, weightSizes.length), v: moments.slice(weightSizes.length) },
  };
}

/**
 * Removes what a killed writer left: temp checkpoint folders (`checkpoints/.tmp-step-N-PID`) and temp files
 * (`run.json.tmp-PID`, ...). Only the lock holder may call this (another writer's temp files are live). Returns
 * what it removed.
 */
export function cleanLeftovers(runDir: string): string[] {
  const removed: string[] = [];
  for (const folder of [runDir, checkpointsDir(runDir)]) {
    let names: string[];
    try {
      names = fs.readdirSync(folder);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => n.includes(TEMP_MARK))) {
      fs.rmSync(path.join(folder, name), { recursive: true, force: true });
      removed.push(path.join(folder, name));
    }
  }
  return removed;
}

/**
 * Starts `toRunDir` from checkpoint `step` of `fromRunDir` (a copy, pointed to by `latest`): how a study's cells
 * all continue from their base's very same SFT checkpoint.
 */
export function copyCheckpoint(fromRunDir: string, toRunDir: string, step: number): void {
  const from = path.join(checkpointsDir(fromRunDir), checkpointName(step));
  const problem = checkpointProblem(from);
  if (problem !== null)
    throw new RunDirError(`${fromRunDir}: no usable ${checkpointName(step)} checkpoint: ${problem}`);
  const root = checkpointsDir(toRunDir);
  fs.mkdirSync(root, { recursive: true });
  fs.cpSync(from, path.join(root, checkpointName(step)), { recursive: true });
  writeAtomic(path.join(root, RUN_FILES.latest), checkpointName(step) + '\n');
}

// Where each file of a run directory lives. The records' schemas are in src/protocol/runDir.ts; only src/runDir/
// opens these files (test/unit/runDirOwnership.test.ts holds the rest of src/ to that).
//
//   run.json        RunInfo, replaced atomically (temp file + rename) on every status change
//   run.lock        RunLock of the one process writing the run (see lock.ts)
//   metrics.jsonl   MetricsRecord, one per RL optimizer step
//   groups.jsonl    GroupsRecord, one per RL step: p̂ of every prompt group per rule
//   samples.jsonl   SamplesRecord, every `sampleEvery` steps: one per prompt group
//   eval.jsonl      EvalRecord, one per held-out evaluation
//   audit.jsonl     AuditRecord (src/protocol/audit.ts), one per RL step; optional (older runs and engines lack it)
//   checkpoints/    step-N/ (meta.json, weights.bin, optimizer.bin) and `latest` (a text file naming the folder)
//   trainer.log     free text
import * as fs from 'node:fs';
import * as path from 'node:path';

export const RUN_FILES = {
  run: 'run.json',
  lock: 'run.lock',
  metrics: 'metrics.jsonl',
  groups: 'groups.jsonl',
  samples: 'samples.jsonl',
  eval: 'eval.jsonl',
  audit: 'audit.jsonl',
  checkpoints: 'checkpoints',
  latest: 'latest',
  log: 'trainer.log',
} as const;

export type RunFileName = keyof typeof RUN_FILES;

/** The JSONL record streams, by their RUN_FILES key. */
export const RECORD_STREAMS = ['metrics', 'groups', 'samples', 'eval', 'audit'] as const;
export type RecordStream = (typeof RECORD_STREAMS)[number];

export const CHECKPOINT_FILES = {
  meta: 'meta.json',
  weights: 'weights.bin',
  optimizer: 'optimizer.bin',
} as const;

export function runFile(dir: string, name: RunFileName): string {
  return path.join(dir, RUN_FILES[name]);
}

export function checkpointsDir(dir: string): string {
  return runFile(dir, 'checkpoints');
}

export function checkpointName(step: number): string {
  return `step-${step}`;
}

/** The step of a checkpoint folder name, or null when the name is not `step-N`. */
export function checkpointStep(name: string): number | null {
  const m = /^step-(\d+)$/.exec(name);
  return m === null ? null : Number(m[1]);
}

/** Whether `dir` holds a run (a run.json). */
export function isRunDir(dir: string): boolean {
  try {
    return fs.statSync(runFile(dir, 'run')).isFile();
  } catch {
    return false;
  }
}

/** Run directories directly inside `folder` (those holding a run.json), oldest first by name. */
export function listRunDirs(folder: string): string[] {
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  return names
    .filter((d) => d.isDirectory() && isRunDir(path.join(folder, d.name)))
    .map((d) => path.join(folder, d.name))
    .sort();
}

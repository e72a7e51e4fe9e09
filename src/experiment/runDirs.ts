// Run directories of the experiment: a base is a run with 0 RL steps (its step-0 checkpoint is the SFT base); a cell
// is a run directory that starts as a copy of its base's step-0 checkpoint and base evaluation, which the trainer
// then continues (`bnpo train --resume`), so every estimator of a (task, seed) starts from the very same weights,
// optimizer state and random stream, and the result is a normal run directory that any run viewer reads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJsonl } from '../protocol/jsonl';
import type { RunConfig } from '../protocol/runConfig';
import {
  EvalRecordSchema,
  MetricsRecordSchema,
  RUN_DIR_VERSION,
  RUN_FILES,
  RunInfoSchema,
  type EvalRecord,
  type MetricsRecord,
  type RunInfo,
} from '../protocol/runDir';

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** run.json of `dir`, or null when there is none; a run.json that does not parse is an error naming the file. */
export function readRunInfo(dir: string): RunInfo | null {
  const file = path.join(dir, RUN_FILES.run);
  if (!fs.existsSync(file)) return null;
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = RunInfoSchema.safeParse(value);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${file}: ${i.path.join('.') || '(record)'}: ${i.message}`);
  }
  return parsed.data;
}

function writeRunInfo(dir: string, info: RunInfo): void {
  fs.mkdirSync(path.join(dir, RUN_FILES.checkpoints), { recursive: true });
  writeAtomic(path.join(dir, RUN_FILES.run), JSON.stringify(RunInfoSchema.parse(info), null, 2) + '\n');
}

function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/** The first field where two resolved run configurations differ, or null when they are the same. */
export function configDifference(a: RunConfig, b: RunConfig): string | null {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const k of keys) {
    const x = stable((a as Record<string, unknown>)[k]);
    const y = stable((b as Record<string, unknown>)[k]);
    if (x !== y) return `${k}: ${x ?? 'absent'} here, ${y ?? 'absent'} planned`;
  }
  return null;
}

function freshInfo(id: string, config: RunConfig, patch: Partial<RunInfo>): RunInfo {
  const now = new Date().toISOString();
  return {
    v: RUN_DIR_VERSION,
    id,
    status: 'stopped',
    phase: 'setup',
    config,
    configFile: null,
    rules: [],
    rulesFile: '',
    backend: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    pid: null,
    step: 0,
    totalSteps: config.steps,
    baseAccuracy: null,
    finalAccuracy: null,
    error: null,
    ...patch,
  };
}

/** A run directory that has not started: `bnpo train --resume` on it runs the warm start from scratch. */
export function createPendingRun(dir: string, config: RunConfig): void {
  writeRunInfo(dir, freshInfo(path.basename(dir), config, {}));
}

/**
 * A cell forked from a completed base: the base's step-0 checkpoint (weights, fresh RL optimizer state, random
 * stream after the warm start) and its base evaluation, under the cell's own configuration.
 */
export function forkFromBase(baseDir: string, cellDir: string, config: RunConfig): void {
  const base = readRunInfo(baseDir);
  if (base === null || base.status !== 'completed')
    throw new Error(`${baseDir}: the base run has not completed`);
  const from = path.join(baseDir, RUN_FILES.checkpoints, 'step-0');
  if (!fs.existsSync(path.join(from, 'meta.json')))
    throw new Error(`${from}: the base has no step-0 checkpoint`);
  const baseEval = readEval(baseDir).records.filter((r) => r.phase === 'base');
  if (baseEval.length === 0) throw new Error(`${baseDir}: no base evaluation in ${RUN_FILES.eval}`);
  fs.rmSync(cellDir, { recursive: true, force: true });
  const checkpoints = path.join(cellDir, RUN_FILES.checkpoints);
  fs.mkdirSync(checkpoints, { recursive: true });
  fs.cpSync(from, path.join(checkpoints, 'step-0'), { recursive: true });
  writeAtomic(path.join(checkpoints, RUN_FILES.latest), 'step-0\n');
  writeAtomic(path.join(cellDir, RUN_FILES.eval), baseEval.map((r) => JSON.stringify(r) + '\n').join(''));
  fs.writeFileSync(
    path.join(cellDir, RUN_FILES.log),
    `${new Date().toISOString()} forked from the SFT base ${baseDir} (its step-0 checkpoint and base evaluation)\n`,
  );
  writeRunInfo(
    cellDir,
    freshInfo(path.basename(cellDir), config, {
      phase: 'rl',
      rules: base.rules,
      rulesFile: base.rulesFile,
      backend: base.backend,
      baseAccuracy: base.baseAccuracy,
    }),
  );
}

export function readEval(dir: string): { records: EvalRecord[]; problems: string[] } {
  const file = path.join(dir, RUN_FILES.eval);
  if (!fs.existsSync(file)) return { records: [], problems: [] };
  const chunk = parseJsonl(fs.readFileSync(file, 'utf8'), EvalRecordSchema, { file });
  return { records: chunk.records, problems: chunk.problems.map((p) => `${p.file}:${p.line}: ${p.message}`) };
}

export function readMetrics(dir: string): { records: MetricsRecord[]; problems: string[] } {
  const file = path.join(dir, RUN_FILES.metrics);
  if (!fs.existsSync(file)) return { records: [], problems: [] };
  const chunk = parseJsonl(fs.readFileSync(file, 'utf8'), MetricsRecordSchema, { file });
  return { records: chunk.records, problems: chunk.problems.map((p) => `${p.file}:${p.line}: ${p.message}`) };
}

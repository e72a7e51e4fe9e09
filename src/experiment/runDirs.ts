// Run directories of the experiment: a base is a run with 0 RL steps (its step-0 checkpoint is the SFT base); a cell
// is a run directory that starts as a copy of its base's step-0 checkpoint and base evaluation, which the trainer
// then continues (`bnpo train --resume`), so every estimator of a (task, seed) starts from the very same weights,
// optimizer state and random stream, and the result is a normal run directory that any run viewer reads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunConfig } from '../protocol/runConfig';
import {
  EvalRecordSchema,
  MetricsRecordSchema,
  RUN_DIR_VERSION,
  type EvalRecord,
  type MetricsRecord,
  type RunInfo,
} from '../protocol/runDir';
import { copyCheckpoint } from '../runDir/checkpoints';
import { readJsonlFile, writeJsonlFile } from '../runDir/jsonl';
import { checkpointsDir, runFile } from '../runDir/layout';
import { readRunInfo, writeRunInfo } from '../runDir/runInfo';
import { RunWriter } from '../runDir/writer';

export { readRunInfo } from '../runDir/runInfo';

function writeNewRunInfo(dir: string, info: RunInfo): void {
  fs.mkdirSync(checkpointsDir(dir), { recursive: true });
  writeRunInfo(dir, info);
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
  writeNewRunInfo(dir, freshInfo(path.basename(dir), config, {}));
}

/**
 * A cell forked from a completed base: the base's step-0 checkpoint (weights, fresh RL optimizer state, random
 * stream after the warm start) and its base evaluation, under the cell's own configuration.
 */
export function forkFromBase(baseDir: string, cellDir: string, config: RunConfig): void {
  const base = readRunInfo(baseDir);
  if (base === null || base.status !== 'completed')
    throw new Error(`${baseDir}: the base run has not completed`);
  const baseEval = readEval(baseDir).records.filter((r) => r.phase === 'base');
  if (baseEval.length === 0) throw new Error(`${runFile(baseDir, 'eval')}: no base evaluation`);
  fs.rmSync(cellDir, { recursive: true, force: true });
  copyCheckpoint(baseDir, cellDir, 0);
  writeJsonlFile(runFile(cellDir, 'eval'), baseEval);
  const log = new RunWriter(cellDir);
  log.log(`forked from the SFT base ${baseDir} (its step-0 checkpoint and base evaluation)`);
  log.close();
  writeNewRunInfo(
    cellDir,
    freshInfo(path.basename(cellDir), config, {
      phase: 'rl',
      rules: base.rules,
      rulesFile: base.rulesFile,
      backend: base.backend,
      baseAccuracy: base.baseAccuracy,
      ...(base.inputs !== undefined ? { inputs: base.inputs } : {}),
    }),
  );
}

export function readEval(dir: string): { records: EvalRecord[]; problems: string[] } {
  return readJsonlFile(runFile(dir, 'eval'), EvalRecordSchema);
}

export function readMetrics(dir: string): { records: MetricsRecord[]; problems: string[] } {
  return readJsonlFile(runFile(dir, 'metrics'), MetricsRecordSchema);
}

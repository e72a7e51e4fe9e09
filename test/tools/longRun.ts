// A long run's folder for the dashboard's tests and benchmark: a completed run of `steps` steps with noisy,
// trending metrics (two rules, a held-out evaluation every `evalEvery` steps), the same on every call.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EvalRecord, MetricsRecord, RunInfo } from '../../src/protocol/runDir';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { RUN_FILES } from '../../src/runDir/layout';

export const LONG_RUN_RULES = ['correct', 'well_formed'];
const START = Date.UTC(2026, 0, 1);

/**
 * The metrics records of the run: reward rising from 0.1 to 0.8 (+ `lift`) with noise from `seed`, a loss around 0
 * (so ≤ 0 half the time).
 */
export function longRunMetrics(steps: number, seed = 1, lift = 0): MetricsRecord[] {
  let state = seed;
  const noise = (): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  };
  const out: MetricsRecord[] = [];
  for (let step = 1; step <= steps; step++) {
    const t = step / steps;
    const correct = Math.min(1, Math.max(0, 0.1 + (0.7 + lift) * t + 0.1 * noise()));
    out.push({
      v: 1,
      step,
      time: new Date(START + step * 900).toISOString(),
      wall: step * 0.9,
      estimator: 'bnpo',
      rewards: { correct, well_formed: Math.min(1, 0.5 + 0.5 * t + 0.05 * noise()) },
      reward: correct,
      accuracy: correct,
      loss: 0.05 * noise(),
      clipFraction: Math.abs(0.02 * noise()),
      gradNorm: 0.5 + 0.2 * noise(),
      entropy: 2 - t + 0.1 * noise(),
      completionLength: 6 + noise(),
      zeroVarianceShare: Math.abs(0.3 - 0.2 * t + 0.05 * noise()),
      beta: { correct: { a: 1, b: 2, alpha: 1.33, beta: 1.67, guard: null } },
      tokensPerSecond: 1000,
      skipped: false,
      skippedSteps: 0,
      lr: 5e-4,
      timings: { sampling: 1, scoring: 1, advantage: 1, update: 1 },
    });
  }
  return out;
}

/** Held-out evaluations at step 0 (the SFT base) and every `every` steps. */
export function longRunEvals(steps: number, every: number): EvalRecord[] {
  const out: EvalRecord[] = [];
  for (let step = 0; step <= steps; step += every) {
    const accuracy = 0.2 + (0.6 * step) / steps;
    out.push({
      v: 1,
      step,
      time: new Date(START + step * 900).toISOString(),
      phase: step === 0 ? 'base' : 'rl',
      temperature: 0,
      size: 100,
      accuracy,
      rewards: { correct: accuracy, well_formed: 1 },
      examples: [],
    });
  }
  return out;
}

/** The run folder's files by name: run.json, metrics.jsonl, eval.jsonl. */
export function longRunFiles(
  id: string,
  steps: number,
  evalEvery = 500,
  seed = 1,
  lift = 0,
): Record<string, string> {
  const now = new Date(START).toISOString();
  const info: RunInfo = {
    v: 1,
    id,
    status: 'completed',
    phase: 'done',
    config: RunConfigSchema.parse({ name: id, steps }),
    configFile: null,
    rules: LONG_RUN_RULES,
    rulesFile: 'builtin',
    backend: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: now,
    pid: null,
    step: steps,
    totalSteps: steps,
    baseAccuracy: null,
    finalAccuracy: null,
    error: null,
  };
  const lines = (records: readonly object[]): string =>
    records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  return {
    [RUN_FILES.run]: JSON.stringify(info),
    [RUN_FILES.metrics]: lines(longRunMetrics(steps, seed, lift)),
    [RUN_FILES.eval]: lines(longRunEvals(steps, evalEvery)),
  };
}

/** Writes the run under `runsFolder`; returns its folder. */
export function writeLongRun(runsFolder: string, id: string, steps: number, evalEvery = 500): string {
  const dir = path.join(runsFolder, id);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(longRunFiles(id, steps, evalEvery)))
    fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

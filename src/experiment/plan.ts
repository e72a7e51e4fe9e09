// From an experiment configuration to the grid: which bases (one SFT warm start per task and seed), which cells
// (task × estimator × seed, each forked from its base) and which gradient-variance probes, with stable folder names
// so that a rerun finds what an earlier one finished.
import * as os from 'node:os';
import * as path from 'node:path';
import type { EstimatorName } from '../core/estimators';
import {
  EXPERIMENT_FILES,
  ExperimentConfigSchema,
  GRID_OWNED_FIELDS,
  type ExperimentConfig,
  type ExperimentTask,
} from '../protocol/experiment';
import { RunConfigSchema, formatConfigIssues, type RunConfig } from '../protocol/runConfig';

/** Bad experiment configuration; one `where: problem` per line. */
export class ExperimentConfigError extends Error {
  override readonly name = 'ExperimentConfigError';
}

export interface PlannedBase {
  readonly task: string;
  readonly seed: number;
  readonly run: string;
  readonly config: RunConfig;
}

export interface PlannedCell {
  readonly task: string;
  readonly estimator: EstimatorName;
  readonly seed: number;
  readonly run: string;
  readonly base: string;
  readonly config: RunConfig;
}

export interface PlannedProbe {
  readonly id: string;
  readonly task: string;
  readonly seed: number;
  readonly kind: 'base' | 'final';
  /** The run whose checkpoint is probed (a base or a cell). */
  readonly run: string;
  readonly estimator: EstimatorName | null;
}

export interface Plan {
  readonly config: ExperimentConfig;
  readonly bases: PlannedBase[];
  readonly cells: PlannedCell[];
  readonly probes: PlannedProbe[];
  readonly parallel: number;
}

export function taskLabel(t: ExperimentTask): string {
  return t.digits === undefined ? t.task : `${t.task}-d${t.digits}`;
}

/**
 * The `--quick` variant: the same grid machinery on a budget that finishes in a few minutes on two cores: the first
 * task, the first two seeds, BNPO/GRPO/REINFORCE (the three the theory check needs), a small model and a few steps.
 */
export function quickConfig(config: ExperimentConfig): ExperimentConfig {
  const keep = config.estimators.filter((e) => ['bnpo', 'grpo', 'reinforce'].includes(e));
  return {
    ...config,
    name: `${config.name}-quick`,
    tasks: config.tasks.slice(0, 1),
    seeds: config.seeds.slice(0, 2),
    estimators: keep.length > 0 ? keep : config.estimators.slice(0, 1),
    run: {
      ...config.run,
      steps: 6,
      promptsPerStep: 6,
      groupSize: 4,
      model: { dModel: 32, layers: 1, heads: 2, mlpRatio: 2 },
      sft: { maxSteps: 40, targetAccuracy: 0.3, batchSize: 32, evalEvery: 20 },
      eval: { every: 3, size: 60, temperature: 0 },
      checkpointEvery: 3,
      sampleEvery: 3,
    },
    variance: { ...config.variance, batches: 3, prompts: 6 },
  };
}

/** Validates the configuration (already zod-parsed) against the run schema: `run` is checked per cell. */
export function cellConfig(
  config: ExperimentConfig,
  task: ExperimentTask,
  estimator: string,
  seed: number,
): RunConfig {
  const owned = Object.keys(config.run).filter((k) => (GRID_OWNED_FIELDS as readonly string[]).includes(k));
  if (owned.length > 0) {
    throw new ExperimentConfigError(
      owned.map((k) => `run.${k}: set by the grid (use "tasks", "estimators" or "seeds" instead)`).join('\n'),
    );
  }
  const parsed = RunConfigSchema.safeParse({
    ...config.run,
    task: task.task,
    ...(task.digits !== undefined ? { digits: task.digits } : {}),
    estimator,
    seed,
    name: `${config.name}-${taskLabel(task)}`,
  });
  if (!parsed.success) {
    throw new ExperimentConfigError(
      formatConfigIssues(parsed.error)
        .map((l) => `run.${l}`)
        .join('\n'),
    );
  }
  return parsed.data;
}

export function planExperiment(config: ExperimentConfig): Plan {
  const bases: PlannedBase[] = [];
  const cells: PlannedCell[] = [];
  const probes: PlannedProbe[] = [];
  for (const task of config.tasks) {
    const label = taskLabel(task);
    for (const seed of config.seeds) {
      const base = `${label}-s${seed}-base`;
      // The base runs SFT only (0 RL steps); its estimator is irrelevant, the first one is recorded.
      bases.push({
        task: label,
        seed,
        run: base,
        config: { ...cellConfig(config, task, config.estimators[0]!, seed), steps: 0 },
      });
      if (config.variance.checkpoints.includes('base'))
        probes.push({
          id: `${label}-s${seed}-base`,
          task: label,
          seed,
          kind: 'base',
          run: base,
          estimator: null,
        });
      for (const estimator of config.estimators) {
        const run = `${label}-s${seed}-${estimator}`;
        cells.push({
          task: label,
          estimator,
          seed,
          run,
          base,
          config: cellConfig(config, task, estimator, seed),
        });
        if (config.variance.checkpoints.includes('final'))
          probes.push({
            id: `${label}-s${seed}-final-${estimator}`,
            task: label,
            seed,
            kind: 'final',
            run,
            estimator,
          });
      }
    }
  }
  const labels = config.tasks.map(taskLabel);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup !== undefined) throw new ExperimentConfigError(`tasks: ${dup} is listed twice`);
  return {
    config,
    bases,
    cells,
    probes,
    parallel: config.parallel ?? Math.max(1, os.availableParallelism()),
  };
}

/** Parses a configuration value (from a file or {}); problems as `field: message` lines. */
export function parseExperimentConfig(value: unknown): ExperimentConfig {
  const parsed = ExperimentConfigSchema.safeParse(value);
  if (!parsed.success) throw new ExperimentConfigError(formatConfigIssues(parsed.error).join('\n'));
  return parsed.data;
}

export function runsDir(experimentDir: string): string {
  return path.join(experimentDir, EXPERIMENT_FILES.runs);
}

// The side-by-side estimator study (`bnpo experiment`): its configuration file, written by people, and the records
// it writes into the experiment folder, read back by the report writer and by the host's "Open Experiment Report".
//
//   <experiment>/experiment.json        ExperimentInfo: the resolved configuration and the planned grid
//   <experiment>/runs/<id>/             one normal run directory per base (SFT) and per cell (see runDir.ts)
//   <experiment>/variance/<probe>.json  VarianceRecord: one gradient-variance probe at one checkpoint
//   <experiment>/report.json            ExperimentReport: every number the markdown report shows
//   <experiment>/report.md, *.svg       the report and its plots
import { z } from 'zod';
import { ESTIMATOR_NAMES } from '../core/estimators';
import { TASK_NAMES } from './runConfig';

export const EXPERIMENT_VERSION = 1;

export const EXPERIMENT_FILES = {
  info: 'experiment.json',
  runs: 'runs',
  variance: 'variance',
  reportJson: 'report.json',
  reportMd: 'report.md',
} as const;

const version = z.literal(EXPERIMENT_VERSION).describe('Schema version of this record.');

/** Run-configuration fields the grid sets itself, so `run` may not set them. */
export const GRID_OWNED_FIELDS = ['task', 'digits', 'dataset', 'rules', 'estimator', 'seed', 'name'] as const;

export const ExperimentTaskSchema = z
  .strictObject({
    task: z.enum(TASK_NAMES).describe('Built-in verifiable task.'),
    digits: z.number().int().positive().max(6).optional().describe('Operand size (default: the task’s).'),
  })
  .describe('One built-in task of the grid.');
export type ExperimentTask = z.infer<typeof ExperimentTaskSchema>;

export const DEFAULT_ESTIMATORS = ['bnpo', 'grpo', 'reinforce', 'rloo', 'drgrpo'] as const;

/**
 * The default budget of every cell, pinned here rather than inherited from the run defaults so that the study
 * stays the same size (it must fit 90 minutes on two cores) when the single-run defaults change.
 */
export const DEFAULT_EXPERIMENT_RUN: Readonly<Record<string, unknown>> = {
  steps: 60,
  promptsPerStep: 16,
  groupSize: 8,
  lr: 5e-4,
  warmupSteps: 10,
  eval: { every: 10, size: 300, temperature: 0.6 },
  checkpointEvery: 20,
  sampleEvery: 10,
  sft: { maxSteps: 1000, targetAccuracy: 0.3, batchSize: 64, lr: 2e-3, evalEvery: 25 },
};

export const ExperimentConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors.'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-" only (it names a folder)')
      .default('estimators')
      .describe('Experiment name; the default output folder is .bnpo/experiments/<name>.'),
    tasks: z
      .array(ExperimentTaskSchema)
      .min(1)
      .default([
        { task: 'addition', digits: 2 },
        { task: 'sorting', digits: 4 },
      ])
      .describe('Built-in tasks of the grid.'),
    estimators: z
      .array(z.enum(ESTIMATOR_NAMES))
      .min(1)
      .refine((xs) => new Set(xs).size === xs.length, 'an estimator is listed twice')
      .default([...DEFAULT_ESTIMATORS])
      .describe('Advantage estimators compared.'),
    seeds: z
      .array(z.number().int().nonnegative())
      .min(1)
      .refine((xs) => new Set(xs).size === xs.length, 'a seed is listed twice')
      .default([1, 2, 3])
      .describe('Seeds; each (task, seed) gets one SFT base shared by every estimator.'),
    run: z
      .record(z.string(), z.unknown())
      .default(DEFAULT_EXPERIMENT_RUN)
      .describe(
        'Run-configuration fields shared by every cell (steps, lr, promptsPerStep, groupSize, eval, sft, model, backend …); the grid sets task, digits, estimator and seed. When given, it replaces the default budget as a whole and unset fields take the run defaults.',
      ),
    parallel: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Runs at once (child processes). Default: the number of CPU cores.'),
    metrics: z
      .strictObject({
        targetAccuracy: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe('Held-out accuracy that counts as reached. Default: the SFT base + targetGain.'),
        targetGain: z
          .number()
          .min(0)
          .max(1)
          .default(0.1)
          .describe('Without targetAccuracy, the target is the base accuracy plus this.'),
        collapseMargin: z
          .number()
          .min(0)
          .max(1)
          .default(0.05)
          .describe('A run collapses when held-out accuracy falls more than this below the SFT base …'),
        collapseEvals: z
          .number()
          .int()
          .positive()
          .default(2)
          .describe('… and stays there for at least this many evaluations, through the end of the run.'),
      })
      .default({ targetGain: 0.1, collapseMargin: 0.05, collapseEvals: 2 }),
    variance: z
      .strictObject({
        batches: z
          .number()
          .int()
          .min(2)
          .default(8)
          .describe('Independent rollout batches per checkpoint (the covariance needs at least 2).'),
        prompts: z
          .number()
          .int()
          .positive()
          .default(16)
          .describe('Prompts per probe batch (the same prompts in every batch and for every estimator).'),
        checkpoints: z
          .array(z.enum(['base', 'final']))
          .min(1)
          .default(['base', 'final'])
          .describe(
            'Where to probe: the SFT base, and the final checkpoint of every cell (all estimators measured on each).',
          ),
      })
      .default({ batches: 8, prompts: 16, checkpoints: ['base', 'final'] }),
  })
  .describe('A side-by-side study of advantage estimators (bnpo experiment).');
export type ExperimentConfigInput = z.input<typeof ExperimentConfigSchema>;
export type ExperimentConfig = z.output<typeof ExperimentConfigSchema>;

export const CellRefSchema = z.object({
  task: z.string().describe('Task label, e.g. addition-d2.'),
  estimator: z.string(),
  seed: z.number().int(),
  run: z.string().describe('Run directory name under runs/.'),
});
export type CellRef = z.infer<typeof CellRefSchema>;

/** experiment.json: written by `bnpo experiment` when it starts, read by the report writer and the host. */
export const ExperimentInfoSchema = z.object({
  v: version,
  name: z.string(),
  config: ExperimentConfigSchema,
  configFile: z.string().nullable(),
  quick: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  bases: z.array(CellRefSchema.omit({ estimator: true })),
  cells: z.array(CellRefSchema),
  wallSeconds: z.number().nonnegative().describe('Wall time of the invocations that ended so far, summed.'),
  invocations: z
    .array(
      z.object({ started: z.string(), seconds: z.number(), parallel: z.number().int(), host: z.string() }),
    )
    .describe(
      'Each `bnpo experiment` invocation on this folder: when, how long, how many runs at once, where.',
    ),
});
export type ExperimentInfo = z.infer<typeof ExperimentInfoSchema>;

export const EstimatorVarianceSchema = z.object({
  traceCov: z.number().describe('Trace of the covariance of the policy gradient over the probe batches.'),
  meanNormSq: z.number().describe('Squared norm of the mean gradient over the probe batches.'),
  relVar: z.number().nullable().describe('traceCov / meanNormSq (scale-free; null when the mean is 0).'),
  advSecondMoment: z.number().describe('Mean squared advantage per completion, over the probe batches.'),
});
export type EstimatorVariance = z.infer<typeof EstimatorVarianceSchema>;

/** variance/<probe>.json: written by one probe child process, read by the report writer. */
export const VarianceRecordSchema = z.object({
  v: version,
  task: z.string(),
  seed: z.number().int(),
  checkpoint: z.object({
    kind: z.enum(['base', 'final']),
    run: z.string().describe('Run directory whose checkpoint was probed.'),
    estimator: z.string().nullable().describe('Estimator that trained it (null for the SFT base).'),
    step: z.number().int().nonnegative(),
  }),
  batches: z.number().int(),
  prompts: z.number().int(),
  groupSize: z.number().int(),
  parameters: z.number().int().describe('Length of the gradient vector.'),
  rule: z.string().describe('The rule whose Beta fit is reported (the accuracy rule).'),
  fit: z
    .object({ a: z.number(), b: z.number(), alpha: z.number(), beta: z.number(), batches: z.number().int() })
    .nullable()
    .describe('Mean Beta fit of the probe batches (those without a guard); null when every batch hit one.'),
  estimators: z.record(z.string(), EstimatorVarianceSchema),
  seconds: z.number(),
  time: z.string(),
});
export type VarianceRecord = z.infer<typeof VarianceRecordSchema>;

const stat = z.object({ mean: z.number().nullable(), std: z.number().nullable(), n: z.number().int() });
export type Stat = z.infer<typeof stat>;

export const ReportRowSchema = z.object({
  task: z.string(),
  estimator: z.string(),
  seeds: z.number().int().describe('Cells that completed.'),
  planned: z.number().int(),
  baseAccuracy: stat,
  finalAccuracy: stat,
  gain: stat.describe('Final minus base held-out accuracy, per seed.'),
  auc: stat.describe('Area under the held-out accuracy curve, divided by the steps (a mean accuracy).'),
  stepsToTarget: stat.describe('Over the seeds that reached the target.'),
  reached: z.number().int(),
  target: stat.describe('The target accuracy used, per seed.'),
  collapsed: z.number().int(),
  aboveBnpo: z
    .number()
    .int()
    .nullable()
    .describe('Seeds where this estimator ended above BNPO from the same base (null without BNPO cells).'),
  gradVarBase: stat.describe('traceCov at the SFT base, over seeds.'),
  gradVarFinal: stat.describe('traceCov at the final checkpoints (mean over them per seed), over seeds.'),
  relVarBase: stat,
  relVarFinal: stat,
});
export type ReportRow = z.infer<typeof ReportRowSchema>;

export const TheoryRowSchema = z.object({
  task: z.string(),
  source: z.string().describe('Where a, b, α, β came from.'),
  a: z.number(),
  b: z.number(),
  alpha: z.number(),
  beta: z.number(),
  predicted: z.object({ bnpo: z.number(), grpo: z.number(), reinforce: z.number() }),
  measuredAdv: z.object({ bnpo: z.number(), grpo: z.number().nullable(), reinforce: z.number() }).nullable(),
  measuredGrad: z
    .object({
      bnpo: z.number(),
      grpo: z.number().nullable().describe('null: GRPO’s loss aggregation differs from REINFORCE’s.'),
      reinforce: z.number(),
    })
    .nullable(),
});
export type TheoryRow = z.infer<typeof TheoryRowSchema>;

export const PairedRowSchema = z.object({
  task: z.string(),
  kind: z.enum(['base', 'final']),
  estimator: z.string(),
  ratio: z
    .number()
    .describe('Mean over probes of rel. var(estimator) / rel. var(BNPO), on the same batches.'),
  below: z.number().int().describe('Probes where the estimator’s rel. var was below BNPO’s.'),
  probes: z.number().int(),
});
export type PairedRow = z.infer<typeof PairedRowSchema>;

export const CurveSchema = z.object({
  task: z.string(),
  estimator: z.string(),
  steps: z.array(z.number()),
  mean: z.array(z.number()),
  std: z.array(z.number()),
  n: z.array(z.number().int()),
});
export type Curve = z.infer<typeof CurveSchema>;

/** report.json: every number of report.md, written by the report writer. */
export const ExperimentReportSchema = z.object({
  v: version,
  name: z.string(),
  createdAt: z.string(),
  complete: z.boolean().describe('Every planned cell and probe finished.'),
  missing: z.array(z.string()).describe('Cells or probes that did not finish, by name.'),
  rows: z.array(ReportRowSchema),
  theory: z.array(TheoryRowSchema),
  paired: z
    .array(PairedRowSchema)
    .describe('Scale-free gradient variance of each estimator relative to BNPO on the same probe batches.'),
  curves: z.array(CurveSchema),
  plots: z.array(z.string()).describe('SVG files next to report.md.'),
  wallSeconds: z.number().nullable().describe('Sum of the wall time of this invocation and earlier ones.'),
});
export type ExperimentReport = z.infer<typeof ExperimentReportSchema>;

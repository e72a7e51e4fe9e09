// The run directory is the contract between whoever trains (the built-in trainer, or any other engine) and whoever
// watches (the host's run manager, the panels). Every file record is declared here and carries its schema version `v`;
// where each file lives, and all reading and writing of them, is src/runDir/.
import { z } from 'zod';
import { BACKEND_NAMES, RecordedRunConfigSchema } from './runConfig';

export const RUN_DIR_VERSION = 1;

const version = z.literal(RUN_DIR_VERSION).describe('Schema version of this record.');
const finite = () => z.number();
const perRule = () => z.record(z.string(), z.number());

export const RUN_STATUSES = ['running', 'completed', 'failed', 'stopped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const BackendInfoSchema = z.object({
  requested: z.enum(BACKEND_NAMES),
  name: z.enum(['tensorflow', 'webgpu', 'wasm', 'cpu']).describe('The backend that runs this trainer.'),
  detail: z.string().describe('Adapter, SIMD, device: what the backend reported.'),
  skipped: z
    .array(z.object({ name: z.string(), reason: z.string() }))
    .describe('Better backends that were tried first, and why each was not used.'),
});
export type BackendInfo = z.infer<typeof BackendInfoSchema>;

export const PinnedFileSchema = z.object({
  path: z.string().describe('Absolute path, resolved once when the run was created.'),
  sha256: z.string().describe('SHA-256 of the file’s bytes when the run was created (or last accepted).'),
});
export type PinnedFile = z.infer<typeof PinnedFileSchema>;

export const RunInputsSchema = z
  .object({
    rules: PinnedFileSchema,
    dataset: z
      .record(z.string(), PinnedFileSchema)
      .describe('Dataset files by their config key (`train`, `heldOut`); empty for a built-in task.'),
  })
  .describe('What the run trains on. A resume reads exactly these files and refuses if one changed.');
export type RunInputs = z.infer<typeof RunInputsSchema>;

export const ModelInfoSchema = z
  .object({
    path: z
      .string()
      .nullable()
      .describe('The Hugging Face model folder (absolute); null for the built-in model.'),
    architecture: z.string().describe("config.json's model_type (llama, qwen2, qwen3), or `builtin`."),
    parameters: z.number().int().nonnegative().describe('Parameters of the base model.'),
    trainableParameters: z
      .number()
      .int()
      .nonnegative()
      .describe('Parameters the optimizer updates (the LoRA factors, or every weight).'),
    configSha256: z
      .string()
      .nullable()
      .describe('SHA-256 of the folder’s config.json; null for the built-in model.'),
    lora: z
      .object({
        rank: z.number().int().positive(),
        alpha: z.number(),
        dropout: z.number(),
        targetModules: z.array(z.string()),
      })
      .nullable()
      .describe('The LoRA settings; null when every weight is trained.'),
  })
  .describe('Which model the run trains.');
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

export const RunInfoSchema = z.object({
  v: version,
  id: z.string(),
  status: z.enum(RUN_STATUSES),
  phase: z.enum(['setup', 'sft', 'rl', 'done']).describe('What the trainer is doing now.'),
  config: RecordedRunConfigSchema.describe('The resolved configuration, every default filled in.'),
  configFile: z.string().nullable(),
  rules: z.array(z.string()).describe('Reward-rule names, in order.'),
  rulesFile: z.string().describe('Where the rules came from.'),
  backend: BackendInfoSchema.nullable(),
  createdAt: z.string().describe('ISO time the run was created.'),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  pid: z.number().int().nullable(),
  host: z
    .string()
    .optional()
    .describe('Host name of the machine whose process `pid` is; the pid says nothing on another machine.'),
  step: z.number().int().nonnegative().describe('Last completed RL step.'),
  totalSteps: z.number().int().nonnegative(),
  baseAccuracy: z.number().nullable().describe('Held-out accuracy of the SFT base checkpoint.'),
  finalAccuracy: z.number().nullable(),
  error: z.object({ message: z.string(), stack: z.string().optional() }).nullable(),
  inputs: RunInputsSchema.optional(),
  modelInfo: ModelInfoSchema.optional(),
  warnings: z
    .array(z.string())
    .optional()
    .describe(
      'Problems found that let the run go on but likely spoil it (a reward rule nothing passes), one line each.',
    ),
  history: z
    .array(
      z.discriminatedUnion('event', [
        z.object({
          event: z.literal('inputChanged'),
          time: z.string(),
          file: z.string(),
          from: z.string().describe('SHA-256 before.'),
          to: z.string().describe('SHA-256 accepted.'),
        }),
        z.object({
          event: z.literal('extended'),
          time: z.string(),
          from: z.number().int().nonnegative().describe('totalSteps before.'),
          to: z.number().int().nonnegative(),
        }),
        z.object({
          event: z.literal('resumed'),
          time: z.string(),
          step: z.number().int().nonnegative().describe('Checkpoint step the run continued from.'),
          checkpoint: z.string().describe('Which checkpoint, and why it was chosen.'),
          dropped: z
            .number()
            .int()
            .nonnegative()
            .describe('Records written after the checkpoint and dropped.'),
        }),
      ]),
    )
    .optional()
    .describe('What happened to the run after it was created, oldest first.'),
});
export type RunInfo = z.infer<typeof RunInfoSchema>;

export const BetaFitSchema = z.object({
  a: finite().nullable().describe('Method-of-moments Beta(a, b) of the batch p̂; null when a guard fired.'),
  b: finite().nullable(),
  alpha: finite(),
  beta: finite(),
  guard: z.string().nullable().describe('Which guard fired (e.g. zero variance), null when none.'),
});
export type BetaFit = z.infer<typeof BetaFitSchema>;

export const MetricsRecordSchema = z.object({
  v: version,
  step: z.number().int().positive(),
  time: z.string().describe('ISO time the step finished.'),
  wall: finite().describe('Seconds of training (summed over resumes) when the step finished.'),
  estimator: z.string(),
  rewards: perRule().describe('Mean reward of each rule over the step’s completions.'),
  reward: finite().describe('Mean weighted reward.'),
  accuracy: finite().describe('Share of completions whose answer is correct.'),
  loss: finite().nullable().describe('PPO-clip loss (null when the step was skipped).'),
  clipFraction: finite().describe('Share of completion tokens whose ratio was clipped.'),
  gradNorm: finite().nullable().describe('Global gradient norm before clipping (null when not finite).'),
  entropy: finite().describe('Mean per-token entropy of the sampling distribution.'),
  completionLength: finite().describe('Mean completion length in tokens.'),
  zeroVarianceShare: finite().describe(
    'Share of prompt groups whose rewards were all equal (for the first rule).',
  ),
  beta: z.record(z.string(), BetaFitSchema).describe('Per-rule Beta fit of the batch p̂.'),
  tokensPerSecond: finite(),
  skipped: z.boolean().describe('The update was skipped (non-finite gradient).'),
  skippedSteps: z.number().int().nonnegative().describe('Skipped updates so far.'),
  ruleErrors: z
    .record(z.string(), z.number().int().nonnegative())
    .optional()
    .describe(
      'Per rule, completions on which the rule threw this step (each scored 0); absent or empty when none.',
    ),
  lr: finite(),
  timings: z
    .object({ sampling: finite(), scoring: finite(), advantage: finite(), update: finite() })
    .describe('Milliseconds spent in each part of the step.'),
});
export type MetricsRecord = z.infer<typeof MetricsRecordSchema>;

export const GroupsRecordSchema = z.object({
  v: version,
  step: z.number().int().positive(),
  rules: z.array(z.string()),
  groups: z.array(
    z.object({
      id: z.string().describe('Prompt id (stable across steps).'),
      pHat: perRule().describe('Share of the group’s completions that each rule rewarded.'),
    }),
  ),
});
export type GroupsRecord = z.infer<typeof GroupsRecordSchema>;

export const CompletionRecordSchema = z.object({
  text: z.string(),
  tokens: z.number().int().nonnegative(),
  truncated: z
    .boolean()
    .optional()
    .describe('The completion reached the generation cap without an end token (absent: not recorded).'),
  rewards: z.record(z.string(), z.union([z.literal(0), z.literal(1)])),
  reasons: z.record(z.string(), z.string()),
  advantage: finite(),
  correct: z.boolean(),
  flags: z
    .array(z.string())
    .optional()
    .describe(
      'What the run audit flagged in this completion (duplicate, atCap, repetitive, multipleCandidates).',
    ),
});
export type CompletionRecord = z.infer<typeof CompletionRecordSchema>;

export const SamplesRecordSchema = z.object({
  v: version,
  step: z.number().int().positive(),
  promptId: z.string(),
  prompt: z.string(),
  sample: z
    .record(z.string(), z.unknown())
    .describe('The dataset row the rules saw (answer and optional fields).'),
  completions: z.array(CompletionRecordSchema),
});
export type SamplesRecord = z.infer<typeof SamplesRecordSchema>;

export const EvalRecordSchema = z.object({
  v: version,
  step: z.number().int().nonnegative().describe('RL step evaluated (0 = the SFT base).'),
  time: z.string(),
  phase: z.enum(['base', 'rl', 'final']),
  temperature: finite(),
  size: z.number().int().positive(),
  accuracy: finite(),
  rewards: perRule(),
  examples: z
    .array(z.object({ prompt: z.string(), completion: z.string(), answer: z.string(), correct: z.boolean() }))
    .describe('A few held-out completions.'),
});
export type EvalRecord = z.infer<typeof EvalRecordSchema>;

export const CheckpointMetaSchema = z.object({
  v: version,
  step: z
    .number()
    .int()
    .nonnegative()
    .describe('RL steps completed when the checkpoint was written (0 = SFT base).'),
  time: z.string(),
  wall: finite(),
  skippedSteps: z.number().int().nonnegative(),
  rng: z.array(z.number().int()).describe('PRNG state to resume sampling exactly.'),
  vocab: z.array(z.string()).describe('Tokenizer alphabet (index = token id).'),
  optimizerStep: z.number().int().nonnegative(),
  weights: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()) })),
  files: z
    .object({
      weights: z.object({ bytes: z.number().int().nonnegative(), sha256: z.string() }),
      optimizer: z.object({ bytes: z.number().int().nonnegative(), sha256: z.string() }),
    })
    .optional()
    .describe('Size and SHA-256 of weights.bin and optimizer.bin, to recognise a damaged checkpoint.'),
});
export type CheckpointMeta = z.infer<typeof CheckpointMetaSchema>;

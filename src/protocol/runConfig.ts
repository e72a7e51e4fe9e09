// The run-configuration file (`*.bnpo.json`, or `--config FILE` for `bnpo train`). Written by people, read by the
// trainer, and turned into a JSON Schema for editor IntelliSense, so every field carries a description.
import { z } from 'zod';
import { ESTIMATOR_NAMES } from '../core/estimators';

export const RUN_CONFIG_VERSION = 1;

export const TASK_NAMES = ['addition', 'multiplication', 'modular', 'sorting', 'countdown'] as const;
export type TaskName = (typeof TASK_NAMES)[number];
/** The built-in task of a config that names neither a task nor a dataset. */
export const DEFAULT_TASK: TaskName = 'sorting';

export const BACKEND_NAMES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

const positiveInt = () => z.number().int().positive();

export const DatasetSchema = z
  .strictObject({
    train: z
      .string()
      .min(1)
      .describe(
        'JSONL file of training prompts (relative to the config file). Each line: {"prompt": string, "answer": string, ...optional fields the reward rules can read}.',
      ),
    heldOut: z
      .string()
      .min(1)
      .optional()
      .describe('JSONL file of held-out prompts, same format. When absent, a share of `train` is held out.'),
    heldOutFraction: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.1)
      .describe('Share of `train` held out for evaluation when `heldOut` is not given.'),
  })
  .describe('A user dataset instead of a built-in task.');
export type DatasetConfig = z.infer<typeof DatasetSchema>;

/** The linear layers LoRA can adapt (Hugging Face's module names). */
export const LORA_TARGETS = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
] as const;

export const LoraSchema = z
  .strictObject({
    rank: positiveInt().default(8).describe('Rank r of each adapter.'),
    alpha: z.number().positive().default(16).describe('Scale: the update is multiplied by alpha / r.'),
    dropout: z.number().min(0).lt(1).default(0).describe('Dropout on the adapters’ input while training.'),
    targetModules: z
      .array(z.enum(LORA_TARGETS))
      .min(1)
      .default([...LORA_TARGETS])
      .describe('Linear layers that get an adapter (default: every attention and MLP projection).'),
  })
  .describe(
    'LoRA adapters for a Hugging Face model (`path`); the default when neither this nor fullFineTune is given.',
  );
export type LoraConfig = z.infer<typeof LoraSchema>;

export const ModelSchema = z
  .strictObject({
    dModel: positiveInt().default(64).describe('Width of the residual stream.'),
    layers: positiveInt().default(2).describe('Number of transformer blocks.'),
    heads: positiveInt().default(4).describe('Attention heads per block; must divide dModel.'),
    mlpRatio: positiveInt().default(4).describe('Hidden width of each MLP as a multiple of dModel.'),
    tiedOutput: z
      .boolean()
      .default(true)
      .describe('Share the token-embedding matrix with the output projection.'),
    context: positiveInt()
      .max(1024)
      .optional()
      .describe('Longest prompt + completion in tokens. Default: what the task or dataset needs.'),
    architecture: z
      .enum(['gpt', 'llama'])
      .optional()
      .describe(
        'The built-in model’s blocks: `gpt` (learned positions, LayerNorm, ReLU MLP; the default) or `llama` (RoPE, RMSNorm, SwiGLU: made as a Hugging Face folder with a character-level tokenizer.json and trained through the same code as `path`, so its checkpoints export to transformers).',
      ),
    ropeTheta: z
      .number()
      .positive()
      .optional()
      .describe(
        'With architecture `llama`: the RoPE base θ. Default 1,000,000 (runs recorded before this field used 10,000).',
      ),
    intermediateSize: positiveInt()
      .optional()
      .describe(
        'With architecture `llama`: the SwiGLU MLP’s width. Default ⅔ · mlpRatio · dModel, rounded: as many MLP weights as the gpt model’s ReLU MLP (runs recorded before this field used mlpRatio · dModel).',
      ),
    path: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A local Hugging Face model folder to fine-tune instead of the built-in transformer (relative to the config file): config.json (Llama, Qwen2, Qwen3), model.safetensors or its shards, tokenizer.json. dModel, layers, heads, mlpRatio, tiedOutput and context are then ignored (the folder’s config.json says them). See docs/models.md.',
      ),
    lora: LoraSchema.optional(),
    fullFineTune: z
      .boolean()
      .optional()
      .describe('With `path`: train every weight instead of LoRA adapters (default false).'),
    chatTemplate: z
      .boolean()
      .optional()
      .describe(
        "With `path`: send each prompt as the user message of the folder's chat template (default: true when the folder has one).",
      ),
  })
  .refine((m) => m.dModel % m.heads === 0, { message: 'heads must divide dModel', path: ['heads'] })
  .refine((m) => m.path !== undefined || (m.lora === undefined && m.fullFineTune === undefined), {
    message: 'lora and fullFineTune apply to a Hugging Face model: give model.path',
    path: ['path'],
  })
  .refine((m) => m.path === undefined || m.architecture === undefined, {
    message: 'architecture shapes the built-in model; a model folder has its own (config.json)',
    path: ['architecture'],
  })
  .refine(
    (m) => m.architecture === 'llama' || (m.ropeTheta === undefined && m.intermediateSize === undefined),
    {
      message:
        'ropeTheta and intermediateSize shape the built-in llama model: set model.architecture to llama',
      path: ['architecture'],
    },
  )
  .refine((m) => !(m.fullFineTune === true && m.lora !== undefined), {
    message: 'fullFineTune trains every weight: remove model.lora, or set fullFineTune to false',
    path: ['fullFineTune'],
  })
  .describe(
    'The policy: the built-in decoder-only transformer (its size), or a Hugging Face model folder (`path`).',
  );
export type ModelConfig = z.infer<typeof ModelSchema>;

export const SftSchema = z
  .strictObject({
    maxSteps: z
      .number()
      .int()
      .nonnegative()
      .default(1000)
      .describe('Most supervised steps for the warm start (0 skips it).'),
    targetAccuracy: z
      .number()
      .min(0)
      .max(1)
      .default(0.3)
      .describe(
        'Stop the warm start once greedy held-out accuracy reaches this share, so that RL has room to improve (0.2–0.5 works well).',
      ),
    batchSize: positiveInt().default(64).describe('Demonstrations per supervised step.'),
    lr: z.number().positive().default(2e-3).describe('Learning rate of the warm start (AdamW).'),
    evalEvery: positiveInt()
      .default(10)
      .describe('Check held-out accuracy every this many supervised steps.'),
  })
  .describe('Supervised warm start on demonstrations; its result is the base checkpoint.');
export type SftConfig = z.infer<typeof SftSchema>;

export const ClipSchema = z
  .strictObject({
    low: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Lower clip range ε_low: ratio clipped at 1 − ε_low.'),
    high: z.number().min(0).default(0.28).describe('Upper clip range ε_high: ratio clipped at 1 + ε_high.'),
    dual: z
      .number()
      .gt(1)
      .default(10)
      .describe(
        'Dual clip c: for negative advantages the loss is capped at −A·c. Set a large value to disable.',
      ),
  })
  .describe('PPO-clip ranges.');

export const EvalSchema = z
  .strictObject({
    every: positiveInt().default(25).describe('Evaluate on the held-out split every this many RL steps.'),
    temperature: z
      .number()
      .min(0)
      .default(0.6)
      .describe('Sampling temperature for evaluation (0 = greedy; 0.6 is the released BNPO setting).'),
    size: positiveInt().default(500).describe('Held-out prompts per evaluation.'),
  })
  .describe('Held-out evaluation.');

const RunConfigFields = z.strictObject({
  $schema: z.string().optional().describe('JSON Schema reference for editors.'),
  name: z
    .string()
    .max(80)
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
      'name uses letters, digits, _ . - and starts with a letter or digit (it becomes part of a folder name)',
    )
    .optional()
    .describe('Run name; part of the run folder name, so it cannot hold a path.'),
  task: z
    .enum(TASK_NAMES)
    .optional()
    .describe(
      `Built-in verifiable task. Default: ${DEFAULT_TASK}; ignored (and not recorded) when \`dataset\` is given.`,
    ),
  digits: positiveInt()
    .max(6)
    .optional()
    .describe('Operand digits for arithmetic tasks, list length for sorting (default depends on the task).'),
  dataset: DatasetSchema.optional(),
  rules: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Reward-rule file (*.rewards.json). Default: the built-in task's rules; required with `dataset`.",
    ),
  estimator: z
    .enum(ESTIMATOR_NAMES)
    .default('bnpo')
    .describe('Advantage estimator. BNPO normalises each rule with a Beta density fitted to the batch.'),
  groupSize: z
    .number()
    .int()
    .min(2, 'groupSize (G) must be at least 2: an advantage compares completions of the same prompt')
    .default(8)
    .describe('G: completions sampled per prompt.'),
  promptsPerStep: positiveInt().default(16).describe('N: prompts per RL step.'),
  microBatch: positiveInt()
    .optional()
    .describe(
      'Completions per forward and backward pass: the G × N completions of a step are split into micro-batches of this many, their gradients summed, and one update taken (same result, less memory). Default: all in one pass.',
    ),
  steps: z.number().int().nonnegative().default(150).describe('RL optimizer steps.'),
  lr: z.number().positive().default(5e-4).describe('RL learning rate (AdamW).'),
  warmupSteps: z
    .number()
    .int()
    .nonnegative()
    .default(10)
    .describe(
      'Raise the RL learning rate linearly over this many steps (fresh Adam moments overshoot otherwise).',
    ),
  weightDecay: z.number().min(0).default(0).describe('AdamW decoupled weight decay.'),
  gradClip: z.number().positive().default(1).describe('Clip the global gradient norm to this value.'),
  clip: ClipSchema.default({ low: 0.2, high: 0.28, dual: 10 }),
  temperature: z.number().gt(0).default(1).describe('Sampling temperature for rollouts.'),
  topP: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe('Nucleus sampling: keep the smallest token set with this mass.'),
  maxNewTokens: positiveInt()
    .max(512)
    .optional()
    .describe('Longest completion in tokens. Default: what the task or dataset needs.'),
  eval: EvalSchema.default({ every: 25, temperature: 0.6, size: 500 }),
  sampleEvery: positiveInt()
    .default(5)
    .describe('Write sampled completions to samples.jsonl every this many steps.'),
  checkpointEvery: positiveInt().default(25).describe('Write a checkpoint every this many RL steps.'),
  checkpointKeep: positiveInt()
    .default(3)
    .describe(
      'Checkpoints kept: the newest this many, plus step-0 (the SFT base) always; older ones are deleted as new ones are written. Resume falls back to an older kept one when the newest is damaged.',
    ),
  model: ModelSchema.default({ dModel: 64, layers: 2, heads: 4, mlpRatio: 4, tiedOutput: true }),
  sft: SftSchema.default({ maxSteps: 1000, targetAccuracy: 0.3, batchSize: 64, lr: 2e-3, evalEvery: 10 }),
  seed: z
    .number()
    .int()
    .nonnegative()
    .default(1)
    .describe('Seed for data order, initialisation and sampling.'),
  backend: z
    .enum(BACKEND_NAMES)
    .default('auto')
    .describe('Compute backend. auto tries tensorflow (CUDA), webgpu (hardware GPU), wasm, then cpu.'),
});

/** What the built-in llama model's unset fields become: for new runs, and for runs recorded before the fields. */
interface LlamaDefaults {
  readonly ropeTheta: number;
  readonly intermediateSize: (model: { dModel: number; mlpRatio: number }) => number;
}

const LLAMA_DEFAULTS: LlamaDefaults = {
  ropeTheta: 1e6,
  intermediateSize: (m) => Math.round((2 / 3) * m.mlpRatio * m.dModel),
};
const LLAMA_DEFAULTS_RECORDED_BEFORE: LlamaDefaults = {
  ropeTheta: 1e4,
  intermediateSize: (m) => m.mlpRatio * m.dModel,
};

/** A built-in llama model with every field set, so what run.json records rebuilds the very same model. */
function withLlamaDefaults<M extends ModelConfig>(model: M, defaults: LlamaDefaults): M {
  if (model.architecture !== 'llama') return model;
  return {
    ...model,
    ropeTheta: model.ropeTheta ?? defaults.ropeTheta,
    intermediateSize: model.intermediateSize ?? defaults.intermediateSize(model),
  };
}

/** A dataset needs rules; what is recorded names the one task or dataset the run used. */
function completeRunConfig(fields: typeof RunConfigFields, llama: LlamaDefaults) {
  return (
    fields
      .superRefine((c, ctx) => {
        if (c.dataset !== undefined && c.rules === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['rules'],
            message: 'a dataset needs a reward-rule file (`rules`)',
          });
        }
      })
      // A run trains on a built-in task or on a dataset, never both: what is recorded names the one it used.
      .overwrite(({ task, ...c }) => {
        const model = withLlamaDefaults(c.model, llama);
        return c.dataset === undefined ? { ...c, model, task: task ?? DEFAULT_TASK } : { ...c, model };
      })
  );
}

export const RunConfigSchema = completeRunConfig(RunConfigFields, LLAMA_DEFAULTS).describe(
  'A BNPO Studio training run.',
);

/**
 * A config as run.json recorded it: the same, except that the name may be any text, as it could before names
 * became part of folder names (so those runs still open), and a built-in llama model recorded without ropeTheta
 * or intermediateSize has the values of its day.
 */
export const RecordedRunConfigSchema = completeRunConfig(
  RunConfigFields.extend({ name: z.string().max(200).optional() }),
  LLAMA_DEFAULTS_RECORDED_BEFORE,
);

/** The config as written (defaults optional). */
export type RunConfigInput = z.input<typeof RunConfigSchema>;
/** The config with every default filled in, as recorded in run.json. */
export type RunConfig = z.output<typeof RunConfigSchema>;

/** JSON Schema for editors (contributed through `jsonValidation`). */
export function runConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RunConfigSchema, { io: 'input', unrepresentable: 'any' });
}

/** The built-in task a config trains on, or undefined for a dataset run. */
export function builtinTaskOf(config: RunConfig): TaskName | undefined {
  return config.dataset !== undefined ? undefined : (config.task ?? DEFAULT_TASK);
}

/** What a run trains on, for folder names and labels: `dataset` or the built-in task's name. */
export function runSubject(config: RunConfig): string {
  return builtinTaskOf(config) ?? 'dataset';
}

/** One line per problem, `field.path: message`. */
export function formatConfigIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
}

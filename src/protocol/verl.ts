// The verl launch configuration (`*.verl.json`): what "BNPO: Launch on verl…" and `bnpo verl command` turn into a
// verl 0.7–0.9 command line with the bnpo_verl plug-in loaded (engines/verl). Written by people, so every field says
// what it is; paths are relative to the config file and must be valid where verl's driver runs.
import { z } from 'zod';

export const VERL_CONFIG_VERSION = 1;

/** The oldest verl release the generated command lines and the plug-in's glue are written against. */
export const TARGET_VERL_VERSION = '0.7.0';

/** The verl minor releases the command builder knows; the keys of verl's `ppo_trainer` config differ between them. */
export const VERL_VERSIONS = ['0.7', '0.8', '0.9'] as const;
export type VerlVersion = (typeof VERL_VERSIONS)[number];
/** The release the Python tier pins (test/harness/pythonEnv.sh) and the default of `verlVersion`. */
export const DEFAULT_VERL_VERSION: VerlVersion = '0.9';

/** verl ≥ 0.8 scores rewards in its reward-loop workers: the per-rule rewards never reach the estimator. */
export function verlHasRewardLoop(version: VerlVersion): boolean {
  return version !== '0.7';
}

/** The plug-in's advantage-estimator name in verl's registry (not TRL's unrelated loss_type="bnpo"). */
export const VERL_ESTIMATOR_NAME = 'bnpo_beta';

const positiveInt = () => z.number().int().positive();
const path = () => z.string().min(1);

export const VerlClipSchema = z
  .strictObject({
    low: z.number().min(0).max(1).default(0.2).describe('ε_low: the ratio is clipped at 1 − ε_low.'),
    high: z
      .number()
      .min(0)
      .default(0.28)
      .describe('ε_high: the ratio is clipped at 1 + ε_high (clip-higher).'),
    dual: z
      .number()
      .gt(1)
      .default(10)
      .describe('Dual clip c: for negative advantages the loss is capped at −A·c.'),
  })
  .describe('PPO-clip ranges (verl: actor.clip_ratio_low / clip_ratio_high / clip_ratio_c).');

export const VerlLaunchSchema = z
  .discriminatedUnion('mode', [
    z.strictObject({
      mode: z.literal('local').describe('Run verl on this machine as a supervised child process.'),
    }),
    z.strictObject({
      mode: z.literal('ray').describe('Submit to a running Ray cluster with `ray job submit`.'),
      address: z
        .string()
        .regex(/^https?:\/\/[^\s]+$/, 'address must be the Ray dashboard URL, e.g. http://head-node:8265')
        .describe('Ray dashboard address of the cluster head (`ray start --head` prints it; port 8265).'),
      noWait: z
        .boolean()
        .default(true)
        .describe('Return once submitted (`--no-wait`); follow the run in the Runs view.'),
    }),
  ])
  .describe('Where verl runs.');

export const VerlRunConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors.'),
    version: z
      .literal(VERL_CONFIG_VERSION)
      .default(VERL_CONFIG_VERSION)
      .describe('Schema version of this file.'),
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
        'name uses letters, digits, _ . - and starts with a letter or digit',
      )
      .optional()
      .describe('Run name: the verl experiment name and part of the run folder name.'),
    model: path().describe('Hugging Face model id or local checkpoint folder, e.g. Qwen/Qwen2.5-Math-7B.'),
    trainFiles: path().describe(
      'Training parquet in verl’s format (prompt, reward_model.ground_truth, extra_info).',
    ),
    valFiles: path().optional().describe('Held-out parquet. Without it, evaluation is switched off.'),
    rules: path().describe('Reward-rule file (*.rewards.json) scored by `bnpo rules serve` inside verl.'),
    groupSize: z
      .number()
      .int()
      .min(2, 'groupSize (G) must be at least 2: an advantage compares completions of the same prompt')
      .default(16)
      .describe('G: completions per prompt (verl: actor_rollout_ref.rollout.n).'),
    promptsPerStep: positiveInt().default(32).describe('Prompts per RL step (verl: data.train_batch_size).'),
    miniBatch: positiveInt()
      .optional()
      .describe(
        'Prompts per optimizer step (verl: ppo_mini_batch_size). Default: promptsPerStep, one update per batch as released.',
      ),
    microBatchPerGpu: positiveInt().default(4).describe('Completions per GPU per forward/backward pass.'),
    steps: positiveInt()
      .optional()
      .describe('RL steps (verl: trainer.total_training_steps). Default: epochs × batches.'),
    epochs: positiveInt().default(1).describe('Passes over the training data (verl: trainer.total_epochs).'),
    lr: z.number().positive().default(1e-6).describe('Actor learning rate (AdamW).'),
    clip: VerlClipSchema.default({ low: 0.2, high: 0.28, dual: 10 }),
    temperature: z.number().gt(0).default(1).describe('Rollout sampling temperature.'),
    evalTemperature: z.number().min(0).default(0.6).describe('Evaluation sampling temperature.'),
    maxPromptLength: positiveInt()
      .default(1024)
      .describe('Longest prompt in tokens (verl: data.max_prompt_length).'),
    maxResponseLength: positiveInt()
      .default(3072)
      .describe('Longest completion in tokens (verl: data.max_response_length).'),
    nodes: positiveInt().default(1).describe('Machines (verl: trainer.nnodes).'),
    gpusPerNode: positiveInt().default(8).describe('GPUs per machine (verl: trainer.n_gpus_per_node).'),
    rollout: z.enum(['vllm', 'sglang']).default('vllm').describe('Inference engine for rollouts.'),
    tensorParallel: positiveInt()
      .default(2)
      .describe('Rollout tensor parallelism (GPUs per inference engine).'),
    gpuMemoryUtilization: z
      .number()
      .gt(0)
      .max(1)
      .default(0.6)
      .describe('Share of GPU memory the rollout engine may use.'),
    testEvery: z.number().int().default(10).describe('Evaluate every this many steps (≤ 0: never).'),
    saveEvery: z
      .number()
      .int()
      .default(50)
      .describe('Checkpoint every this many steps (≤ 0: only verl’s own choice).'),
    sampleEvery: positiveInt()
      .default(5)
      .describe('Write sampled completions to samples.jsonl every this many steps.'),
    runDir: path()
      .optional()
      .describe(
        'Run directory. Default: <bnpo.runsFolder>/<name>-<time>. For a cluster: shared storage the editor also sees.',
      ),
    verlVersion: z
      .enum(VERL_VERSIONS)
      .default(DEFAULT_VERL_VERSION)
      .describe(
        'verl release (major.minor) where the run executes: the command uses that release’s config keys. From 0.8 on verl scores rewards in its reward loop, so bnpo_beta trains on the combined reward, not per rule.',
      ),
    python: z.string().min(1).default('python3').describe('Python that has verl and bnpo_verl installed.'),
    cli: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The BNPO CLI for `bnpo rules serve` where verl runs (`bnpo`, or a path to dist/cli.js). Default: this extension’s CLI locally, `bnpo` on a cluster.',
      ),
    launch: VerlLaunchSchema.default({ mode: 'local' }),
    extraArgs: z
      .array(
        z.string().regex(/^\+{0,2}[A-Za-z_][\w.]*=/, 'each extra argument is a Hydra override key=value'),
      )
      .default([])
      .describe('More Hydra overrides for verl, appended last (they win).'),
  })
  .describe('A BNPO run on verl (Ray).');

/** The file as written (defaults optional). */
export type VerlRunConfigInput = z.input<typeof VerlRunConfigSchema>;
/** Every default filled in. */
export type VerlRunConfig = z.output<typeof VerlRunConfigSchema>;

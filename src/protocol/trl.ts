// A TRL run configuration (`*.trl.json`): written by people, read by the editor's *Launch on TRL…*, which turns it
// into `python -m bnpo_trl.launch …` (engines/trl/bnpo_trl/launch.py, whose flags and defaults these mirror).
import { z } from 'zod';
import { RunConfigSchema } from './runConfig';

export const TRL_CONFIG_SUFFIX = '.trl.json';
/** Where `npm run schemas` writes the editor schema for `*.trl.json` (contributed through jsonValidation). */
export const TRL_JSON_SCHEMA_FILE = 'media/schemas/trl.schema.json';

const path = () => z.string().min(1);
const positiveInt = () => z.number().int().positive();

export const TrlRunConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors.'),
    name: RunConfigSchema.shape.name
      .unwrap()
      .default('trl')
      .describe('Run name: part of the run folder name.'),
    model: path().describe('Hugging Face model folder (relative to this file) or hub id.'),
    dataset: path().describe(
      'JSONL file (relative to this file): {"prompt": string, ...fields the reward rules read} per line; an `index` field keys the groups.',
    ),
    rules: path().describe('Reward-rule file (*.rewards.json), one TRL reward function per rule.'),
    steps: positiveInt().default(50).describe('Optimizer steps (TRL: max_steps).'),
    groupSize: z
      .number()
      .int()
      .min(2, 'groupSize (G) must be at least 2: an advantage compares completions of the same prompt')
      .default(4)
      .describe('G: completions per prompt (TRL: num_generations).'),
    promptsPerStep: positiveInt().default(4).describe('Prompts per step.'),
    lr: z.number().positive().default(1e-5).describe('Learning rate.'),
    maxCompletionLength: positiveInt().default(64).describe('Longest completion in tokens.'),
    temperature: z.number().gt(0).default(1).describe('Sampling temperature.'),
    seed: z.number().int().nonnegative().default(1).describe('Seed.'),
    sampleEvery: positiveInt().default(5).describe('Write samples.jsonl every this many steps.'),
    cpu: z.boolean().default(false).describe('Train on the CPU even where a GPU is present.'),
  })
  .describe('A BNPO run inside TRL’s GRPOTrainer (engines/trl).');
export type TrlRunConfig = z.output<typeof TrlRunConfigSchema>;

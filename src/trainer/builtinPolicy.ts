// The built-in transformer (model.ts) behind the trainer's policy interface, with the character tokenizer.
import type { RunConfig } from '../protocol/runConfig';
import type { CheckpointMeta } from '../protocol/runDir';
import { targetLogProbs, type SeqBatch } from './losses';
import { parameterCount } from './memory';
import { type ModelDims, Policy } from './model';
import type { BuiltPolicy, PolicySource, TrainablePolicy } from './policy';
import type { Rng } from './rng';
import { generate, type SampleOptions } from './sampler';
import type { LoadedTask } from './setup';
import { modelDims } from './setup';
import { CharTokenizer } from './tokenizer';

export class BuiltinPolicy implements TrainablePolicy {
  constructor(readonly model: Policy) {}

  get params(): Policy['params'] {
    return this.model.params;
  }

  sample(prompts: readonly (readonly number[])[], options: SampleOptions): ReturnType<typeof generate> {
    return generate(this.model, prompts, options);
  }

  logProbs(batch: SeqBatch, temperature: number): ReturnType<typeof targetLogProbs> {
    return targetLogProbs(this.model, batch, temperature);
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The built-in model for a run: its size from `config.model`, its vocabulary the task's (or a checkpoint's). */
export function builtinPolicySource(config: RunConfig, loaded: LoadedTask): PolicySource {
  const dims: ModelDims = modelDims(config, loaded.task, loaded.task.tokenizer.size);
  return {
    info: {
      path: null,
      architecture: 'builtin',
      parameters: parameterCount(dims),
      trainableParameters: parameterCount(dims),
      configSha256: null,
      lora: null,
    },
    build(rng: Rng, checkpoint: CheckpointMeta | undefined): BuiltPolicy {
      const tokenizer = new CharTokenizer(checkpoint?.vocab ?? loaded.task.tokenizer.vocab);
      // A checkpoint's own position table fixes the context, whatever the task's current defaults say.
      const context = checkpoint?.weights.find((w) => w.name === 'wpe')?.shape[0];
      const policy = new Policy(
        { ...modelDims(config, loaded.task, tokenizer.size), ...(context !== undefined ? { context } : {}) },
        rng,
      );
      return { policy: new BuiltinPolicy(policy), tokenizer };
    },
  };
}

// The one interface the trainer drives a model through: sampling (rlStep, evaluate, the warm start's checks),
// log-probabilities for the losses, and the tensors the optimizer updates and checkpoints store. The built-in
// transformer (builtinPolicy.ts) and a Hugging Face causal LM (src/models/policy.ts) implement it, so the RL step,
// the evaluation, the warm start and checkpoints are one code path for both.
import type * as tf from '@tensorflow/tfjs-core';
import type { CheckpointMeta, ModelInfo } from '../protocol/runDir';
import type { SeqBatch } from './losses';
import type { Rng } from './rng';
import type { Rollout, SampleOptions } from './sampler';

export interface TrainablePolicy {
  /** What is trained, by name, in a stable order: the optimizer's parameters and a checkpoint's weights. */
  readonly params: Map<string, tf.Variable>;
  /** Completions for token prompts (KV cache; temperature 0 = greedy), stopping at the model's end token. */
  sample(prompts: readonly (readonly number[])[], options: SampleOptions): Promise<Rollout>;
  /** log π(target) at every position of `batch`, [rows, width], from logits divided by `temperature`. */
  logProbs(batch: SeqBatch, temperature: number): tf.Tensor2D;
  dispose(): void;
}

/** Text to ids and back, as the policy reads and writes them. */
export interface PolicyTokenizer {
  /** A task prompt as the model sees it (a chat template applied where the model has one). */
  encodePrompt(text: string): number[];
  /** A demonstration completion, its end token appended. */
  encodeTarget(text: string): number[];
  /** A completion's text, up to its end token. */
  decode(ids: readonly number[]): string;
  /** The character vocabulary a checkpoint keeps (empty where the model's folder holds its tokenizer). */
  readonly vocab: readonly string[];
}

export interface BuiltPolicy {
  readonly policy: TrainablePolicy;
  readonly tokenizer: PolicyTokenizer;
}

/**
 * How a run gets its policy: made once the backend is selected; shaped as `checkpoint` says (its vocabulary, its
 * context) when one will be loaded into it.
 */
export interface PolicySource {
  readonly info: ModelInfo;
  build(rng: Rng, checkpoint: CheckpointMeta | undefined): BuiltPolicy;
}

// One policy-gradient step on a CausalLM: the completions' log-probs under the current weights, the PPO-clip loss
// of src/trainer/losses.ts with one advantage per completion, and AdamW (src/trainer/optimizer.ts) on whatever is
// trainable: the LoRA factors, or every base weight for a full fine-tune.
import * as tf from '@tensorflow/tfjs-core';
import {
  buildSeqBatch,
  type ClipRanges,
  type LossAggregationSpec,
  ppoLoss,
  type SeqBatch,
} from '../trainer/losses';
import type { AdamW } from '../trainer/optimizer';
import { gradientStep } from '../trainer/gradient';
import type { CausalLM } from './llama';

export interface PolicyBatch {
  readonly prompts: readonly (readonly number[])[];
  /** Sampled completion ids per prompt row (eos included when produced). */
  readonly completions: readonly (readonly number[])[];
  /** Sampling-time log-probs per completion token. */
  readonly oldLogProbs: readonly (readonly number[])[];
  /** One advantage per completion (from the estimator registry). */
  readonly advantages: readonly number[];
}

export interface StepOptions {
  readonly lr: number;
  readonly clip: ClipRanges;
  readonly temperature: number;
  readonly gradClip: number;
  /** How token losses become one scalar: the estimator's reference aggregation (lossAggregationFor). */
  readonly aggregation: LossAggregationSpec;
}

/** log π(target) at every position of a prompt+completion batch, [rows, width]. */
export function sequenceLogProbs(
  model: CausalLM,
  batch: SeqBatch,
  temperature: number,
  training: boolean,
): tf.Tensor2D {
  const logits = model.run(
    { ids: batch.inputs, positions: batch.positions, keyMask: batch.keyMask },
    { training },
  );
  const scaled = temperature === 1 ? logits : tf.div(logits, temperature);
  // oneHot × log-softmax instead of gather, whose gradient the wasm backend lacks.
  const targets = tf.oneHot(tf.tensor1d(batch.targets.flat(), 'int32'), model.config.vocab);
  const picked = tf.sum(tf.mul(tf.logSoftmax(scaled), targets), -1);
  return tf.reshape<tf.Rank.R2>(picked, [batch.rows, batch.width]);
}

/** One update; returns the loss before it, the gradient norm and the number of clipped tokens. */
export async function policyGradientStep(
  model: CausalLM,
  trainable: Map<string, tf.Variable>,
  optimizer: AdamW,
  batch: PolicyBatch,
  options: StepOptions,
): Promise<{ loss: number; gradNorm: number; clipped: number; skipped: boolean }> {
  const seq = buildSeqBatch(batch.prompts, batch.completions, batch.oldLogProbs);
  const r = await gradientStep({ params: trainable }, optimizer, options.lr, options.gradClip, () => {
    const logProbs = sequenceLogProbs(model, seq, options.temperature, true);
    const { loss, clipped } = ppoLoss(logProbs, seq, batch.advantages, options.clip, options.aggregation);
    return { loss, extra: clipped };
  });
  return { loss: r.loss, gradNorm: r.gradNorm, clipped: r.extra, skipped: r.skipped };
}

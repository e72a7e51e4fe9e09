// The losses: PPO-clip as released with BNPO (low/high clip, dual clip for negative advantages), aggregated over
// tokens and completions the way the estimator's reference does (core/estimators.ts, ESTIMATORS), and the
// supervised cross-entropy of the warm start.
import * as tf from '@tensorflow/tfjs-core';
import { ESTIMATORS, type EstimatorName, type LossAggregation } from '../core/estimators';
import type { Policy } from './model';
import { PAD } from './tokenizer';

export interface ClipRanges {
  readonly low: number;
  readonly high: number;
  readonly dual: number;
}

/** The per-token loss for one token, in plain numbers: the reference the tensor version is tested against. */
export function ppoTokenLoss(
  logProb: number,
  oldLogProb: number,
  advantage: number,
  clip: ClipRanges,
): { loss: number; clipped: boolean } {
  const ratio = Math.exp(logProb - oldLogProb);
  const unclipped = -advantage * ratio;
  const clippedLoss = -advantage * Math.min(Math.max(ratio, 1 - clip.low), 1 + clip.high);
  let loss = Math.max(unclipped, clippedLoss);
  if (advantage < 0) loss = Math.min(loss, -advantage * clip.dual);
  return { loss, clipped: clippedLoss > unclipped };
}

/** Prompt + completion sequences laid out for one forward pass (prompts left-padded, completions right-padded). */
export interface SeqBatch {
  readonly rows: number;
  readonly width: number;
  readonly inputs: number[][];
  readonly targets: number[][];
  readonly positions: number[][];
  readonly keyMask: number[][];
  /** 1 where the target is a completion token (its <eos> included). */
  readonly lossMask: number[][];
  /** Sampling-time log-probs aligned with targets (0 outside the mask). */
  readonly oldLogProbs: number[][];
}

export function buildSeqBatch(
  prompts: readonly (readonly number[])[],
  completions: readonly (readonly number[])[],
  oldLogProbs?: readonly (readonly number[])[],
): SeqBatch {
  const p = Math.max(...prompts.map((x) => x.length));
  const c = Math.max(1, ...completions.map((x) => x.length));
  const width = p + c - 1;
  const inputs: number[][] = [];
  const targets: number[][] = [];
  const positions: number[][] = [];
  const keyMask: number[][] = [];
  const lossMask: number[][] = [];
  const old: number[][] = [];
  prompts.forEach((prompt, r) => {
    const completion = completions[r]!;
    const pad = p - prompt.length;
    const ids = [...new Array<number>(pad).fill(PAD), ...prompt, ...completion];
    while (ids.length < p + c) ids.push(PAD);
    inputs.push(ids.slice(0, width));
    targets.push(ids.slice(1, width + 1));
    positions.push(Array.from({ length: width }, (_, i) => Math.max(0, i - pad)));
    keyMask.push(Array.from({ length: width }, (_, i) => (i < pad ? 0 : 1)));
    const mask = new Array<number>(width).fill(0);
    const lp = new Array<number>(width).fill(0);
    for (let j = 0; j < completion.length; j++) {
      // Target index i predicts ids[i + 1]; completion token j sits at ids[p + j].
      mask[p + j - 1] = 1;
      lp[p + j - 1] = oldLogProbs?.[r]?.[j] ?? 0;
    }
    lossMask.push(mask);
    old.push(lp);
  });
  return { rows: prompts.length, width, inputs, targets, positions, keyMask, lossMask, oldLogProbs: old };
}

/** Token counts of the completions, one row per group of `groupSize` (the estimators' `lengths` input). */
export function groupLengths(completions: readonly (readonly number[])[], groupSize: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < completions.length; i += groupSize)
    rows.push(completions.slice(i, i + groupSize).map((c) => c.length));
  return rows;
}

/** log π(target) at every position, [rows, width], from logits scaled by the sampling temperature. */
export function targetLogProbs(policy: Policy, batch: SeqBatch, temperature: number): tf.Tensor2D {
  const { rows, width } = batch;
  const logits = policy.forward(
    tf.tensor2d(batch.inputs, [rows, width], 'int32'),
    tf.tensor2d(batch.positions, [rows, width], 'int32'),
    tf.tensor2d(batch.keyMask, [rows, width]),
  );
  const scaled = temperature === 1 ? logits : tf.div(logits, temperature);
  const logp = tf.logSoftmax(scaled);
  // oneHot × logp instead of gather: gather has no gradient on the wasm backend.
  const picked = tf.sum(
    tf.mul(logp, tf.oneHot(tf.tensor1d(batch.targets.flat(), 'int32'), policy.dims.vocab)),
    -1,
  );
  return tf.reshape<tf.Rank.R2>(picked, [rows, width]);
}

/** An aggregation and the generation budget (max new tokens) that seq-mean-token-sum-norm divides by. */
export interface LossAggregationSpec {
  readonly mode: LossAggregation;
  readonly budget: number;
  /**
   * With gradient accumulation, the whole batch's completions and completion tokens: each micro-batch's loss is
   * then its share of the whole batch's, and the parts sum to it. Absent: the batch at hand is the whole batch.
   */
  readonly whole?: { readonly rows: number; readonly tokens: number };
}

/** The loss aggregation of `estimator`'s reference, for completions of at most `maxNewTokens` tokens. */
export function lossAggregationFor(estimator: EstimatorName, maxNewTokens: number): LossAggregationSpec {
  return { mode: ESTIMATORS[estimator].lossAggregation, budget: maxNewTokens };
}

/** Per-token losses [rows, width] (already masked) to one scalar, as `aggregation` says (see LOSS_AGGREGATIONS). */
export function aggregateTokenLosses(
  masked: tf.Tensor2D,
  mask: tf.Tensor2D,
  aggregation: LossAggregationSpec,
): tf.Scalar {
  const rows = aggregation.whole?.rows ?? masked.shape[0];
  switch (aggregation.mode) {
    case 'seq-mean-token-sum':
      return tf.div(tf.sum(masked), rows);
    case 'seq-mean-token-mean':
      return tf.div(tf.sum(tf.div(tf.sum(masked, 1), tf.maximum(tf.sum(mask, 1), 1))), rows);
    case 'seq-mean-token-sum-norm':
      return tf.div(tf.sum(masked), rows * aggregation.budget);
    case 'token-mean': {
      const tokens = aggregation.whole?.tokens;
      return tf.div(tf.sum(masked), tokens !== undefined ? Math.max(tokens, 1) : tf.maximum(tf.sum(mask), 1));
    }
    default: {
      const unknown: never = aggregation.mode;
      throw new RangeError(`unknown loss aggregation '${String(unknown)}'`);
    }
  }
}

/** PPO-clip loss (a scalar) and the number of clipped tokens, for one batch with one advantage per row. */
export function ppoLoss(
  logProbs: tf.Tensor2D,
  batch: SeqBatch,
  advantages: readonly number[],
  clip: ClipRanges,
  aggregation: LossAggregationSpec,
): { loss: tf.Scalar; clipped: tf.Scalar } {
  const { rows, width } = batch;
  const mask = tf.tensor2d(batch.lossMask, [rows, width]);
  const adv = tf.tensor2d(advantages as number[], [rows, 1]);
  const ratio = tf.exp(tf.sub(logProbs, tf.tensor2d(batch.oldLogProbs, [rows, width])));
  const unclipped = tf.mul(tf.neg(adv), ratio);
  const clippedLoss = tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - clip.low, 1 + clip.high));
  const base = tf.maximum(unclipped, clippedLoss);
  // Dual clip applies to negative advantages only; written as a blend so it broadcasts [rows, 1] over tokens.
  const negative = tf.cast(tf.less(adv, 0), 'float32');
  const capped = tf.minimum(base, tf.mul(tf.neg(adv), clip.dual));
  const dual = tf.add(base, tf.mul(negative, tf.sub(capped, base)));
  const loss = aggregateTokenLosses(tf.mul(dual, mask), mask, aggregation);
  const clipped = tf.sum(tf.mul(tf.cast(tf.greater(clippedLoss, unclipped), 'float32'), mask));
  return { loss, clipped: clipped as tf.Scalar };
}

/** Mean cross-entropy over completion tokens. */
export function sftLoss(logProbs: tf.Tensor2D, batch: SeqBatch): tf.Scalar {
  const mask = tf.tensor2d(batch.lossMask, [batch.rows, batch.width]);
  return tf.div(tf.neg(tf.sum(tf.mul(logProbs, mask))), tf.maximum(tf.sum(mask), 1));
}

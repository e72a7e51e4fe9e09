import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { ESTIMATOR_NAMES, ESTIMATORS } from '../../src/core/estimators';
import { selectBackend } from '../../src/trainer/backend';
import {
  buildSeqBatch,
  groupLengths,
  type LossAggregationSpec,
  lossAggregationFor,
  ppoLoss,
  type SeqBatch,
  targetLogProbs,
} from '../../src/trainer/losses';
import { Policy } from '../../src/trainer/model';
import { Rng } from '../../src/trainer/rng';
import { registerGradientsForTests } from './trainerSetup';

const clip = { low: 0.2, high: 0.28, dual: 10 };

before(async () => {
  registerGradientsForTests();
  await selectBackend('cpu');
});

// Two completions of 2 and 1 tokens. Per-token PPO losses (hand-computed from the ratios e^(logp − old)):
// row 0, A = 1: ratio e^0.5 = 1.649 → clipped to 1.28 → −1.28; ratio e^0 = 1 → −1.
// row 1, A = −1: ratio e^−0.5 = 0.607 → clipped to 0.8 → 0.8 (the dual-clip cap 10 does not bite);
// its second position is masked (ratio e^7 counts for nothing).
const handBatch: SeqBatch = {
  rows: 2,
  width: 2,
  inputs: [],
  targets: [],
  positions: [],
  keyMask: [],
  lossMask: [
    [1, 1],
    [1, 0],
  ],
  oldLogProbs: [
    [-1, -1],
    [-1, 0],
  ],
};

function handLoss(aggregation: LossAggregationSpec): number {
  return tf.tidy(() =>
    ppoLoss(
      tf.tensor2d([
        [-0.5, -1],
        [-1.5, 7],
      ]),
      handBatch,
      [1, -1],
      clip,
      aggregation,
    ).loss.arraySync(),
  );
}

describe('loss aggregation (hand-computed)', () => {
  const close = (actual: number, expected: number) =>
    assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} ≠ ${expected}`);

  it('seq-mean-token-sum (BNPO as released, REINFORCE, RLOO): sum per completion, mean over completions', () => {
    close(handLoss({ mode: 'seq-mean-token-sum', budget: 4 }), (-1.28 - 1 + 0.8) / 2);
  });
  it('seq-mean-token-mean (GRPO): mean per completion, mean over completions', () => {
    close(handLoss({ mode: 'seq-mean-token-mean', budget: 4 }), ((-1.28 - 1) / 2 + 0.8 / 1) / 2);
  });
  it('seq-mean-token-sum-norm (Dr. GRPO): sum per completion over the budget, mean over completions', () => {
    close(handLoss({ mode: 'seq-mean-token-sum-norm', budget: 4 }), (-1.28 - 1 + 0.8) / 4 / 2);
  });
  it('token-mean (REINFORCE++): every token of the batch alike', () => {
    close(handLoss({ mode: 'token-mean', budget: 4 }), (-1.28 - 1 + 0.8) / 3);
  });
  it('each estimator takes the aggregation its reference names', () => {
    const modes = Object.fromEntries(ESTIMATOR_NAMES.map((e) => [e, lossAggregationFor(e, 7).mode]));
    assert.deepEqual(modes, {
      bnpo: 'seq-mean-token-sum',
      reinforce: 'seq-mean-token-sum',
      grpo: 'seq-mean-token-mean',
      drgrpo: 'seq-mean-token-sum-norm',
      rloo: 'seq-mean-token-sum',
      reinforcepp: 'token-mean',
    });
    assert.equal(lossAggregationFor('drgrpo', 7).budget, 7);
    for (const e of ESTIMATOR_NAMES) assert.match(ESTIMATORS[e].reference.paper, /\d{4}/, e);
  });
});

describe('gradients under each estimator’s aggregation', () => {
  const budget = 6;
  // Completions of 1, 3, 2 and 5 tokens: unequal lengths, where the aggregations part ways.
  const prompts = [
    [2, 3],
    [2, 3],
    [4, 5],
    [4, 5],
  ];
  const completions = [[6], [7, 8, 1], [9, 1], [6, 7, 8, 9, 1]];
  const advantages = [0.5, -0.5, 0.75, -0.75];

  function gradient(estimator: 'reinforce' | 'drgrpo' | 'grpo'): Float64Array {
    const policy = new Policy(
      { vocab: 12, context: 16, dModel: 8, layers: 1, heads: 2, mlpRatio: 2, tiedOutput: false },
      new Rng(3),
    );
    try {
      const vars = [...policy.params.values()];
      // Old log-probs from the same weights: ratio 1, no clipping, so the gradient is the policy gradient.
      const seq0 = buildSeqBatch(prompts, completions);
      const old = tf.tidy(() => targetLogProbs(policy, seq0, 1).arraySync());
      const oldPerCompletion = completions.map((c, r) => {
        const p = Math.max(...prompts.map((x) => x.length));
        return c.map((_, j) => old[r]![p + j - 1]!);
      });
      const seq = buildSeqBatch(prompts, completions, oldPerCompletion);
      const aggregation = lossAggregationFor(estimator, budget);
      const { grads, value } = tf.variableGrads(
        () => ppoLoss(targetLogProbs(policy, seq, 1), seq, advantages, clip, aggregation).loss,
        vars,
      );
      const flat = vars.flatMap((v) => Array.from(grads[v.name]!.dataSync()));
      tf.dispose([value, ...Object.values(grads)]);
      return Float64Array.from(flat);
    } finally {
      policy.dispose();
    }
  }

  const norm = (x: Float64Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));
  const cosine = (x: Float64Array, y: Float64Array) =>
    x.reduce((s, v, i) => s + v * y[i]!, 0) / (norm(x) * norm(y));

  it('drgrpo and reinforce give different gradients on the same batch (the same direction, 1/budget the size)', () => {
    const reinforce = gradient('reinforce');
    const drgrpo = gradient('drgrpo');
    assert.ok(norm(reinforce) > 1e-4, 'the batch has a policy gradient');
    const difference = reinforce.map((v, i) => v - drgrpo[i]!);
    assert.ok(
      norm(difference) > 0.5 * norm(reinforce),
      `‖Δ‖ = ${norm(difference)}, ‖g‖ = ${norm(reinforce)}`,
    );
    // What separates them is a constant factor: Dr. GRPO divides each completion's token sum by the budget.
    assert.ok(Math.abs(norm(drgrpo) * budget - norm(reinforce)) < 1e-4 * norm(reinforce));
    assert.ok(cosine(reinforce, drgrpo) > 1 - 1e-6);
  });

  it('grpo’s per-sequence mean turns the gradient (unequal lengths weigh tokens differently)', () => {
    const reinforce = gradient('reinforce');
    const grpoShape = gradient('grpo');
    assert.ok(cosine(reinforce, grpoShape) < 0.99, `cosine ${cosine(reinforce, grpoShape)}`);
  });

  it('groupLengths counts the tokens of each completion, one row per group', () => {
    assert.deepEqual(groupLengths(completions, 2), [
      [1, 3],
      [2, 5],
    ]);
  });
});

describe('the estimator table', () => {
  it('describes every estimator once: a label, a one-line summary, its own colour, a reference', () => {
    assert.deepEqual(Object.keys(ESTIMATORS).sort(), [...ESTIMATOR_NAMES].sort());
    const colours = ESTIMATOR_NAMES.map((e) => ESTIMATORS[e].colour);
    assert.equal(new Set(colours).size, colours.length, 'colours are distinct');
    for (const e of ESTIMATOR_NAMES) {
      const info = ESTIMATORS[e];
      assert.match(info.colour, /^#[0-9a-f]{6}$/, e);
      assert.ok(info.label.length > 0 && !info.summary.includes('\n'), e);
      assert.ok(info.reference.code.length > 0, e);
    }
  });
});

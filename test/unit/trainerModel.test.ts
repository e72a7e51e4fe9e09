import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend';
import {
  buildSeqBatch,
  ppoLoss,
  ppoTokenLoss,
  type SeqBatch,
  sftLoss,
  targetLogProbs,
} from '../../src/trainer/losses';
import { matMulPlain, Policy, type ModelDims } from '../../src/trainer/model';
import { AdamW } from '../../src/trainer/optimizer';
import { Rng } from '../../src/trainer/rng';
import { generate, generateRecompute } from '../../src/trainer/sampler';
import { CharTokenizer, EOS, PAD } from '../../src/trainer/tokenizer';
import { gradientStep } from '../../src/trainer/trainer';
import { registerGradientsForTests } from './trainerSetup';

const dims: ModelDims = {
  vocab: 12,
  context: 16,
  dModel: 16,
  layers: 2,
  heads: 2,
  mlpRatio: 2,
  tiedOutput: false,
};
const clip = { low: 0.2, high: 0.28, dual: 10 };

before(async () => {
  registerGradientsForTests();
  await selectBackend('cpu');
});

describe('tokenizer', () => {
  it('round-trips text and stops decoding at <eos>', () => {
    const tok = CharTokenizer.fromAlphabet('0123456789+=');
    const ids = tok.encode('12+3=');
    assert.equal(ids.length, 5);
    assert.ok(ids.every((i) => i > EOS));
    assert.equal(tok.decode([...ids, EOS, ...tok.encode('99')]), '12+3=');
    assert.equal(tok.decode([PAD, ...ids]), '12+3=');
  });
  it('names a character outside the vocabulary', () => {
    const tok = CharTokenizer.fromAlphabet('0123456789');
    assert.throws(() => tok.encode('1x'), /"x" is not in the vocabulary/);
  });
  it('builds a sorted vocabulary from data so ids do not depend on line order', () => {
    const a = CharTokenizer.fromTexts(['cab', 'b']);
    const b = CharTokenizer.fromTexts(['b', 'bca']);
    assert.deepEqual(a.vocab, b.vocab);
    assert.deepEqual(a.vocab, ['<pad>', '<eos>', 'a', 'b', 'c']);
  });
});

describe('rng', () => {
  it('continues the same sequence from a saved state', () => {
    const a = new Rng(42);
    for (let i = 0; i < 10; i++) a.next();
    const b = new Rng(a.state());
    assert.deepEqual(
      Array.from({ length: 5 }, () => a.nextUint32()),
      Array.from({ length: 5 }, () => b.nextUint32()),
    );
    assert.notEqual(new Rng(1).next(), new Rng(2).next());
  });
});

describe('policy', () => {
  it('lets two policies live in one process (variable names are process-wide in tfjs)', () => {
    const a = new Policy(dims, new Rng(1));
    const b = new Policy(dims, new Rng(1));
    assert.equal(a.params.size, b.params.size);
    a.dispose();
    b.dispose();
  });
});

describe('KV-cache sampling', () => {
  it('draws the same tokens with the same log-probs as full recompute, left padding included', async () => {
    const policy = new Policy(dims, new Rng(3));
    const prompts = [
      [2, 3, 4, 5],
      [6, 7],
      [8, 9, 10],
    ];
    for (const temperature of [0, 1]) {
      const options = { temperature, topP: temperature > 0 ? 0.9 : 1, maxNew: 8 };
      const a = await generate(policy, prompts, { ...options, rng: new Rng(9) });
      const b = await generateRecompute(policy, prompts, { ...options, rng: new Rng(9) });
      assert.deepEqual(a.tokens, b.tokens);
      assert.ok(a.tokenCount > 0);
      a.logProbs.forEach((row, r) =>
        row.forEach((lp, j) => assert.ok(Math.abs(lp - b.logProbs[r]![j]!) < 1e-4, `row ${r} token ${j}`)),
      );
    }
    policy.dispose();
  });

  it('keeps the sampler log-probs equal to the training forward (ratio 1 on-policy)', async () => {
    const policy = new Policy(dims, new Rng(4));
    const prompts = [
      [2, 3, 4],
      [5, 6],
    ];
    const r = await generate(policy, prompts, { temperature: 1, topP: 1, maxNew: 6, rng: new Rng(1) });
    const batch = buildSeqBatch(prompts, r.tokens, r.logProbs);
    const lp = tf.tidy(() => targetLogProbs(policy, batch, 1));
    const values = await lp.array();
    lp.dispose();
    batch.lossMask.forEach((row, i) =>
      row.forEach((m, j) => {
        if (m === 1) assert.ok(Math.abs(values[i]![j]! - batch.oldLogProbs[i]![j]!) < 1e-4);
      }),
    );
    policy.dispose();
  });
});

describe('PPO-clip loss', () => {
  it('matches hand-computed per-token values (low, high and dual clip)', () => {
    const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-4, `${a} vs ${b}`);
    near(ppoTokenLoss(-1, -1, 0.5, clip).loss, -0.5);
    // ratio e^0.5 = 1.6487 > 1.28: the clipped branch wins for a positive advantage.
    near(ppoTokenLoss(-0.5, -1, 1, clip).loss, -1.28);
    assert.equal(ppoTokenLoss(-0.5, -1, 1, clip).clipped, true);
    // ratio e^-0.5 = 0.6065 < 0.8 with A > 0: unclipped (pessimistic max keeps -0.6065).
    near(ppoTokenLoss(-1.5, -1, 1, clip).loss, -Math.exp(-0.5));
    assert.equal(ppoTokenLoss(-1.5, -1, 1, clip).clipped, false);
    // A < 0, ratio e^3 = 20.09: the dual clip caps the loss at -A·c = 10.
    near(ppoTokenLoss(2, -1, -1, clip).loss, 10);
    // A < 0, ratio 0.6065: the lower clip gives 0.8.
    near(ppoTokenLoss(-1.5, -1, -1, clip).loss, 0.8);
  });

  it('sums over a completion’s tokens and averages over completions in the tensor version', () => {
    const batch: SeqBatch = {
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
    const { loss, clipped } = tf.tidy(() => {
      const out = ppoLoss(
        tf.tensor2d([
          [-0.5, -1],
          [-1.5, 7],
        ]),
        batch,
        [1, -1],
        clip,
        { mode: 'seq-mean-token-sum', budget: 2 },
      );
      return { loss: out.loss.arraySync(), clipped: out.clipped.arraySync() };
    });
    // Row 0: -1.28 (clipped) + -1; row 1: 0.8 (clipped); the masked token (ratio e^7) counts for nothing.
    assert.ok(Math.abs(loss - (-1.28 - 1 + 0.8) / 2) < 1e-5, String(loss));
    assert.equal(clipped, 2);
  });
});

describe('training step', () => {
  it('keeps the number of tensors flat over 200 RL steps', async () => {
    const policy = new Policy({ ...dims, layers: 1 }, new Rng(5));
    const optimizer = new AdamW(policy.params);
    const rng = new Rng(6);
    const prompts = [
      [2, 3],
      [2, 3],
      [4, 5],
      [4, 5],
    ];
    let baseline = -1;
    for (let step = 0; step < 200; step++) {
      const r = await generate(policy, prompts, { temperature: 1, topP: 1, maxNew: 4, rng });
      const batch = buildSeqBatch(prompts, r.tokens, r.logProbs);
      const advantages = r.tokens.map((t) => (t.length % 2 === 0 ? 0.5 : -0.5));
      const out = await gradientStep(policy, optimizer, 1e-3, 1, () => {
        const l = ppoLoss(targetLogProbs(policy, batch, 1), batch, advantages, clip, {
          mode: 'seq-mean-token-sum',
          budget: 4,
        });
        return { loss: l.loss, extra: l.clipped };
      });
      assert.ok(Number.isFinite(out.loss));
      if (step === 9) baseline = tf.memory().numTensors;
      if (step > 9) assert.equal(tf.memory().numTensors, baseline, `step ${step}`);
    }
    optimizer.dispose();
    policy.dispose();
  });

  it('updates every parameter and lowers the loss (supervised steps on one batch)', async () => {
    const policy = new Policy({ ...dims, layers: 1 }, new Rng(11));
    const optimizer = new AdamW(policy.params);
    const prompts = [
      [2, 3],
      [4, 5],
      [6, 7],
    ];
    const targets = [
      [8, 9],
      [10, 11],
      [8, 10],
    ];
    const batch = buildSeqBatch(
      prompts,
      targets,
      targets.map((t) => t.map(() => 0)),
    );
    const startValues = new Map<string, Float32Array>();
    for (const [name, p] of policy.params) startValues.set(name, (await p.data()) as Float32Array);
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      const out = await gradientStep(policy, optimizer, 1e-2, 1, () => ({
        loss: sftLoss(targetLogProbs(policy, batch, 1), batch),
        extra: tf.scalar(0),
      }));
      assert.equal(out.skipped, false);
      losses.push(out.loss);
    }
    assert.ok(losses.at(-1)! < 0.5 * losses[0]!, `loss ${losses[0]} → ${losses.at(-1)}`);
    for (const [name, p] of policy.params) {
      const now = (await p.data()) as Float32Array;
      const moved = now.some((x, i) => x !== startValues.get(name)![i]);
      assert.ok(moved, `parameter ${name} never changed`);
    }
    optimizer.dispose();
    policy.dispose();
  });

  it('skips the update when the loss is not finite', async () => {
    const policy = new Policy(dims, new Rng(7));
    const optimizer = new AdamW(policy.params);
    const before = await policy.params.get('wte')!.data();
    const out = await gradientStep(policy, optimizer, 1e-2, 1, () => ({
      loss: tf.mul<tf.Scalar>(tf.sum(policy.params.get('wte')!), Number.NaN),
      extra: tf.scalar(0),
    }));
    assert.equal(out.skipped, true);
    assert.equal(optimizer.step, 0);
    assert.deepEqual(await policy.params.get('wte')!.data(), before);
    optimizer.dispose();
    policy.dispose();
  });
});

describe('matMulPlain', () => {
  it('gives a frozen weight the same input gradient and computes no weight gradient for it', async () => {
    const x = tf.tensor2d([1, 2, -1, 0.5, 3, -2], [2, 3]);
    const values = tf.tensor2d([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [3, 2]);
    const trainable = tf.variable(values, true);
    const frozen = tf.variable(values, false);
    const loss = (w: tf.Variable) => (input: tf.Tensor) =>
      tf.sum(tf.square(matMulPlain(input as tf.Tensor2D, w as tf.Tensor2D)));
    const dxTrainable = tf.grad(loss(trainable))(x);
    const dxFrozen = tf.grad(loss(frozen))(x);
    assert.deepEqual(await dxFrozen.data(), await dxTrainable.data());
    // Products run by one forward and backward: x·W, then dy·Wᵀ and, for a trainable W only, xᵀ·dy.
    const products = async (w: tf.Variable) =>
      (await tf.profile(() => tf.grad(loss(w))(x))).kernels.filter((k) => k.name === 'BatchMatMul').length;
    assert.equal(await products(trainable), 3);
    assert.equal(await products(frozen), 2);
    tf.dispose([x, values, trainable, frozen, dxTrainable, dxFrozen]);
  });
});

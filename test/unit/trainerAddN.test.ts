import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { chunkAddN } from '../../src/trainer/backend';
import { registerGradientsForTests } from './trainerSetup';

describe('chunked AddN (the webgpu storage-buffer limit)', () => {
  let undo: () => void = () => undefined;
  // The backend's own AddN, wrapped to record how many inputs each call binds.
  const widths: number[] = [];
  let original: tf.KernelConfig | undefined;
  before(async () => {
    registerGradientsForTests();
    await tf.setBackend('cpu');
    original = tf.getKernel('AddN', 'cpu');
    assert.ok(original);
    const inner = original;
    tf.unregisterKernel('AddN', 'cpu');
    tf.registerKernel({
      ...inner,
      kernelFunc: (args) => {
        widths.push((args.inputs as unknown as unknown[]).length);
        return inner.kernelFunc(args);
      },
    });
    undo = chunkAddN('cpu', 3);
  });
  after(() => {
    undo();
    tf.unregisterKernel('AddN', 'cpu');
    if (original) tf.registerKernel(original);
  });

  it('sums 29 tensors in rounds of at most 3 inputs, exactly as one sum', async () => {
    const terms = Array.from({ length: 29 }, (_, i) => tf.tensor1d([i, 2 * i, -i + 0.5]));
    const before = tf.memory().numTensors;
    const sum = tf.addN(terms);
    const got = Array.from(await sum.data());
    const n = 29;
    const total = (n * (n - 1)) / 2;
    assert.deepEqual(got, [total, 2 * total, -total + 0.5 * n]);
    // 29 → 10 → 4 → 2 → 1: the backend never sees more than three inputs at once
    assert.ok(widths.length >= 5, `calls: ${widths.join(',')}`);
    assert.ok(Math.max(...widths) <= 3, `widths: ${widths.join(',')}`);
    sum.dispose();
    // the partial sums of each round are released: only the result was added, and it is gone again
    assert.equal(tf.memory().numTensors, before);
    terms.forEach((t) => t.dispose());
  });

  it('keeps gradients through the chunked sum', async () => {
    const x = tf.scalar(3);
    const g = tf.grad((v: tf.Tensor) => tf.addN(Array.from({ length: 10 }, (_, i) => tf.mul(v, i + 1))))(x);
    assert.equal((await g.data())[0], 55);
    g.dispose();
    x.dispose();
  });
});

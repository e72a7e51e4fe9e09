// The memory estimate that refuses a run up front (src/trainer/memory.ts), against what tfjs itself counts: the
// peak of tf.memory().numBytes over a whole in-process run (tf.profile), on a few small configurations. The
// estimate must not exceed it (it refuses only what cannot fit) and must be within a factor of 1.5 of it (else it
// lets through runs that fail deep inside the backend). A finished run leaves no tensors behind.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { selectBackend } from '../../src/trainer/backend';
import { backendMemoryBytes, parameterCount, trainingBytes } from '../../src/trainer/memory';
import { loadTask, modelDims } from '../../src/trainer/setup';
import { train } from '../../src/trainer/trainer';
import { registerGradientsForTests } from './trainerSetup';

const FACTOR = 1.5;
const root = path.resolve(__dirname, '..', '..', '..');

const CONFIGS = [
  { model: { dModel: 16, layers: 1, heads: 2, mlpRatio: 2 }, promptsPerStep: 2, groupSize: 2, sftSteps: 0 },
  { model: { dModel: 32, layers: 2, heads: 4, mlpRatio: 4 }, promptsPerStep: 4, groupSize: 4, sftSteps: 3 },
  { model: { dModel: 64, layers: 2, heads: 4, mlpRatio: 4 }, promptsPerStep: 4, groupSize: 8, sftSteps: 0 },
  { model: { dModel: 128, layers: 1, heads: 4, mlpRatio: 4 }, promptsPerStep: 2, groupSize: 4, sftSteps: 3 },
];

describe('the memory estimate against tfjs’s own count', () => {
  before(async () => {
    registerGradientsForTests();
    await selectBackend('cpu');
  });

  for (const { sftSteps, ...c } of CONFIGS) {
    it(`d=${c.model.dModel} × ${c.model.layers} layers, ${c.promptsPerStep} × ${c.groupSize} sequences, ${sftSteps} SFT steps`, async () => {
      const config = RunConfigSchema.parse({
        task: 'sorting',
        digits: 3,
        steps: 2,
        backend: 'cpu',
        ...c,
        sft: { maxSteps: sftSteps, batchSize: 8, evalEvery: 100, targetAccuracy: 0.99 },
        eval: { every: 100, size: 4, temperature: 0.6 },
        checkpointEvery: 100,
      });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-memory-'));
      try {
        const loaded = await loadTask(config, root);
        const dims = modelDims(config, loaded.task, loaded.task.tokenizer.size);
        const held = tf.memory().numBytes;
        let status = '';
        const profile = await tf.profile(async () => {
          status = (await train({ config, configFile: null, baseDir: root, runsDir: dir })).status;
          return [];
        });
        assert.equal(status, 'completed');
        const measured = profile.peakBytes - held;
        const estimate = trainingBytes(config, dims);
        const figures = `estimate ${estimate} B, measured peak ${measured} B (${parameterCount(dims)} parameters)`;
        assert.ok(estimate <= measured, `the estimate exceeds what the run used: ${figures}`);
        assert.ok(
          measured <= FACTOR * estimate,
          `the run used more than ${FACTOR}× the estimate: ${figures}`,
        );
        // Nothing of the run stays in tfjs: not its parameters, not the optimizer's moments.
        assert.ok(
          tf.memory().numBytes - held < 4 * parameterCount(dims),
          `${tf.memory().numBytes - held} B left`,
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('lets the default run (the README demo) through on wasm, with room to spare', async () => {
    const config = RunConfigSchema.parse({});
    const loaded = await loadTask(config, root);
    const needed = trainingBytes(config, modelDims(config, loaded.task, loaded.task.tokenizer.size));
    assert.ok(needed < backendMemoryBytes('wasm') / 4, `${needed} B`);
  });
});

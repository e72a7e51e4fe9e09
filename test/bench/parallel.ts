// Both cores, measured before built: what data-parallel RL steps could gain here. The demo's step (N = 16 prompts ×
// G = 8) runs on one worker thread with the whole batch, then as two worker threads at once, each with its own wasm
// instance and half the prompts, as a data-parallel trainer would split it. The gain is the one-worker step over the
// slower of the two half steps; the gradient all-reduce it would add is timed apart (the sum of two gradients of the
// model's size in shared memory).
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import type { ParallelWorkerData } from './parallelWorker';

const PROMPTS = 16;
const STEPS = 5;
/** The demo model's parameters, and SmolLM2-135M's. */
const MODEL_SIZES: [string, number][] = [
  ['demo model, 104.5k', 104_512],
  ['135M shape', 134_515_008],
];

interface StepMs {
  sampling: number;
  update: number;
  total: number;
}

function runWorker(data: ParallelWorkerData): Promise<StepMs> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'parallelWorker.js'), { workerData: data });
    worker.once('message', (m: StepMs | { error: string }) => {
      void worker.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    worker.once('error', reject);
  });
}

/** Median ms (of 11, the first ones warming the loop up) of summing two gradients of `size` floats into a shared buffer. */
function allReduceMs(size: number): number {
  const shared = new Float32Array(new SharedArrayBuffer(size * 4));
  const other = new Float32Array(size).fill(1);
  const times: number[] = [];
  for (let r = 0; r < 11; r++) {
    const t0 = performance.now();
    for (let i = 0; i < size; i++) shared[i]! += other[i]!;
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[5]!;
}

const fmt = (m: StepMs) =>
  `step ${m.total.toFixed(0)} ms (sampling ${m.sampling.toFixed(0)}, update ${m.update.toFixed(0)})`;

export async function run(): Promise<void> {
  console.log(
    `  ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}; medians of ${STEPS} steps after one warm-up`,
  );
  const one = await runWorker({ promptsPerStep: PROMPTS, seed: 1, steps: STEPS });
  const halves = await Promise.all([
    runWorker({ promptsPerStep: PROMPTS / 2, seed: 1, steps: STEPS }),
    runWorker({ promptsPerStep: PROMPTS / 2, seed: 2, steps: STEPS }),
  ]);
  const slower = halves.reduce((a, b) => (a.total >= b.total ? a : b));
  console.log(`  one worker, ${PROMPTS} prompts: ${fmt(one)}`);
  console.log(`  two workers at once, ${PROMPTS / 2} prompts each: ${halves.map(fmt).join('; ')}`);
  console.log(
    `  data-parallel gain (one worker's step / the slower half): ${(one.total / slower.total).toFixed(2)}× ` +
      `(sampling ${(one.sampling / slower.sampling).toFixed(2)}×, update ${(one.update / slower.update).toFixed(2)}×)`,
  );
  for (const [name, size] of MODEL_SIZES) {
    console.log(`  all-reduce it would add, ${name} parameters: ${allReduceMs(size).toFixed(2)} ms per step`);
  }
}

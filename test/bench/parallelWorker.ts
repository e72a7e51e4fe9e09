// One worker thread of the data-parallel measurement (parallel.ts): its own tfjs wasm instance runs RL steps of the
// demo configuration on its share of the prompts and posts the median timings back.
import { parentPort, workerData } from 'node:worker_threads';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { selectBackend } from '../../src/trainer/backend';
import { benchRlSteps } from '../../src/trainer/bench';
import { registerGradientsForTests } from '../unit/trainerSetup';

export interface ParallelWorkerData {
  readonly promptsPerStep: number;
  readonly seed: number;
  readonly steps: number;
}

async function main(): Promise<void> {
  const { promptsPerStep, seed, steps } = workerData as ParallelWorkerData;
  registerGradientsForTests();
  await selectBackend('wasm');
  const figures = await benchRlSteps(RunConfigSchema.parse({ promptsPerStep, seed }), 1, steps);
  parentPort?.postMessage(figures.ms);
}

main().catch((err: unknown) => parentPort?.postMessage({ error: String(err) }));

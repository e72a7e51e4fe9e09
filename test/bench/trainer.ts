// Trainer speed: every backend that starts here, next to the machine's matmul peak and PyTorch (see src/trainer/bench.ts).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { runTrainerBench } from '../../src/trainer/bench';
import { registerGradientsForTests } from '../unit/trainerSetup';

export async function run(): Promise<void> {
  registerGradientsForTests();
  // The reference figures run in the Python tier's venv (PyPI numpy with its OpenBLAS, torch), created on first use.
  const root = path.resolve(__dirname, '..', '..', '..');
  const python = execFileSync('bash', [path.join(root, 'test', 'harness', 'pythonEnv.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  await runTrainerBench({
    backends: ['tensorflow', 'webgpu', 'wasm', 'cpu'],
    torchDevice: 'cpu',
    python,
    print: (line) => console.log(line),
  });
}

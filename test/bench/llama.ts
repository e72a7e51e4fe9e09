// The 135M-parameter Llama shape on wasm next to PyTorch CPU (1 and 2 threads): see src/cli/benchLlama.ts.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { runLlamaBench } from '../../src/cli/benchLlama';
import { registerGradientsForTests } from '../unit/trainerSetup';

export async function run(): Promise<void> {
  registerGradientsForTests();
  // transformers and peft come from the Python tier's venv (created on first use).
  const root = path.resolve(__dirname, '..', '..', '..');
  const python = execFileSync('bash', [path.join(root, 'test', 'harness', 'pythonEnv.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  await runLlamaBench({ backend: 'wasm', torchDevice: 'cpu', python, print: (line) => console.log(line) });
}

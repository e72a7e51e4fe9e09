// Trainer speed: every backend that starts here, next to the machine's matmul peak and PyTorch (see src/trainer/bench.ts).
import { runTrainerBench } from '../../src/trainer/bench';
import { registerGradientsForTests } from '../unit/trainerSetup';

export async function run(): Promise<void> {
  registerGradientsForTests();
  await runTrainerBench({
    backends: ['tensorflow', 'webgpu', 'wasm', 'cpu'],
    torchDevice: 'cpu',
    print: (line) => console.log(line),
  });
}

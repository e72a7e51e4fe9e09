// `bnpo bench`: the trainer's speed on this machine (see ../trainer/bench.ts); `--json FILE` also writes the figures.
// `--llama`: a random model of SmolLM2-135M's shape through src/models instead (see ./benchLlama.ts).
import * as fs from 'node:fs';
import { runTrainerBench, type BenchOptions } from '../trainer/bench';
import { runLlamaBench } from './benchLlama';
import { parseCommandLine, UsageError } from './usage';

const HELP = `usage: bnpo bench [--backends webgpu,wasm,cpu] [--torch-device cpu|cuda] [--python PATH] [--json FILE]
       bnpo bench --llama [--backends ONE] [--torch-device cpu|cuda] [--python PATH]

  --llama         a random Llama of SmolLM2-135M's shape (LoRA sampling and train step) on one backend (default
                  wasm), next to transformers + peft in PyTorch (CPU: 1 and 2 threads)
  --python PATH   the Python (with numpy and torch) for the matmul peak and the PyTorch step; default: the
                  first python3 on PATH, then /usr/bin/python3, that has them. Nothing is installed.`;
const KNOWN = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      backends: { type: 'string' },
      'torch-device': { type: 'string' },
      python: { type: 'string' },
      json: { type: 'string' },
      llama: { type: 'boolean' },
    },
    HELP,
  );
  if (parsed === undefined) return 0;
  const { values } = parsed;
  const names = (values.backends ?? (values.llama === true ? 'wasm' : 'tensorflow,webgpu,wasm,cpu'))
    .split(',')
    .map((s) => s.trim());
  const unknown = names.filter((n) => !(KNOWN as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new UsageError(`unknown backend ${unknown.join(', ')}; known: ${KNOWN.join(', ')}`);
  const device = values['torch-device'] ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw new UsageError(`--torch-device must be cpu or cuda`);
  const python = values.python;
  if (python !== undefined && !fs.existsSync(python))
    throw new UsageError(`--python ${python}: no such file`);
  const print = (line: string) => process.stdout.write(line + '\n');
  if (values.llama === true) {
    const [backend, ...more] = names as BenchOptions['backends'][number][];
    if (backend === undefined || more.length > 0)
      throw new UsageError('--llama runs on one backend: give --backends NAME');
    if (values.json !== undefined) throw new UsageError('--json is not written for --llama');
    await runLlamaBench({ backend, torchDevice: device, ...(python !== undefined ? { python } : {}), print });
    return 0;
  }
  const result = await runTrainerBench({
    backends: names as BenchOptions['backends'],
    torchDevice: device,
    ...(python !== undefined ? { python } : {}),
    print,
  });
  if (values.json !== undefined) fs.writeFileSync(values.json, JSON.stringify(result, null, 2) + '\n');
  return 0;
}

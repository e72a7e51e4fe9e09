// `bnpo bench`: the trainer's speed on this machine (see ../bench.ts); `--json FILE` also writes the figures.
import * as fs from 'node:fs';
import { runTrainerBench, type BenchOptions } from '../trainer/bench';
import { parseCommandLine, UsageError } from './usage';

const HELP = `usage: bnpo bench [--backends webgpu,wasm,cpu] [--torch-device cpu|cuda] [--python PATH] [--json FILE]

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
    },
    HELP,
  );
  if (parsed === undefined) return 0;
  const { values } = parsed;
  const names = (values.backends ?? 'tensorflow,webgpu,wasm,cpu').split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(KNOWN as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new UsageError(`unknown backend ${unknown.join(', ')}; known: ${KNOWN.join(', ')}`);
  const device = values['torch-device'] ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw new UsageError(`--torch-device must be cpu or cuda`);
  const python = values.python;
  if (python !== undefined && !fs.existsSync(python))
    throw new UsageError(`--python ${python}: no such file`);
  const result = await runTrainerBench({
    backends: names as BenchOptions['backends'],
    torchDevice: device,
    ...(python !== undefined ? { python } : {}),
    print: (line) => process.stdout.write(line + '\n'),
  });
  if (values.json !== undefined) fs.writeFileSync(values.json, JSON.stringify(result, null, 2) + '\n');
  return 0;
}

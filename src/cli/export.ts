// `bnpo export RUN [--step N] --format peft|merged --out DIR`: a run's checkpoint of a Hugging Face model as a PEFT
// adapter (adapter_config.json + adapter_model.safetensors, for a LoRA run) or a merged model folder that
// transformers and vLLM load (the adapters folded in, float32 safetensors, the base folder's config and tokenizer).
// The folder is written beside DIR and renamed into place, so a failed export leaves nothing half-written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportMerged, exportPeftAdapter } from '../models/export';
import { BACKEND_NAMES, type BackendName } from '../protocol/runConfig';
import { isRunDir } from '../runDir/layout';
import { selectBackend } from '../trainer/backend';
import { openRunModel } from './runModel';
import { parseRunCommand, UsageError } from './usage';
import { explainUserErrors } from './userErrors';

const FORMATS = ['peft', 'merged'] as const;

const HELP = `usage: bnpo export RUN_DIR [--step N] --format peft|merged --out DIR [--backend NAME]

  RUN_DIR          a run that trained a Hugging Face model folder (model.path)
  --step N         the checkpoint of RL step N (default: the newest valid one)
  --format peft    a PEFT LoRA adapter: adapter_config.json + adapter_model.safetensors (LoRA runs)
  --format merged  a model folder: the adapters folded into the weights (float32), config and tokenizer files
  --out DIR        where to write it (must not exist, or be empty)
  --backend NAME   ${BACKEND_NAMES.join(', ')} (default cpu)`;

function emptyOrAbsent(dir: string): boolean {
  return !fs.existsSync(dir) || (fs.statSync(dir).isDirectory() && fs.readdirSync(dir).length === 0);
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseRunCommand(
    argv,
    {
      step: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string' },
    },
    HELP,
  );
  if (parsed === undefined) return 0;
  const { values, runDir } = parsed;
  const format = values.format as (typeof FORMATS)[number] | undefined;
  if (format === undefined || !FORMATS.includes(format))
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  if (values.out === undefined) throw new UsageError('--out DIR is required');
  const backend = (values.backend ?? 'cpu') as BackendName;
  if (!BACKEND_NAMES.includes(backend))
    throw new UsageError(`--backend '${backend}' is not one of ${BACKEND_NAMES.join(', ')}`);
  const out = path.resolve(values.out);
  if (!emptyOrAbsent(out)) throw new UsageError(`${out}: exists and is not empty`);
  if (!isRunDir(runDir)) throw new UsageError(`${runDir}: not a run directory (no run.json)`);
  return explainUserErrors(async () => {
    const opened = await openRunModel(runDir, values.step);
    if (format === 'peft' && opened.info.lora === null)
      throw new UsageError(`${runDir}: trained every weight, not LoRA adapters: use --format merged`);
    await selectBackend(backend);
    const { model, lora, folder, step } = opened.load();
    const staging = `${out}.partial-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    try {
      if (format === 'peft') await exportPeftAdapter(lora!, folder, staging);
      else await exportMerged(model, lora, folder, staging);
      fs.rmSync(out, { recursive: true, force: true });
      fs.renameSync(staging, out);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
      lora?.dispose();
      model.dispose();
    }
    process.stdout.write(`${out}: ${format === 'peft' ? 'PEFT adapter' : 'merged model'} of step ${step}\n`);
    return 0;
  });
}

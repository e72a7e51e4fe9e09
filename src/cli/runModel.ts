// A run's Hugging Face model at one of its checkpoints, for `bnpo export` and `bnpo generate --model RUN`: the base
// folder run.json names (refused when its config.json changed since), the trained tensors (LoRA factors, or every
// weight) read from the checkpoint. The memory pre-flight runs on the folder's config before a weight is read.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ModelFolder, openModelFolder, readWeights } from '../models/folder';
import { CausalLM } from '../models/llama';
import { Lora } from '../models/lora';
import type { ModelInfo } from '../protocol/runDir';
import { requireRunInfo } from '../runDir/runInfo';
import { loadCheckpointWeights } from '../trainer/checkpointWeights';
import { Rng } from '../trainer/rng';
import { chooseCheckpoint } from './eval';
import { UsageError } from './usage';

export interface RunModel {
  readonly folder: ModelFolder;
  readonly model: CausalLM;
  readonly lora: Lora | undefined;
  readonly info: ModelInfo;
  /** The checkpoint read, and its RL step. */
  readonly checkpoint: string;
  readonly step: number;
}

/** The run's model folder (metadata only) and checkpoint; `load` then reads the weights. */
export async function openRunModel(
  runDir: string,
  step: string | undefined,
): Promise<{ folder: ModelFolder; info: ModelInfo; checkpoint: string; load: () => RunModel }> {
  const run = requireRunInfo(runDir);
  const info = run.modelInfo;
  if (info?.path == null || info.configSha256 === null)
    throw new UsageError(
      `${runDir}: trained the built-in GPT-style model, which has no Hugging Face form (use model.path, or model.architecture llama)`,
    );
  const checkpoint = chooseCheckpoint(runDir, step);
  const folder = await openModelFolder(info.path);
  const sha = crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(info.path, 'config.json')))
    .digest('hex');
  if (sha !== info.configSha256)
    throw new UsageError(
      `${info.path}/config.json changed since the run trained on it (SHA-256 ${sha.slice(0, 12)}…)`,
    );
  const load = (): RunModel => {
    const model = new CausalLM(folder.config, readWeights(info.path!), { trainable: info.lora === null });
    const lora = info.lora === null ? undefined : new Lora(model, info.lora, new Rng(0));
    const data = loadCheckpointWeights(lora?.params ?? model.params, checkpoint);
    return { folder, model, lora, info, checkpoint, step: data.meta.step };
  };
  return { folder, info, checkpoint, load };
}

// Folder → network: the folder's metadata first (cheap, validated), then the weights into a CausalLM.
import { openModelFolder, type ModelFolder, readWeights } from './folder';
import { CausalLM } from './llama';

export interface LoadedModel {
  readonly folder: ModelFolder;
  readonly model: CausalLM;
}

/** `trainable` makes every base weight a trainable variable (full fine-tuning); LoRA keeps them frozen. */
export async function loadModel(
  dir: string,
  { trainable = false }: { trainable?: boolean } = {},
): Promise<LoadedModel> {
  const folder = await openModelFolder(dir);
  const model = new CausalLM(folder.config, readWeights(dir), { trainable });
  return { folder, model };
}

// Which policy a run trains: the built-in transformer (its memory checked from its dimensions), or the Hugging Face
// model folder `model.path` (its memory pre-flight done from config.json, on the backend the run will use, before
// a weight is read). Both problems are the user's: one line, before the run folder exists.
import { ModelConfigError } from '../models/config';
import { ChatTemplateError } from '../models/chatTemplate';
import { ModelFolderError } from '../models/folder';
import { builtinLlamaFolder, type LlamaDesign } from '../models/builtinFolder';
import { hfModelSpec, type HfModelSpec, hfPolicySource, ModelRunError } from '../models/policy';
import { SafetensorsError } from '../models/safetensors';
import type { BackendName, RunConfig } from '../protocol/runConfig';
import { selectBackend } from './backend';
import { builtinPolicySource } from './builtinPolicy';
import { checkMemory } from './memory';
import type { PolicySource } from './policy';
import { ConfigError, type LoadedTask, modelDims } from './setup';

/** Held-out prompts whose token length sizes the pre-flight's sequences. */
const PROMPTS_MEASURED = 64;

/** A model folder's problem (unreadable, unsupported, too large): the user's to fix. */
export function isModelProblem(err: unknown): err is Error {
  return (
    err instanceof ModelFolderError ||
    err instanceof ModelConfigError ||
    err instanceof SafetensorsError ||
    err instanceof ChatTemplateError ||
    err instanceof ModelRunError
  );
}

/** The built-in llama model's θ and MLP width, which the run config's schema sets whenever architecture is llama. */
function llamaDesign(config: RunConfig): LlamaDesign {
  const { ropeTheta, intermediateSize } = config.model;
  if (ropeTheta === undefined || intermediateSize === undefined)
    throw new Error('model.ropeTheta and model.intermediateSize are set by the run config schema for llama');
  return { ropeTheta, intermediateSize };
}

/** `backend` (default: the config's) is the one the run or command uses; a model folder is checked against it. */
export async function policySource(
  config: RunConfig,
  loaded: LoadedTask,
  baseDir: string,
  backendName: BackendName = config.backend,
): Promise<PolicySource> {
  const { task } = loaded;
  if (config.model.path === undefined && config.model.architecture !== 'llama') {
    checkMemory(config, modelDims(config, task, task.tokenizer.size));
    return builtinPolicySource(config, loaded);
  }
  const spec: HfModelSpec =
    config.model.path !== undefined
      ? hfModelSpec(config, baseDir)
      : {
          dir: builtinLlamaFolder(
            modelDims(config, task, task.tokenizer.size),
            llamaDesign(config),
            task.tokenizer.vocab,
            config.seed,
          ),
          lora: undefined,
          chatTemplate: false,
        };
  const maxNew = config.maxNewTokens ?? task.maxNew;
  const rows = Math.max(
    config.microBatch ?? config.groupSize * config.promptsPerStep,
    config.sft.maxSteps > 0 ? config.sft.batchSize : 0,
  );
  try {
    const backend = await selectBackend(backendName);
    return await hfPolicySource(spec, (tokenizer) => {
      const prompts = task.heldOut.slice(0, PROMPTS_MEASURED).map((e) => tokenizer.encodePrompt(e.prompt));
      const tokens = Math.max(1, ...prompts.map((p) => p.length)) + maxNew;
      return { rows, tokens, backend: backend.name };
    });
  } catch (err) {
    if (isModelProblem(err)) throw new ConfigError(err.message);
    throw err;
  }
}

// The built-in model as a Hugging Face folder (`model.architecture: "llama"`): a Llama-architecture config of the
// built-in dimensions, a character-level tokenizer.json of the task's vocabulary, and weights initialised as the
// built-in model's are (normal, std 0.02; residual projections scaled by 1/√(2·layers); norms at 1). It is made on
// the fly in a cache folder named by its content, so the same run config always finds (or remakes) the same
// folder, and trained through the same code as a user's model folder.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelDims } from '../trainer/model';
import { Rng } from '../trainer/rng';
import { charTokenizerFiles } from './charTokenizer';
import { parseModelConfig } from './config';
import { expectedWeights } from './llama';
import { type NamedTensor, writeSafetensors } from './safetensors';

/** Where made folders live: $XDG_CACHE_HOME (or ~/.cache)/bnpo-studio/builtin-models. */
export function builtinModelsDir(): string {
  const cache = process.env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache');
  return path.join(cache, 'bnpo-studio', 'builtin-models');
}

/** The llama-only fields of the run config, every one set (the run config's schema fills them). */
export interface LlamaDesign {
  readonly ropeTheta: number;
  readonly intermediateSize: number;
}

function llamaConfig(dims: ModelDims, design: LlamaDesign): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: dims.vocab,
    hidden_size: dims.dModel,
    intermediate_size: design.intermediateSize,
    num_hidden_layers: dims.layers,
    num_attention_heads: dims.heads,
    num_key_value_heads: dims.heads,
    max_position_embeddings: dims.context,
    rms_norm_eps: 1e-5,
    rope_theta: design.ropeTheta,
    tie_word_embeddings: dims.tiedOutput,
    hidden_act: 'silu',
    pad_token_id: 0,
    eos_token_id: 1,
    torch_dtype: 'float32',
  };
}

function initialWeights(
  config: Record<string, unknown>,
  layers: number,
  seed: number,
): Map<string, NamedTensor> {
  const rng = new Rng(seed);
  const out = new Map<string, NamedTensor>();
  for (const [name, shape] of expectedWeights(parseModelConfig(config))) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (name.endsWith('norm.weight')) values.fill(1);
    else {
      const residual = name.endsWith('o_proj.weight') || name.endsWith('down_proj.weight');
      const std = residual ? 0.02 / Math.sqrt(2 * layers) : 0.02;
      for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
    }
    out.set(name, { shape, values });
  }
  return out;
}

/** The folder for `dims` and `design` over `vocab` (the character vocabulary, <pad> and <eos> first) and `seed`; made if absent. */
export function builtinLlamaFolder(
  dims: ModelDims,
  design: LlamaDesign,
  vocab: readonly string[],
  seed: number,
): string {
  const config = llamaConfig({ ...dims, vocab: vocab.length }, design);
  const { tokenizer, tokenizerConfig } = charTokenizerFiles(vocab.slice(2).join(''));
  const files: Record<string, unknown> = {
    'config.json': config,
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': tokenizerConfig,
    'generation_config.json': { eos_token_id: 1, pad_token_id: 0 },
  };
  const texts = Object.entries(files).map(
    ([name, json]) => [name, JSON.stringify(json, null, 2) + '\n'] as const,
  );
  const id = crypto.createHash('sha256').update(JSON.stringify({ texts, seed })).digest('hex').slice(0, 16);
  const dir = path.join(builtinModelsDir(), `llama-${id}`);
  if (fs.existsSync(path.join(dir, 'model.safetensors'))) return dir;
  // Made beside its place and renamed in, so a folder that exists is complete.
  const staging = `${dir}.partial-${process.pid}`;
  fs.mkdirSync(staging, { recursive: true });
  for (const [name, text] of texts) fs.writeFileSync(path.join(staging, name), text);
  writeSafetensors(path.join(staging, 'model.safetensors'), initialWeights(config, dims.layers, seed));
  try {
    fs.renameSync(staging, dir);
  } catch (err) {
    // A folder is already there: another run made the same one first (the same content), or one was left
    // incomplete. A complete folder is never removed, since a run may be reading it.
    if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    if (fs.existsSync(path.join(dir, 'model.safetensors')))
      fs.rmSync(staging, { recursive: true, force: true });
    else {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(staging, dir);
    }
  }
  return dir;
}

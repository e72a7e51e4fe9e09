// Tiny Hugging Face model folders written from TypeScript (config.json + model.safetensors with random weights),
// so the unit tier needs neither Python nor a hub.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { charTokenizerFiles } from '../../src/models/charTokenizer';
import { parseModelConfig } from '../../src/models/config';
import { expectedWeights } from '../../src/models/llama';
import { type NamedTensor, writeSafetensors } from '../../src/models/safetensors';
import { Rng } from '../../src/trainer/rng';

export function tinyConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'qwen2',
    vocab_size: 32,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 64,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: true,
    eos_token_id: 1,
    ...overrides,
  };
}

export function randomWeights(config: Record<string, unknown>, seed: number): Map<string, NamedTensor> {
  const rng = new Rng(seed);
  const out = new Map<string, NamedTensor>();
  for (const [name, shape] of expectedWeights(parseModelConfig(config))) {
    const size = shape.reduce((a, b) => a * b, 1);
    const norm = name.endsWith('norm.weight');
    const values = Float32Array.from({ length: size }, () => (norm ? 1 : 0) + rng.normal() * 0.3);
    out.set(name, { shape, values });
  }
  return out;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `bnpo-${prefix}-`));
}

/** A model folder with random weights; returns its path. */
export function writeTinyModel(overrides: Record<string, unknown> = {}, seed = 1): string {
  const dir = tempDir('model');
  const config = tinyConfig(overrides);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  writeSafetensors(path.join(dir, 'model.safetensors'), randomWeights(config, seed));
  return dir;
}

/**
 * A tiny Llama-architecture folder with a character-level tokenizer over `alphabet` (ids as the built-in
 * CharTokenizer's: <pad> 0, <eos> 1) and random weights, as a run trains it.
 */
export function writeTinyCharModel(
  alphabet: string,
  overrides: Record<string, unknown> = {},
  seed = 1,
): string {
  const { tokenizer, tokenizerConfig } = charTokenizerFiles(alphabet);
  const vocab = Object.keys((tokenizer['model'] as { vocab: object }).vocab).length;
  const dir = writeTinyModel(
    { model_type: 'llama', tie_word_embeddings: false, vocab_size: vocab, eos_token_id: 1, ...overrides },
    seed,
  );
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
  return dir;
}

// A Hugging Face config.json reduced to the one shape our network needs. Llama (incl. SmolLM2, TinyLlama, Llama 3.x
// rope scaling), Qwen2/2.5 (q/k/v biases) and Qwen3 (q/k RMSNorm) differ only in a few switches, so they share one
// description; anything we cannot compute exactly is refused here, naming the field, before a weight is read.
import { z } from 'zod';

export type Architecture = 'llama' | 'qwen2' | 'qwen3';

/** How RoPE frequencies are rescaled (transformers' `rope_type`). */
export type RopeScaling =
  | { readonly type: 'default' }
  | { readonly type: 'linear'; readonly factor: number }
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMaxPositions: number;
    };

export interface ModelConfig {
  readonly architecture: Architecture;
  readonly vocab: number;
  readonly hidden: number;
  readonly intermediate: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly rmsEps: number;
  readonly ropeTheta: number;
  readonly ropeScaling: RopeScaling;
  readonly maxPositions: number;
  readonly tiedEmbeddings: boolean;
  /** Biases on q/k/v (Qwen2 always; Llama/Qwen3 when `attention_bias`); o_proj follows `attention_bias` only. */
  readonly qkvBias: boolean;
  readonly outputBias: boolean;
  readonly mlpBias: boolean;
  readonly qkNorm: boolean;
}

export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
}

const ropeDict = z.record(z.string(), z.unknown());

const rawConfig = z.looseObject({
  model_type: z.string(),
  vocab_size: z.number().int().positive(),
  hidden_size: z.number().int().positive(),
  intermediate_size: z.number().int().positive(),
  num_hidden_layers: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  num_key_value_heads: z.number().int().positive().nullish(),
  head_dim: z.number().int().positive().nullish(),
  hidden_act: z.string().optional(),
  rms_norm_eps: z.number().positive().optional(),
  rope_theta: z.number().positive().optional(),
  rope_scaling: ropeDict.nullish(),
  // transformers ≥ 5 writes theta and scaling together here.
  rope_parameters: ropeDict.nullish(),
  max_position_embeddings: z.number().int().positive().optional(),
  tie_word_embeddings: z.boolean().optional(),
  attention_bias: z.boolean().optional(),
  mlp_bias: z.boolean().optional(),
  use_sliding_window: z.boolean().optional(),
});
type RawConfig = z.infer<typeof rawConfig>;

const SUPPORTED: Record<string, Architecture> = { llama: 'llama', qwen2: 'qwen2', qwen3: 'qwen3' };

function num(dict: Record<string, unknown>, key: string, field: string): number {
  const v = dict[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ModelConfigError(`${field}.${key} must be a number`);
  return v;
}

function ropeScaling(raw: RawConfig): RopeScaling {
  const field = raw.rope_parameters ? 'rope_parameters' : 'rope_scaling';
  const dict = raw.rope_parameters ?? raw.rope_scaling;
  if (!dict) return { type: 'default' };
  const type = dict['rope_type'] ?? dict['type'] ?? 'default';
  if (type === 'default') return { type: 'default' };
  if (type === 'linear') return { type: 'linear', factor: num(dict, 'factor', field) };
  if (type === 'llama3') {
    return {
      type: 'llama3',
      factor: num(dict, 'factor', field),
      lowFreqFactor: num(dict, 'low_freq_factor', field),
      highFreqFactor: num(dict, 'high_freq_factor', field),
      originalMaxPositions: num(dict, 'original_max_position_embeddings', field),
    };
  }
  throw new ModelConfigError(
    `${field}.rope_type '${typeof type === 'string' ? type : JSON.stringify(type)}' is not supported (supported: default, linear, llama3)`,
  );
}

function ropeTheta(raw: RawConfig): number {
  const fromParams = raw.rope_parameters?.['rope_theta'];
  if (typeof fromParams === 'number') return fromParams;
  return raw.rope_theta ?? 10000;
}

/** Validates a parsed config.json; throws ModelConfigError with one line naming the offending field. */
export function parseModelConfig(json: unknown): ModelConfig {
  const parsed = rawConfig.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new ModelConfigError(`${where}: ${issue?.message ?? 'invalid'}`);
  }
  const raw = parsed.data;
  const architecture = SUPPORTED[raw.model_type];
  if (architecture === undefined) {
    throw new ModelConfigError(
      `model_type '${raw.model_type}' is not supported (supported: ${Object.keys(SUPPORTED).join(', ')})`,
    );
  }
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu') throw new ModelConfigError(`hidden_act '${act}' is not supported (only silu)`);
  if (raw.use_sliding_window === true) {
    throw new ModelConfigError('use_sliding_window: sliding-window attention is not supported');
  }
  const heads = raw.num_attention_heads;
  const kvHeads = raw.num_key_value_heads ?? heads;
  if (heads % kvHeads !== 0) {
    throw new ModelConfigError(`num_key_value_heads (${kvHeads}) must divide num_attention_heads (${heads})`);
  }
  const headDim = raw.head_dim ?? raw.hidden_size / heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new ModelConfigError(`head_dim (${headDim}) must be an even integer`);
  }
  const attentionBias = raw.attention_bias ?? false;
  return {
    architecture,
    vocab: raw.vocab_size,
    hidden: raw.hidden_size,
    intermediate: raw.intermediate_size,
    layers: raw.num_hidden_layers,
    heads,
    kvHeads,
    headDim,
    rmsEps: raw.rms_norm_eps ?? 1e-6,
    ropeTheta: ropeTheta(raw),
    ropeScaling: ropeScaling(raw),
    maxPositions: raw.max_position_embeddings ?? 2048,
    // Llama, Qwen2 and Qwen3 configs all default to untied.
    tiedEmbeddings: raw.tie_word_embeddings ?? false,
    qkvBias: architecture === 'qwen2' || attentionBias,
    outputBias: architecture !== 'qwen2' && attentionBias,
    mlpBias: raw.mlp_bias ?? false,
    qkNorm: architecture === 'qwen3',
  };
}

/** Parameter count of the dense weights (embeddings included once when tied). */
export function parameterCount(c: ModelConfig): number {
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const attn = c.hidden * q + 2 * c.hidden * kv + q * c.hidden;
  const bias = (c.qkvBias ? q + 2 * kv : 0) + (c.outputBias ? c.hidden : 0);
  const mlp = 3 * c.hidden * c.intermediate + (c.mlpBias ? 2 * c.intermediate + c.hidden : 0);
  const norms = 2 * c.hidden + (c.qkNorm ? 2 * c.headDim : 0);
  const perLayer = attn + bias + mlp + norms;
  const embed = c.vocab * c.hidden * (c.tiedEmbeddings ? 1 : 2);
  return c.layers * perLayer + embed + c.hidden;
}

// The decoder of Llama, Qwen2 and Qwen3 in tfjs-core ops: embeddings, pre-norm blocks (RMSNorm → attention with
// RoPE and grouped KV heads, optional q/k biases and q/k RMSNorm → residual; RMSNorm → SwiGLU MLP → residual), a
// final RMSNorm and the (possibly tied) output projection. One `run` serves the prompt and every cached step: keys
// and values of earlier calls sit in the KV cache and the mask is built for the new queries against all keys.
// Linear weights are kept transposed ([in, out]) so every product is a plain matMul (the fast path on wasm, see
// src/trainer/model.ts); names stay Hugging Face's so loading and export are a rename-free copy.
import * as tf from '@tensorflow/tfjs-core';
import { matMulByConstant, matMulPlain } from '../trainer/model';
import type { ModelConfig } from './config';
import { inverseFrequencies, rotaryTables } from './rope';
import type { NamedTensor } from './safetensors';

/** Per layer: keys and values after RoPE, [B, kvHeads, t, headDim]. */
export interface KvCache {
  readonly k: tf.Tensor4D[];
  readonly v: tf.Tensor4D[];
}

export function emptyCache(): KvCache {
  return { k: [], v: [] };
}

export function disposeCache(cache: KvCache): void {
  tf.dispose([...cache.k, ...cache.v]);
  cache.k.length = 0;
  cache.v.length = 0;
}

/** A low-rank update added to one linear layer's output: (dropout(x)·A)·B·scale. Supplied by lora.ts. */
export interface LinearDelta {
  apply(x: tf.Tensor2D, module: string, training: boolean): tf.Tensor2D | undefined;
}

export interface RunInput {
  /** [B, T] new token ids. */
  readonly ids: readonly (readonly number[])[];
  /** [B, T] their positions (left padding shifts them). */
  readonly positions: readonly (readonly number[])[];
  /** [B, past + T]: 1 for a real token, 0 for padding, over every cached key and the new ones. */
  readonly keyMask: readonly (readonly number[])[];
}

export interface RunOptions {
  /** Reads earlier keys/values and appends this call's; the caller owns (and disposes) it. */
  readonly cache?: KvCache;
  /** Logits for the last position of each row only, [B, V], instead of every position, [B·T, V]. */
  readonly lastOnly?: boolean;
  readonly training?: boolean;
}

const NEG = -1e9;
const LINEAR = /_proj\.weight$|^lm_head\.weight$/;

/** Hugging Face names of the linear layers each block has. */
export const ATTENTION_PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as const;
export const MLP_PROJECTIONS = ['gate_proj', 'up_proj', 'down_proj'] as const;

function transpose2d(t: NamedTensor): Float32Array {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.values[r * cols + c]!;
  return out;
}

/** The weight names a config implies, with their Hugging Face shapes. */
export function expectedWeights(c: ModelConfig): Map<string, number[]> {
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const out = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocab, c.hidden]]]);
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}`;
    out.set(`${p}.input_layernorm.weight`, [c.hidden]);
    const shapes: Record<string, [number, number]> = {
      q_proj: [q, c.hidden],
      k_proj: [kv, c.hidden],
      v_proj: [kv, c.hidden],
      o_proj: [c.hidden, q],
    };
    for (const [name, shape] of Object.entries(shapes)) {
      out.set(`${p}.self_attn.${name}.weight`, shape);
      const bias = name === 'o_proj' ? c.outputBias : c.qkvBias;
      if (bias) out.set(`${p}.self_attn.${name}.bias`, [shape[0]]);
    }
    if (c.qkNorm) {
      out.set(`${p}.self_attn.q_norm.weight`, [c.headDim]);
      out.set(`${p}.self_attn.k_norm.weight`, [c.headDim]);
    }
    out.set(`${p}.post_attention_layernorm.weight`, [c.hidden]);
    out.set(`${p}.mlp.gate_proj.weight`, [c.intermediate, c.hidden]);
    out.set(`${p}.mlp.up_proj.weight`, [c.intermediate, c.hidden]);
    out.set(`${p}.mlp.down_proj.weight`, [c.hidden, c.intermediate]);
    if (c.mlpBias) {
      out.set(`${p}.mlp.gate_proj.bias`, [c.intermediate]);
      out.set(`${p}.mlp.up_proj.bias`, [c.intermediate]);
      out.set(`${p}.mlp.down_proj.bias`, [c.hidden]);
    }
  }
  out.set('model.norm.weight', [c.hidden]);
  if (!c.tiedEmbeddings) out.set('lm_head.weight', [c.vocab, c.hidden]);
  return out;
}

/** Whether a parameter is stored transposed relative to its Hugging Face layout. */
export function isTransposed(name: string): boolean {
  return LINEAR.test(name);
}

export class CausalLM {
  /** By Hugging Face name; linear weights transposed to [in, out]. Ordered as expectedWeights. */
  readonly params: Map<string, tf.Variable>;
  private readonly invFreq: Float64Array;
  /** The tied output projection ([hidden, vocab]) while the embedding is frozen: transposed once, not per call. */
  private frozenHead: { readonly of: object; readonly t: tf.Tensor2D } | undefined;
  delta: LinearDelta | undefined;

  constructor(
    readonly config: ModelConfig,
    weights: ReadonlyMap<string, NamedTensor>,
    { trainable = false }: { trainable?: boolean } = {},
  ) {
    this.invFreq = inverseFrequencies(config);
    this.params = new Map();
    for (const [name, shape] of expectedWeights(config)) {
      const t = weights.get(name);
      if (t === undefined) throw new Error(`weights: '${name}' is missing (config.json implies it)`);
      if (t.shape.join(',') !== shape.join(',')) {
        throw new Error(
          `weights: '${name}' has shape [${t.shape.join(', ')}], config.json implies [${shape.join(', ')}]`,
        );
      }
      const value = isTransposed(name)
        ? tf.tensor(transpose2d(t), [shape[1]!, shape[0]!])
        : tf.tensor(t.values, shape);
      this.params.set(name, tf.variable(value, trainable));
      value.dispose();
    }
  }

  private p(name: string): tf.Tensor {
    const v = this.params.get(name);
    if (v === undefined) throw new Error(`missing parameter ${name}`);
    return v;
  }

  private linear(x: tf.Tensor2D, module: string, training: boolean): tf.Tensor2D {
    let y = matMulPlain(x, this.p(`${module}.weight`) as tf.Tensor2D);
    const bias = this.params.get(`${module}.bias`);
    if (bias !== undefined) y = tf.add(y, bias);
    const extra = this.delta?.apply(x, module, training);
    return extra === undefined ? y : tf.add(y, extra);
  }

  private rmsNorm<T extends tf.Tensor>(x: T, weight: string): T {
    const variance = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, this.config.rmsEps))), this.p(weight));
  }

  private embed(ids: number[]): tf.Tensor2D {
    const table = this.params.get('model.embed_tokens.weight')!;
    const idx = tf.tensor1d(ids, 'int32');
    // gather has no gradient on wasm: a trained table goes through oneHot × matMul instead.
    if (!table.trainable) return tf.gather(table, idx) as tf.Tensor2D;
    return matMulPlain(tf.oneHot(idx, this.config.vocab) as tf.Tensor2D, table as tf.Tensor2D);
  }

  private logits(x: tf.Tensor2D): tf.Tensor2D {
    const y = this.rmsNorm(x, 'model.norm.weight');
    if (!this.config.tiedEmbeddings) return matMulPlain(y, this.p('lm_head.weight') as tf.Tensor2D);
    const table = this.params.get('model.embed_tokens.weight')! as tf.Variable<tf.Rank.R2>;
    // A trained table's transpose is part of the graph (its gradient reaches the embedding).
    if (table.trainable) return matMulPlain(y, tf.transpose(table));
    // A frozen one is a constant: no weight gradient (on a 49k-token vocabulary that product is [hidden, vocab]),
    // and the backward multiplies by the table itself, so nothing is transposed there either.
    return matMulByConstant(y, this.frozenHeadOf(table), table);
  }

  /** The frozen tied head ([hidden, vocab]), transposed once: on a 49k vocabulary that costs more than the product. */
  private frozenHeadOf(table: tf.Variable<tf.Rank.R2>): tf.Tensor2D {
    // Keyed by the table's storage: assigning the variable (a checkpoint loaded) gives it new storage.
    if (this.frozenHead?.of !== table.dataId) {
      this.frozenHead?.t.dispose();
      this.frozenHead = { of: table.dataId, t: tf.keep(tf.transpose(table)) };
    }
    return this.frozenHead.t;
  }

  /** Rotates [B, T, heads, hd] by the positions' angles. */
  private rope(x: tf.Tensor4D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
    const half = this.config.headDim / 2;
    const [x1, x2] = tf.split(x, [half, half], 3) as [tf.Tensor4D, tf.Tensor4D];
    const rotated = tf.concat([tf.neg(x2), x1], 3);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
  }

  private attention(
    x: tf.Tensor2D,
    l: number,
    shape: { batch: number; time: number },
    tables: { cos: tf.Tensor; sin: tf.Tensor; bias: tf.Tensor },
    options: RunOptions,
  ): tf.Tensor2D {
    const c = this.config;
    const { batch, time } = shape;
    const training = options.training ?? false;
    const p = `model.layers.${l}.self_attn`;
    const group = c.heads / c.kvHeads;
    const split = (t: tf.Tensor2D, heads: number) =>
      tf.reshape<tf.Rank.R4>(t, [batch, time, heads, c.headDim]);
    let q = split(this.linear(x, `${p}.q_proj`, training), c.heads);
    let k = split(this.linear(x, `${p}.k_proj`, training), c.kvHeads);
    const v1 = split(this.linear(x, `${p}.v_proj`, training), c.kvHeads);
    if (c.qkNorm) {
      q = this.rmsNorm(q, `${p}.q_norm.weight`);
      k = this.rmsNorm(k, `${p}.k_norm.weight`);
    }
    q = this.rope(q, tables.cos, tables.sin);
    k = this.rope(k, tables.cos, tables.sin);
    let keys = tf.transpose<tf.Tensor4D>(k, [0, 2, 1, 3]);
    let values = tf.transpose<tf.Tensor4D>(v1, [0, 2, 1, 3]);
    const cache = options.cache;
    if (cache !== undefined) {
      const pastK = cache.k[l];
      const pastV = cache.v[l];
      if (pastK !== undefined && pastV !== undefined) {
        keys = tf.concat([pastK, keys], 2);
        values = tf.concat([pastV, values], 2);
        pastK.dispose();
        pastV.dispose();
      }
      cache.k[l] = tf.keep(keys);
      cache.v[l] = tf.keep(values);
    }
    // Query heads kv·g … kv·g+g−1 share KV head kv: fold them into the rows of one matMul per KV head.
    const queries = tf.reshape(tf.transpose(q, [0, 2, 1, 3]), [batch, c.kvHeads, group * time, c.headDim]);
    const scores = tf.add(
      tf.mul(tf.matMul(queries, keys, false, true), 1 / Math.sqrt(c.headDim)),
      tables.bias,
    );
    const mixed = tf.matMul(tf.softmax(scores), values);
    const heads = tf.transpose(tf.reshape(mixed, [batch, c.heads, time, c.headDim]), [0, 2, 1, 3]);
    return this.linear(
      tf.reshape<tf.Rank.R2>(heads, [batch * time, c.heads * c.headDim]),
      `${p}.o_proj`,
      training,
    );
  }

  private mlp(x: tf.Tensor2D, l: number, training: boolean): tf.Tensor2D {
    const p = `model.layers.${l}.mlp`;
    const gate = this.linear(x, `${p}.gate_proj`, training);
    const up = this.linear(x, `${p}.up_proj`, training);
    return this.linear(tf.mul(tf.mul(gate, tf.sigmoid(gate)), up), `${p}.down_proj`, training);
  }

  /** Additive mask [B, 1, g·T, past + T]: causal over the new queries, and padding keys hidden. */
  private maskBias(input: RunInput, past: number): tf.Tensor4D {
    const batch = input.ids.length;
    const time = input.ids[0]?.length ?? 0;
    const total = past + time;
    const group = this.config.heads / this.config.kvHeads;
    const bias = new Float32Array(batch * group * time * total);
    for (let b = 0; b < batch; b++) {
      const keep = input.keyMask[b]!;
      if (keep.length !== total)
        throw new Error(`keyMask row ${b} has ${keep.length} entries, expected ${total}`);
      for (let g = 0; g < group; g++) {
        for (let t = 0; t < time; t++) {
          const row = ((b * group + g) * time + t) * total;
          for (let j = 0; j < total; j++) if (j > past + t || keep[j] === 0) bias[row + j] = NEG;
        }
      }
    }
    return tf.tensor4d(bias, [batch, 1, group * time, total]);
  }

  /** Logits for the new tokens; see RunInput and RunOptions. */
  run(input: RunInput, options: RunOptions = {}): tf.Tensor2D {
    const c = this.config;
    const batch = input.ids.length;
    const time = input.ids[0]?.length ?? 0;
    const past = options.cache?.k[0]?.shape[2] ?? 0;
    const { cos, sin } = rotaryTables(input.positions.flat(), this.invFreq);
    const tables = {
      cos: tf.tensor4d(cos, [batch, time, 1, c.headDim]),
      sin: tf.tensor4d(sin, [batch, time, 1, c.headDim]),
      bias: this.maskBias(input, past),
    };
    let x = this.embed(input.ids.flat());
    for (let l = 0; l < c.layers; l++) {
      const attn = this.attention(
        this.rmsNorm(x, `model.layers.${l}.input_layernorm.weight`),
        l,
        { batch, time },
        tables,
        options,
      );
      x = tf.add(x, attn);
      const normed = this.rmsNorm(x, `model.layers.${l}.post_attention_layernorm.weight`);
      x = tf.add(x, this.mlp(normed, l, options.training ?? false));
    }
    if (options.lastOnly === true) {
      x = tf.reshape<tf.Rank.R2>(
        tf.slice(tf.reshape(x, [batch, time, c.hidden]), [0, time - 1, 0], [batch, 1, c.hidden]),
        [batch, c.hidden],
      );
    }
    return this.logits(x);
  }

  /** The weights in Hugging Face layout (linear weights transposed back), for export. */
  async hfWeights(): Promise<Map<string, NamedTensor>> {
    const out = new Map<string, NamedTensor>();
    for (const [name, v] of this.params) {
      const values = (await v.data()) as Float32Array;
      if (!isTransposed(name)) {
        out.set(name, { shape: [...v.shape], values: values.slice() });
        continue;
      }
      const t = { shape: [...v.shape], values };
      out.set(name, { shape: [v.shape[1]!, v.shape[0]], values: transpose2d(t) });
    }
    return out;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.frozenHead?.t.dispose();
    this.frozenHead = undefined;
  }
}

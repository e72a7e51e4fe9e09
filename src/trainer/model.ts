// The policy: a decoder-only transformer (token + position embeddings, pre-norm blocks with causal self-attention
// and a ReLU MLP, final norm, tied or untied output). Written against tfjs-core ops so it runs on every backend.
// Speed notes (../notes/tfjs.md): embeddings are oneHot × matMul because gather has no gradient on wasm, and every
// dense layer is a customGrad matMul whose backward uses explicit transposes then plain matMuls, which XNNPACK runs.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from './rng';

export interface ModelDims {
  readonly vocab: number;
  readonly context: number;
  readonly dModel: number;
  readonly layers: number;
  readonly heads: number;
  readonly mlpRatio: number;
  readonly tiedOutput: boolean;
}

/** Keys and values of every layer so far, [B, H, t, dh] each. */
export interface KvCache {
  readonly k: tf.Tensor4D[];
  readonly v: tf.Tensor4D[];
}

const NEG = -1e9;

/** y = x·W with a backward made of plain matMuls (dx = dy·Wᵀ, dW = xᵀ·dy, transposes materialised first). */
const matMulBoth = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * y = x·W for a constant W: a frozen variable (e.g. a LoRA base weight) or a tensor with no gradient of its own (a
 * frozen tied output projection, W = embeddingᵀ). W is closed over rather than an input, so the backward computes dx
 * only: a custom gradient computes every input's gradient eagerly, and dW of a frozen weight is a third of the step's
 * products thrown away. Given `wT` (W's transpose, e.g. the embedding itself), the backward transposes nothing.
 */
export function matMulByConstant(x: tf.Tensor2D, w: tf.Tensor2D, wT?: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn] = args as [tf.Tensor2D];
    return {
      value: tf.matMul(xIn, w),
      gradFunc: (dy: tf.Tensor2D) => tf.matMul(dy, wT ?? tf.transpose(w)),
    };
  }) as (x: tf.Tensor2D) => tf.Tensor2D;
  return f(x);
}

/** y = x·W whose backward is plain matMuls (XNNPACK's fast path on wasm); no dW for a frozen variable. */
export function matMulPlain(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return w instanceof tf.Variable && !w.trainable ? matMulByConstant(x, w) : matMulBoth(x, w);
}

export class Policy {
  readonly dims: ModelDims;
  /** Ordered: checkpoints and the optimizer rely on this order. */
  readonly params: Map<string, tf.Variable>;

  constructor(dims: ModelDims, rng: Rng) {
    if (dims.dModel % dims.heads !== 0) throw new Error('heads must divide dModel');
    this.dims = dims;
    this.params = new Map();
    const d = dims.dModel;
    const h = d * dims.mlpRatio;
    const std = 0.02;
    const residualStd = std / Math.sqrt(2 * dims.layers);
    const add = (name: string, shape: number[], init: 'zeros' | 'ones' | number) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      if (init === 'ones') values.fill(1);
      else if (init !== 'zeros') for (let i = 0; i < size; i++) values[i] = rng.normal() * init;
      // Unnamed: tfjs variable names are process-wide, and several policies may live in one process. In a scope:
      // a variable shares its initial tensor's data, which would otherwise outlive dispose().
      this.params.set(
        name,
        tf.tidy(() => tf.variable(tf.tensor(values, shape), true)),
      );
    };
    add('wte', [dims.vocab, d], std);
    add('wpe', [dims.context, d], std);
    for (let l = 0; l < dims.layers; l++) {
      add(`h${l}.ln1.g`, [d], 'ones');
      add(`h${l}.ln1.b`, [d], 'zeros');
      add(`h${l}.attn.wqkv`, [d, 3 * d], std);
      add(`h${l}.attn.bqkv`, [3 * d], 'zeros');
      add(`h${l}.attn.wo`, [d, d], residualStd);
      add(`h${l}.attn.bo`, [d], 'zeros');
      add(`h${l}.ln2.g`, [d], 'ones');
      add(`h${l}.ln2.b`, [d], 'zeros');
      add(`h${l}.mlp.w1`, [d, h], std);
      add(`h${l}.mlp.b1`, [h], 'zeros');
      add(`h${l}.mlp.w2`, [h, d], residualStd);
      add(`h${l}.mlp.b2`, [d], 'zeros');
    }
    add('lnf.g', [d], 'ones');
    add('lnf.b', [d], 'zeros');
    if (!dims.tiedOutput) add('head', [d, dims.vocab], std);
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (v === undefined) throw new Error(`missing parameter ${name}`);
    return v;
  }

  /** Multiply-adds of one token through the dense layers (forward), for FLOP accounting. */
  denseMacsPerToken(): number {
    const { dModel: d, mlpRatio, layers, vocab } = this.dims;
    return layers * (3 * d * d + d * d + 2 * d * d * mlpRatio) + 2 * d * vocab;
  }

  private linear(x: tf.Tensor2D, w: string, b?: string): tf.Tensor2D {
    const y = matMulPlain(x, this.p(w) as tf.Tensor2D);
    return b === undefined ? y : tf.add(y, this.p(b));
  }

  private layerNorm(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
    return tf.add(tf.mul(normed, this.p(`${prefix}.g`)), this.p(`${prefix}.b`));
  }

  /** Token + position embeddings of flat ids/positions, [n, d]. */
  private embed(ids: tf.Tensor1D, pos: tf.Tensor1D): tf.Tensor2D {
    const tok = matMulPlain(tf.oneHot(ids, this.dims.vocab) as tf.Tensor2D, this.p('wte') as tf.Tensor2D);
    const at = matMulPlain(tf.oneHot(pos, this.dims.context) as tf.Tensor2D, this.p('wpe') as tf.Tensor2D);
    return tf.add(tok, at);
  }

  private logits(x: tf.Tensor2D): tf.Tensor2D {
    const y = this.layerNorm(x, 'lnf');
    if (this.dims.tiedOutput) {
      // Tied output: the transpose is materialised so the product (and its gradient) stays a plain matMul.
      return matMulPlain(y, tf.transpose(this.p('wte') as tf.Tensor2D));
    }
    return matMulPlain(y, this.p('head') as tf.Tensor2D);
  }

  private mlp(x: tf.Tensor2D, l: number): tf.Tensor2D {
    const hdn = tf.relu(this.linear(this.layerNorm(x, `h${l}.ln2`), `h${l}.mlp.w1`, `h${l}.mlp.b1`));
    return this.linear(hdn, `h${l}.mlp.w2`, `h${l}.mlp.b2`);
  }

  /** [n, d] → three [B, H, T, dh] tensors. */
  private qkv(
    x: tf.Tensor2D,
    l: number,
    batch: number,
    time: number,
  ): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
    const { dModel: d, heads } = this.dims;
    const dh = d / heads;
    const y = this.linear(this.layerNorm(x, `h${l}.ln1`), `h${l}.attn.wqkv`, `h${l}.attn.bqkv`);
    const parts = tf.split(y, 3, 1);
    const heads4 = (t: tf.Tensor) =>
      tf.transpose<tf.Tensor4D>(tf.reshape(t, [batch, time, heads, dh]), [0, 2, 1, 3]);
    return [heads4(parts[0]!), heads4(parts[1]!), heads4(parts[2]!)];
  }

  private attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor, l: number): tf.Tensor2D {
    const [batch, heads, time, dh] = q.shape;
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), bias);
    const out = tf.matMul(tf.softmax(scores), v);
    const merged = tf.reshape<tf.Rank.R2>(tf.transpose(out, [0, 2, 1, 3]), [batch * time, heads * dh]);
    return this.linear(merged, `h${l}.attn.wo`, `h${l}.attn.bo`);
  }

  /**
   * Full forward over [B, T] ids. `pos` holds each token's position (left padding shifts it), `keyMask` is 1 for
   * real tokens and 0 for padding. Returns logits [B·T, V] and, when asked, the keys/values for a KV cache.
   */
  forward(ids: tf.Tensor2D, pos: tf.Tensor2D, keyMask: tf.Tensor2D, cache?: KvCache): tf.Tensor2D {
    const [batch, time] = ids.shape;
    let x = this.embed(tf.reshape<tf.Rank.R1>(ids, [-1]), tf.reshape<tf.Rank.R1>(pos, [-1]));
    const causal = tf.linalg.bandPart(tf.ones([time, time]), -1, 0);
    const allowed = tf.mul(tf.reshape(causal, [1, 1, time, time]), tf.reshape(keyMask, [batch, 1, 1, time]));
    const bias = tf.mul(tf.sub(1, allowed), NEG);
    for (let l = 0; l < this.dims.layers; l++) {
      const [q, k, v] = this.qkv(x, l, batch, time);
      if (cache !== undefined) {
        cache.k.push(tf.keep(k));
        cache.v.push(tf.keep(v));
      }
      x = tf.add(x, this.attend(q, k, v, bias, l));
      x = tf.add(x, this.mlp(x, l));
    }
    return this.logits(x);
  }

  /**
   * One new token per row against the cache. `keyMask` covers every cached position plus the new one, [B, t+1].
   * Returns logits [B, V] and the grown cache (the old cache tensors are disposed).
   */
  step(
    tokens: tf.Tensor1D,
    pos: tf.Tensor1D,
    keyMask: tf.Tensor2D,
    cache: KvCache,
  ): { logits: tf.Tensor2D; cache: KvCache } {
    const batch = tokens.shape[0];
    const total = keyMask.shape[1];
    const next: KvCache = { k: [], v: [] };
    const logits = tf.tidy(() => {
      let x = this.embed(tokens, pos);
      const bias = tf.reshape(tf.mul(tf.sub(1, keyMask), NEG), [batch, 1, 1, total]);
      for (let l = 0; l < this.dims.layers; l++) {
        const [q, k1, v1] = this.qkv(x, l, batch, 1);
        const k = tf.concat([cache.k[l]!, k1], 2);
        const v = tf.concat([cache.v[l]!, v1], 2);
        next.k.push(tf.keep(k));
        next.v.push(tf.keep(v));
        x = tf.add(x, this.attend(q, k, v, bias, l));
        x = tf.add(x, this.mlp(x, l));
      }
      return this.logits(x);
    });
    disposeCache(cache);
    return { logits, cache: next };
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

export function disposeCache(cache: KvCache): void {
  for (const t of cache.k) t.dispose();
  for (const t of cache.v) t.dispose();
}

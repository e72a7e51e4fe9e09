// Sampling completions with a KV cache. The draw itself happens in JavaScript from the logits of each step, with the
// seeded Rng, so the same seed gives the same completions on every backend that computes the same logits, and the
// log-probability of every sampled token (under the temperature-scaled distribution) is kept for the PPO ratio.
import * as tf from '@tensorflow/tfjs-core';
import { disposeCache, type KvCache, type Policy } from './model';
import type { Rng } from './rng';
import { EOS, PAD } from './tokenizer';

export interface SampleOptions {
  /** 0 = greedy. */
  readonly temperature: number;
  readonly topP: number;
  readonly maxNew: number;
  readonly rng: Rng;
}

export interface Rollout {
  /** Completion tokens per row, <eos> included when it was produced. */
  readonly tokens: number[][];
  /** Per row: it ended with the end token (false: cut off at the cap). */
  readonly ended: boolean[];
  /** log π(token) per completion token (temperature-scaled, before top-p truncation). */
  readonly logProbs: number[][];
  /** Sum of per-token entropies, and how many tokens they cover. */
  readonly entropySum: number;
  readonly tokenCount: number;
}

/** Draws one token from a logits row; returns the token, its log-prob and the distribution's entropy. */
export function drawToken(
  logits: Float32Array,
  offset: number,
  vocab: number,
  temperature: number,
  topP: number,
  rng: Rng,
): { token: number; logProb: number; entropy: number } {
  const t = temperature > 0 ? temperature : 1;
  let max = -Infinity;
  for (let j = 0; j < vocab; j++) max = Math.max(max, logits[offset + j]! / t);
  const probs = new Float64Array(vocab);
  let z = 0;
  for (let j = 0; j < vocab; j++) {
    const e = Math.exp(logits[offset + j]! / t - max);
    probs[j] = e;
    z += e;
  }
  let entropy = 0;
  for (let j = 0; j < vocab; j++) {
    probs[j]! /= z;
    if (probs[j]! > 0) entropy -= probs[j]! * Math.log(probs[j]!);
  }
  let token = 0;
  if (temperature <= 0) {
    for (let j = 1; j < vocab; j++) if (probs[j]! > probs[token]!) token = j;
  } else {
    let order = Array.from({ length: vocab }, (_, j) => j);
    let mass = 1;
    if (topP < 1) {
      order.sort((a, b) => probs[b]! - probs[a]! || a - b);
      let acc = 0;
      let keep = 0;
      while (keep < vocab && acc < topP) acc += probs[order[keep++]!]!;
      order = order.slice(0, keep);
      mass = acc;
    }
    const u = rng.next() * mass;
    let acc = 0;
    token = order[order.length - 1]!;
    for (const j of order) {
      acc += probs[j]!;
      if (u < acc) {
        token = j;
        break;
      }
    }
  }
  return { token, logProb: Math.log(probs[token]!), entropy };
}

interface Batch {
  readonly ids: number[][];
  readonly pads: number[];
  readonly width: number;
}

function leftPad(prompts: readonly (readonly number[])[]): Batch {
  const width = Math.max(...prompts.map((p) => p.length));
  return {
    ids: prompts.map((p) => [...new Array<number>(width - p.length).fill(PAD), ...p]),
    pads: prompts.map((p) => width - p.length),
    width,
  };
}

function positions(pads: readonly number[], width: number): number[][] {
  return pads.map((pad) => Array.from({ length: width }, (_, i) => Math.max(0, i - pad)));
}

function masks(pads: readonly number[], width: number): number[][] {
  return pads.map((pad) => Array.from({ length: width }, (_, i) => (i < pad ? 0 : 1)));
}

class Collector {
  readonly tokens: number[][];
  readonly logProbs: number[][];
  readonly done: boolean[];
  entropySum = 0;
  tokenCount = 0;

  constructor(rows: number) {
    this.tokens = Array.from({ length: rows }, () => []);
    this.logProbs = Array.from({ length: rows }, () => []);
    this.done = new Array<boolean>(rows).fill(false);
  }

  /** Draws the next token of every unfinished row; returns the tokens to feed next. */
  take(values: Float32Array, vocab: number, options: SampleOptions): number[] {
    const next: number[] = [];
    for (let r = 0; r < this.tokens.length; r++) {
      if (this.done[r]) {
        next.push(EOS);
        continue;
      }
      const d = drawToken(values, r * vocab, vocab, options.temperature, options.topP, options.rng);
      this.tokens[r]!.push(d.token);
      this.logProbs[r]!.push(d.logProb);
      this.entropySum += d.entropy;
      this.tokenCount++;
      if (d.token === EOS) this.done[r] = true;
      next.push(d.token);
    }
    return next;
  }

  get allDone(): boolean {
    return this.done.every((d) => d);
  }

  result(): Rollout {
    return {
      tokens: this.tokens,
      ended: this.done,
      logProbs: this.logProbs,
      entropySum: this.entropySum,
      tokenCount: this.tokenCount,
    };
  }
}

/** Samples a completion for each prompt, feeding one token per step through the KV cache. */
export async function generate(
  policy: Policy,
  prompts: readonly (readonly number[])[],
  options: SampleOptions,
): Promise<Rollout> {
  const { vocab, context } = policy.dims;
  const batch = leftPad(prompts);
  if (batch.width + options.maxNew > context) {
    throw new Error(
      `prompt (${batch.width}) + completion (${options.maxNew}) tokens exceed the model context ${context}`,
    );
  }
  const rows = prompts.length;
  const out = new Collector(rows);
  let cache: KvCache = { k: [], v: [] };
  const mask = masks(batch.pads, batch.width);
  let logits = tf.tidy(() => {
    const all = policy.forward(
      tf.tensor2d(batch.ids, [rows, batch.width], 'int32'),
      tf.tensor2d(positions(batch.pads, batch.width), [rows, batch.width], 'int32'),
      tf.tensor2d(mask, [rows, batch.width]),
      cache,
    );
    return tf.reshape<tf.Rank.R2>(
      tf.slice(tf.reshape(all, [rows, batch.width, vocab]), [0, batch.width - 1, 0], [rows, 1, vocab]),
      [rows, vocab],
    );
  });
  try {
    for (let t = 0; t < options.maxNew; t++) {
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      const next = out.take(values, vocab, options);
      if (out.allDone || t === options.maxNew - 1) break;
      for (const row of mask) row.push(1);
      const tokens = tf.tensor1d(next, 'int32');
      const pos = tf.tensor1d(
        batch.pads.map((pad) => batch.width + t - pad),
        'int32',
      );
      const keyMask = tf.tensor2d(mask, [rows, mask[0]!.length]);
      const stepped = policy.step(tokens, pos, keyMask, cache);
      tf.dispose([tokens, pos, keyMask]);
      cache = stepped.cache;
      logits = stepped.logits;
    }
  } finally {
    if (!logits.isDisposed) logits.dispose();
    disposeCache(cache);
  }
  return out.result();
}

/** The same draw, recomputing the whole sequence every step: slow, and the reference the KV cache must agree with. */
export async function generateRecompute(
  policy: Policy,
  prompts: readonly (readonly number[])[],
  options: SampleOptions,
): Promise<Rollout> {
  const { vocab } = policy.dims;
  const rows = prompts.length;
  const out = new Collector(rows);
  const seqs = prompts.map((p) => [...p]);
  for (let t = 0; t < options.maxNew; t++) {
    const batch = leftPad(seqs);
    const logits = tf.tidy(() => {
      const all = policy.forward(
        tf.tensor2d(batch.ids, [rows, batch.width], 'int32'),
        tf.tensor2d(positions(batch.pads, batch.width), [rows, batch.width], 'int32'),
        tf.tensor2d(masks(batch.pads, batch.width), [rows, batch.width]),
      );
      return tf.reshape(
        tf.slice(tf.reshape(all, [rows, batch.width, vocab]), [0, batch.width - 1, 0], [rows, 1, vocab]),
        [rows, vocab],
      );
    });
    const values = (await logits.data()) as Float32Array;
    logits.dispose();
    const next = out.take(values, vocab, options);
    // Finished rows keep growing in lockstep (with <eos>) so every row's prompt stays aligned the same way.
    next.forEach((tok, r) => seqs[r]!.push(tok));
    if (out.allDone) break;
  }
  return out.result();
}

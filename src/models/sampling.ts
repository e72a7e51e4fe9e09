// Sampling from a CausalLM with a KV cache: the prompts (left-padded) go through once, then one token per row per
// step. The draw is trainer/sampler's drawToken with the seeded Rng (temperature 0 = greedy, top-p), so a seed
// gives the same completions on every backend that computes the same logits; each token's log-prob is kept for
// the PPO ratio. A row stops at any of the model's eos ids.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../trainer/rng';
import { drawToken } from '../trainer/sampler';
import { type CausalLM, disposeCache, emptyCache, type RunInput } from './llama';

export interface GenerateOptions {
  readonly temperature: number;
  readonly topP: number;
  readonly maxNew: number;
  readonly eosIds: readonly number[];
  readonly rng: Rng;
}

export interface Generation {
  /** Completion ids per row, the eos token included when one was produced. */
  readonly tokens: number[][];
  /** Per row: it ended with an eos token (false: cut off at the cap). */
  readonly ended: boolean[];
  /** log π(token) under the temperature-scaled distribution, per completion token. */
  readonly logProbs: number[][];
  /** Sum of the sampling distributions' entropies over every drawn token, and how many tokens that is. */
  readonly entropySum: number;
  readonly tokenCount: number;
}

/** Ids, positions and key mask of left-padded prompts (padding is masked, so its id does not matter). */
export function leftPadded(prompts: readonly (readonly number[])[]): RunInput & { readonly pads: number[] } {
  const width = Math.max(...prompts.map((p) => p.length));
  const pads = prompts.map((p) => width - p.length);
  return {
    ids: prompts.map((p, r) => [...new Array<number>(pads[r]!).fill(0), ...p]),
    positions: pads.map((pad) => Array.from({ length: width }, (_, i) => Math.max(0, i - pad))),
    keyMask: pads.map((pad) => Array.from({ length: width }, (_, i) => (i < pad ? 0 : 1))),
    pads,
  };
}

export async function generate(
  model: CausalLM,
  prompts: readonly (readonly number[])[],
  options: GenerateOptions,
): Promise<Generation> {
  if (prompts.length === 0 || prompts.some((p) => p.length === 0))
    throw new Error('every prompt needs a token');
  const vocab = model.config.vocab;
  const start = leftPadded(prompts);
  const width = start.ids[0]!.length;
  const keyMask = start.keyMask.map((row) => [...row]);
  const tokens: number[][] = prompts.map(() => []);
  const logProbs: number[][] = prompts.map(() => []);
  const done = prompts.map(() => false);
  const cache = emptyCache();
  let entropySum = 0;
  let tokenCount = 0;
  let input: RunInput = start;
  try {
    for (let t = 0; t < options.maxNew; t++) {
      const logits = tf.tidy(() => model.run(input, { cache, lastOnly: true }));
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      const next = prompts.map((_, r) => {
        if (done[r]) return options.eosIds[0] ?? 0;
        const d = drawToken(values, r * vocab, vocab, options.temperature, options.topP, options.rng);
        tokens[r]!.push(d.token);
        logProbs[r]!.push(d.logProb);
        entropySum += d.entropy;
        tokenCount++;
        if (options.eosIds.includes(d.token)) done[r] = true;
        return d.token;
      });
      if (done.every((d) => d)) break;
      for (const row of keyMask) row.push(1);
      input = {
        ids: next.map((id) => [id]),
        positions: start.pads.map((pad) => [width + t - pad]),
        keyMask,
      };
    }
  } finally {
    disposeCache(cache);
  }
  return { tokens, ended: done, logProbs, entropySum, tokenCount };
}

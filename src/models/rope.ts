// Rotary position embeddings as transformers computes them: inverse frequencies 1/θ^(2i/d) in float32, rescaled by
// the config's rope_type (linear, or Llama 3's smooth blend between low and high frequencies), and the
// rotate-half layout (the first and second halves of a head are the pairs), not interleaved.
import type { ModelConfig } from './config';

export function inverseFrequencies(config: ModelConfig): Float64Array {
  const dim = config.headDim;
  const out = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    out[i] = Math.fround(1 / Math.fround(config.ropeTheta ** Math.fround((2 * i) / dim)));
  }
  const s = config.ropeScaling;
  if (s.type === 'linear') for (let i = 0; i < out.length; i++) out[i] = out[i]! / s.factor;
  if (s.type === 'llama3') {
    const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
    const highWavelen = s.originalMaxPositions / s.highFreqFactor;
    for (let i = 0; i < out.length; i++) {
      const f = out[i]!;
      const wavelen = (2 * Math.PI) / f;
      if (wavelen > lowWavelen) out[i] = f / s.factor;
      else if (wavelen >= highWavelen) {
        const smooth =
          (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        out[i] = ((1 - smooth) * f) / s.factor + smooth * f;
      }
    }
  }
  return out;
}

/** cos and sin for every position, [positions.length, headDim] each (the frequencies repeated for both halves). */
export function rotaryTables(
  positions: readonly number[],
  invFreq: Float64Array,
): { cos: Float32Array; sin: Float32Array } {
  const half = invFreq.length;
  const dim = 2 * half;
  const cos = new Float32Array(positions.length * dim);
  const sin = new Float32Array(positions.length * dim);
  positions.forEach((p, r) => {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * invFreq[i]!);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[r * dim + i] = c;
      cos[r * dim + half + i] = c;
      sin[r * dim + i] = s;
      sin[r * dim + half + i] = s;
    }
  });
  return { cos, sin };
}

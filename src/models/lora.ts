// LoRA (Hu et al. 2021) as PEFT computes it: y = W·x + (B·A·dropout(x))·alpha/r on the chosen linear layers, A
// initialised like nn.Linear (Kaiming-uniform, bound 1/√in), B at zero so training starts from the base model.
// The factors are kept transposed ([in, r] and [r, out]) for plain matMuls; names are PEFT's saved keys.
import * as tf from '@tensorflow/tfjs-core';
import { matMulPlain } from '../trainer/model';
import type { Rng } from '../trainer/rng';
import { ATTENTION_PROJECTIONS, type CausalLM, type LinearDelta, MLP_PROJECTIONS } from './llama';

export interface LoraSettings {
  readonly rank: number;
  readonly alpha: number;
  readonly dropout: number;
  /** Linear-layer names (q_proj, …, down_proj); PEFT matches them against the end of each module path. */
  readonly targetModules: readonly string[];
}

export const DEFAULT_LORA: LoraSettings = {
  rank: 8,
  alpha: 16,
  dropout: 0,
  targetModules: [...ATTENTION_PROJECTIONS, ...MLP_PROJECTIONS],
};

/** PEFT's key for one factor of one module in adapter_model.safetensors. */
export function peftKey(module: string, factor: 'A' | 'B'): string {
  return `base_model.model.${module}.lora_${factor}.weight`;
}

export class Lora implements LinearDelta {
  /** PEFT key → factor, A as [in, r] and B as [r, out] (the transposes of PEFT's layout). */
  readonly params = new Map<string, tf.Variable>();
  readonly modules: string[] = [];
  readonly scale: number;

  constructor(
    model: CausalLM,
    readonly settings: LoraSettings,
    private readonly rng: Rng,
  ) {
    if (!Number.isInteger(settings.rank) || settings.rank <= 0)
      throw new Error('lora rank must be a positive integer');
    if (settings.dropout < 0 || settings.dropout >= 1) throw new Error('lora dropout must be in [0, 1)');
    const known = new Set<string>([...ATTENTION_PROJECTIONS, ...MLP_PROJECTIONS]);
    for (const target of settings.targetModules) {
      if (!known.has(target))
        throw new Error(`lora target module '${target}' is not one of ${[...known].join(', ')}`);
    }
    this.scale = settings.alpha / settings.rank;
    for (const [name, w] of model.params) {
      const module = name.replace(/\.weight$/, '');
      const leaf = module.split('.').pop() ?? '';
      if (
        name === 'lm_head.weight' ||
        !name.endsWith('_proj.weight') ||
        !settings.targetModules.includes(leaf)
      )
        continue;
      const [inDim, outDim] = w.shape as [number, number];
      const bound = 1 / Math.sqrt(inDim);
      const a = Float32Array.from({ length: inDim * settings.rank }, () => (2 * rng.next() - 1) * bound);
      this.params.set(peftKey(module, 'A'), tf.variable(tf.tensor2d(a, [inDim, settings.rank]), true));
      this.params.set(peftKey(module, 'B'), tf.variable(tf.zeros([settings.rank, outDim]), true));
      this.modules.push(module);
    }
    model.delta = this;
  }

  apply(x: tf.Tensor2D, module: string, training: boolean): tf.Tensor2D | undefined {
    const a = this.params.get(peftKey(module, 'A'));
    const b = this.params.get(peftKey(module, 'B'));
    if (a === undefined || b === undefined) return undefined;
    const rate = this.settings.dropout;
    const input =
      training && rate > 0 ? (tf.dropout(x, rate, undefined, this.rng.nextUint32()) as tf.Tensor2D) : x;
    return tf.mul<tf.Tensor2D>(
      matMulPlain(matMulPlain(input, a as tf.Tensor2D), b as tf.Tensor2D),
      this.scale,
    );
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

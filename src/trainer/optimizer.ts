// AdamW with its state in plain variables we own, so a checkpoint can write the moments and the step count and a
// resumed run continues the exact same trajectory (tfjs's built-in optimizers hide part of their state).
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

export interface AdamWState {
  readonly step: number;
  readonly m: Float32Array[];
  readonly v: Float32Array[];
}

export class AdamW {
  step = 0;
  private readonly names: string[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly options: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  ) {
    this.names = [...params.keys()];
    // In a scope: a variable shares its initial tensor's data, which would otherwise outlive dispose().
    this.m = [...params.values()].map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = [...params.values()].map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  /** One update with gradients already scaled (e.g. by the norm clip); `grads` is keyed by parameter name. */
  apply(grads: tf.NamedTensorMap, lr: number, scale: number): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.options;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    // One scope per parameter: the update's dozen temporaries are freed before the next parameter's are made,
    // so the step holds them for one parameter at a time, not for the whole model (trainer/memory.ts counts that).
    this.names.forEach((name, i) => {
      tf.tidy(() => {
        const g0 = grads[name];
        if (g0 === undefined) return;
        const p = this.params.get(name)!;
        const g = scale === 1 ? g0 : tf.mul(g0, scale);
        const m = tf.add(tf.mul(this.m[i]!, beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i]!, beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
        const decayed = weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    });
  }

  async state(): Promise<AdamWState> {
    const m = await Promise.all(this.m.map(async (t) => (await t.data()) as Float32Array));
    const v = await Promise.all(this.v.map(async (t) => (await t.data()) as Float32Array));
    return { step: this.step, m, v };
  }

  load(state: AdamWState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new Error(`optimizer state has ${state.m.length} moments, the model ${this.m.length} parameters`);
    }
    this.step = state.step;
    tf.tidy(() => {
      this.m.forEach((t, i) => t.assign(tf.tensor(state.m[i]!, t.shape)));
      this.v.forEach((t, i) => t.assign(tf.tensor(state.v[i]!, t.shape)));
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

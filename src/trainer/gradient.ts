// One optimizer update: gradients of a loss, their global norm, clipping, and a skip when anything is not finite.
// With gradient accumulation the loss comes in parts (micro-batches): each part's gradients are added up, so the
// update is the one the whole batch's loss would give, while only one part's activations exist at a time.
import * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from './optimizer';

export type LossPart = () => { loss: tf.Scalar; extra: tf.Scalar };

/** The summed loss, extra and gradients (by parameter name) of every part; the caller disposes them. */
export function accumulatedGradients(
  params: ReadonlyMap<string, tf.Variable>,
  parts: readonly LossPart[],
): { value: tf.Scalar; extra: tf.Scalar; grads: tf.NamedTensorMap } {
  const vars = [...params.values()];
  const grads: tf.NamedTensorMap = {};
  let value: tf.Scalar = tf.scalar(0);
  let extra: tf.Scalar = tf.scalar(0);
  const addTo = <T extends tf.Tensor>(total: T, more: T): T => {
    const sum = tf.add<T>(total, more);
    tf.dispose([total, more]);
    return sum;
  };
  for (const part of parts) {
    let partExtra: tf.Scalar | null = null;
    const r = tf.variableGrads(() => {
      const out = part();
      partExtra = tf.keep(out.extra);
      return out.loss;
    }, vars);
    value = addTo(value, r.value);
    extra = addTo(extra, partExtra ?? tf.scalar(0));
    // variableGrads keys gradients by tfjs's process-wide variable names; the optimizer keys by parameter name.
    for (const [name, v] of params) {
      const g = r.grads[v.name];
      if (g === undefined) continue;
      grads[name] = grads[name] === undefined ? g : addTo(grads[name], g);
    }
  }
  return { value, extra, grads };
}

/**
 * Gradients of `lossFn` (or the sum of several parts' gradients), their global norm, and an update unless the norm
 * (or loss) is not finite. Returns the summed loss and extra.
 */
export async function gradientStep(
  policy: { readonly params: ReadonlyMap<string, tf.Variable> },
  optimizer: AdamW,
  lr: number,
  gradClip: number,
  lossFn: LossPart | readonly LossPart[],
): Promise<{ loss: number; gradNorm: number; extra: number; skipped: boolean }> {
  const parts = typeof lossFn === 'function' ? [lossFn] : lossFn;
  const { value, extra, grads } = accumulatedGradients(policy.params, parts);
  const stats = tf.tidy(() => {
    const sq = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    return tf.stack([value, tf.sqrt(sq.length > 0 ? tf.addN(sq) : tf.scalar(0)), extra]);
  });
  // The one readback of the step: loss, gradient norm and the clip count together.
  const [loss, gradNorm, extraValue] = Array.from(await stats.data());
  tf.dispose([stats, value, extra]);
  const skipped = !Number.isFinite(loss!) || !Number.isFinite(gradNorm!);
  if (!skipped) optimizer.apply(grads, lr, Math.min(1, gradClip / Math.max(gradNorm!, 1e-12)));
  tf.dispose(Object.values(grads));
  return { loss: loss!, gradNorm: gradNorm!, extra: extraValue!, skipped };
}

/**
 * On wasm and cpu every await resolves as a microtask, so a step loop never reaches the event loop on its own and
 * SIGTERM or IPC messages would wait until the run ends. Yield once per step.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

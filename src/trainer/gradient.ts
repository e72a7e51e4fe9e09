// One optimizer update: gradients of a loss, their global norm, clipping, and a skip when anything is not finite.
import * as tf from '@tensorflow/tfjs-core';
import type { Policy } from './model';
import type { AdamW } from './optimizer';

/** Gradients of `lossFn`, their global norm, and an update unless the norm (or loss) is not finite. */
export async function gradientStep(
  policy: Pick<Policy, 'params'>,
  optimizer: AdamW,
  lr: number,
  gradClip: number,
  lossFn: () => { loss: tf.Scalar; extra: tf.Scalar },
): Promise<{ loss: number; gradNorm: number; extra: number; skipped: boolean }> {
  const vars = [...policy.params.values()];
  let extra: tf.Scalar | null = null;
  const { value, grads: byVariable } = tf.variableGrads(() => {
    const r = lossFn();
    extra = tf.keep(r.extra);
    return r.loss;
  }, vars);
  // variableGrads keys gradients by tfjs's process-wide variable names; the optimizer keys by parameter name.
  const grads: tf.NamedTensorMap = {};
  for (const [name, v] of policy.params) {
    const g = byVariable[v.name];
    if (g !== undefined) grads[name] = g;
  }
  const stats = tf.tidy(() => {
    const sq = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    return tf.stack([value, tf.sqrt(tf.addN(sq)), extra ?? tf.scalar(0)]);
  });
  // The one readback of the step: loss, gradient norm and the clip count together.
  const [loss, gradNorm, extraValue] = Array.from(await stats.data());
  tf.dispose([stats, value, extra ?? []]);
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

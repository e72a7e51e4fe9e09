// The supervised warm start: cross-entropy on the task's demonstrations until held-out accuracy reaches the target
// (or the step budget ends). Its optimizer is its own: the RL optimizer starts fresh from the base.
import * as tf from '@tensorflow/tfjs-core';
import type { Control } from './control';
import { evaluate } from './evaluate';
import { gradientStep, yieldToEventLoop } from './gradient';
import { buildSeqBatch, sftLoss } from './losses';
import { AdamW } from './optimizer';
import type { Reporter } from './reporter';
import type { Learner } from './rlStep';
import type { Rng } from './rng';

/** Runs the warm start; returns the number of supervised steps taken (it ends early when `control.stop`). */
export async function warmStart(
  l: Learner,
  rng: Rng,
  control: Control,
  report: Required<Reporter>,
): Promise<number> {
  const { config, policy, tokenizer, loaded } = l;
  const sftOptimizer = new AdamW(policy.params);
  try {
    let acc = (await evaluate(policy, loaded, config, 0, tokenizer)).accuracy;
    let sftStep = 0;
    report.log(`sft: start, held-out accuracy ${(100 * acc).toFixed(1)}%`);
    while (sftStep < config.sft.maxSteps && acc < config.sft.targetAccuracy && !control.stop) {
      const batch = Array.from({ length: config.sft.batchSize }, () => loaded.task.nextTrain(rng));
      const seq = buildSeqBatch(
        batch.map((e) => tokenizer.encodePrompt(e.prompt)),
        batch.map((e) => tokenizer.encodeTarget(e.target)),
      );
      const r = await gradientStep(policy, sftOptimizer, config.sft.lr, 1, () => ({
        loss: sftLoss(policy.logProbs(seq, 1), seq),
        extra: tf.scalar(0),
      }));
      sftStep++;
      await yieldToEventLoop();
      if (sftStep % config.sft.evalEvery === 0) {
        acc = (await evaluate(policy, loaded, config, 0, tokenizer)).accuracy;
        report.progress({
          phase: 'sft',
          step: sftStep,
          total: config.sft.maxSteps,
          reward: null,
          accuracy: null,
          evalAccuracy: acc,
          line: `sft step ${sftStep}: loss ${r.loss.toFixed(3)}, held-out accuracy ${(100 * acc).toFixed(1)}%`,
        });
      }
    }
    return sftStep;
  } finally {
    sftOptimizer.dispose();
  }
}

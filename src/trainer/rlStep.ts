// One RL step: sample G completions for each of N prompts, score them with the rules, turn rewards into advantages
// with the configured estimator, and take one PPO-clip update.
import { computeAdvantages } from '../core/estimators';
import type { RunConfig } from '../protocol/runConfig';
import { scoreAll } from './evaluate';
import { gradientStep } from './gradient';
import { buildSeqBatch, groupLengths, lossAggregationFor, ppoLoss, targetLogProbs } from './losses';
import type { Policy } from './model';
import type { AdamW } from './optimizer';
import { countRuleErrors, type StepOutcome } from './records';
import type { Rng } from './rng';
import { generate } from './sampler';
import type { LoadedTask } from './setup';
import type { Example } from './tasks';
import type { CharTokenizer } from './tokenizer';

export interface Learner {
  readonly policy: Policy;
  readonly optimizer: AdamW;
  readonly tokenizer: CharTokenizer;
  readonly loaded: LoadedTask;
  readonly config: RunConfig;
  readonly maxNew: number;
}

/** RL step `step` (1-based); `skippedSteps` counts skipped updates before it. Logs rule errors through `log`. */
export async function rlStep(
  l: Learner,
  rng: Rng,
  step: number,
  skippedSteps: number,
  log: (line: string) => void,
): Promise<StepOutcome> {
  const { config, tokenizer, policy } = l;
  const { groupSize: G, promptsPerStep: N } = config;
  const t0 = performance.now();
  const examples = Array.from({ length: N }, () => l.loaded.task.nextTrain(rng));
  const repeated = examples.flatMap((e) => new Array<Example>(G).fill(e));
  const promptTokens = repeated.map((e) => tokenizer.encode(e.prompt));
  const rollout = await generate(policy, promptTokens, {
    temperature: config.temperature,
    topP: config.topP,
    maxNew: l.maxNew,
    rng,
  });
  const t1 = performance.now();
  const scored = scoreAll(
    l.loaded.rules,
    rollout.tokens.map((t) => tokenizer.decode(t)),
    repeated,
  );
  const groups = examples.map((_, i) =>
    scored
      .slice(i * G, (i + 1) * G)
      .map((s) => Object.fromEntries(s.outcomes.map((o) => [o.name, o.reward])) as Record<string, number>),
  );
  const ruleErrors = countRuleErrors(scored);
  if (ruleErrors.first !== null) {
    const counts = Object.entries(ruleErrors.counts).map(([n, c]) => `${n} ×${c}`);
    log(`step ${step}: rules threw (scored 0): ${counts.join(', ')}; first: ${ruleErrors.first}`);
  }
  const t2 = performance.now();
  const adv = computeAdvantages(groups, config.estimator, groupLengths(rollout.tokens, G));
  const flatAdv = adv.advantages.flat();
  const t3 = performance.now();
  const seq = buildSeqBatch(promptTokens, rollout.tokens, rollout.logProbs);
  const lr = config.lr * Math.min(1, step / (config.warmupSteps + 1));
  const update = await gradientStep(policy, l.optimizer, lr, config.gradClip, () => {
    const out = ppoLoss(
      targetLogProbs(policy, seq, config.temperature),
      seq,
      flatAdv,
      config.clip,
      lossAggregationFor(config.estimator, l.maxNew),
    );
    return { loss: out.loss, extra: out.clipped };
  });
  const t4 = performance.now();
  return {
    step,
    examples,
    scored,
    tokens: rollout.tokens,
    tokenCount: rollout.tokenCount,
    entropySum: rollout.entropySum,
    maskedTokens: seq.lossMask.flat().reduce((a, b) => a + b, 0),
    adv,
    update,
    ruleErrors: ruleErrors.counts,
    lr,
    skippedSteps: skippedSteps + (update.skipped ? 1 : 0),
    marks: [t0, t1, t2, t3, t4],
  };
}

// One RL step: sample G completions for each of N prompts, score them with the rules, turn rewards into advantages
// with the configured estimator, and take one PPO-clip update (over micro-batches of `microBatch` completions, their
// gradients summed, when the config asks for gradient accumulation).
import { computeAdvantages } from '../core/estimators';
import type { RunConfig } from '../protocol/runConfig';
import { scoreAll } from './evaluate';
import { gradientStep, type LossPart } from './gradient';
import { buildSeqBatch, groupLengths, lossAggregationFor, ppoLoss, type SeqBatch } from './losses';
import type { AdamW } from './optimizer';
import type { PolicyTokenizer, TrainablePolicy } from './policy';
import { countRuleErrors, type StepOutcome } from './records';
import type { Rng } from './rng';
import type { Rollout } from './sampler';
import type { LoadedTask } from './setup';
import type { Example } from './tasks';

export interface Learner {
  readonly policy: TrainablePolicy;
  readonly optimizer: AdamW;
  readonly tokenizer: PolicyTokenizer;
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
  const promptTokens = repeated.map((e) => tokenizer.encodePrompt(e.prompt));
  const rollout = await policy.sample(promptTokens, {
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
  const lr = config.lr * Math.min(1, step / (config.warmupSteps + 1));
  const { parts, maskedTokens } = ppoParts(l, promptTokens, rollout, flatAdv);
  const update = await gradientStep(policy, l.optimizer, lr, config.gradClip, parts);
  const t4 = performance.now();
  return {
    step,
    examples,
    scored,
    tokens: rollout.tokens,
    ended: rollout.ended,
    tokenCount: rollout.tokenCount,
    entropySum: rollout.entropySum,
    maskedTokens,
    adv,
    update,
    ruleErrors: ruleErrors.counts,
    lr,
    skippedSteps: skippedSteps + (update.skipped ? 1 : 0),
    marks: [t0, t1, t2, t3, t4],
  };
}

const tokensOf = (seq: SeqBatch): number => seq.lossMask.flat().reduce((a, b) => a + b, 0);

/**
 * The PPO-clip loss of every completion as micro-batches of `config.microBatch` rows (one part without it). Each
 * part is aggregated against the whole batch's rows and tokens, so the parts' losses and gradients sum to the
 * whole batch's.
 */
export function ppoParts(
  l: Pick<Learner, 'policy' | 'config' | 'maxNew'>,
  prompts: readonly (readonly number[])[],
  rollout: Pick<Rollout, 'tokens' | 'logProbs'>,
  advantages: readonly number[],
): { parts: LossPart[]; maskedTokens: number } {
  const { config, policy } = l;
  const size = config.microBatch ?? prompts.length;
  const batches: { seq: SeqBatch; adv: readonly number[] }[] = [];
  for (let at = 0; at < prompts.length; at += size) {
    const end = at + size;
    const seq = buildSeqBatch(
      prompts.slice(at, end),
      rollout.tokens.slice(at, end),
      rollout.logProbs.slice(at, end),
    );
    batches.push({ seq, adv: advantages.slice(at, end) });
  }
  const maskedTokens = batches.reduce((sum, b) => sum + tokensOf(b.seq), 0);
  const base = lossAggregationFor(config.estimator, l.maxNew);
  const aggregation =
    batches.length > 1 ? { ...base, whole: { rows: prompts.length, tokens: maskedTokens } } : base;
  const parts = batches.map(({ seq, adv }): LossPart => () => {
    const out = ppoLoss(policy.logProbs(seq, config.temperature), seq, adv, config.clip, aggregation);
    return { loss: out.loss, extra: out.clipped };
  });
  return { parts, maskedTokens };
}

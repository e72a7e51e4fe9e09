// Pure builders of the run directory's records from one step's results: no clock reads, no I/O, so what a record
// holds is decided here and tested without a model.
import type { AdvantageResult } from '../core/estimators';
import type { AuditFlag, RunAudit } from '../core/rules/auditRun';
import { weightedSum, type CompiledRules } from '../core/rules/engine';
import type { AuditRecord } from '../protocol/audit';
import type { RunConfig } from '../protocol/runConfig';
import {
  RUN_DIR_VERSION,
  type BetaFit,
  type EvalRecord,
  type GroupsRecord,
  type MetricsRecord,
  type SamplesRecord,
} from '../protocol/runDir';
import { mean, rewardOf, type Evaluation, type Scored } from './evaluate';
import type { Example } from './tasks';

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Everything one RL step produced that its records are made from. */
export interface StepOutcome {
  readonly step: number;
  readonly examples: readonly Example[];
  readonly scored: readonly Scored[];
  readonly tokens: readonly (readonly number[])[];
  /** per completion: it ended with the end token (false: cut off at the cap) */
  readonly ended: readonly boolean[];
  readonly tokenCount: number;
  readonly entropySum: number;
  readonly maskedTokens: number;
  readonly adv: AdvantageResult;
  readonly update: { loss: number; gradNorm: number; extra: number; skipped: boolean };
  readonly ruleErrors: Record<string, number>;
  readonly lr: number;
  readonly skippedSteps: number;
  /** performance.now() at the start, after sampling, scoring, advantages and the update. */
  readonly marks: readonly [number, number, number, number, number];
}

export function metricsRecord(
  o: StepOutcome,
  config: RunConfig,
  rules: CompiledRules,
  accuracyRule: string,
  clock: { time: string; wall: number },
): MetricsRecord {
  const rewards = Object.fromEntries(rules.names.map((n) => [n, mean(o.scored.map((s) => rewardOf(s, n)))]));
  const totalWeight = rules.names.reduce((s, n) => s + (rules.weights[n] ?? 1), 0);
  const beta: Record<string, BetaFit> = Object.fromEntries(
    Object.entries(o.adv.stats).map(([n, s]) => [
      n,
      { a: finiteOrNull(s.a), b: finiteOrNull(s.b), alpha: s.alpha, beta: s.beta, guard: s.guard },
    ]),
  );
  const [t0, t1, t2, t3, t4] = o.marks;
  const r = o.update;
  return {
    v: RUN_DIR_VERSION,
    step: o.step,
    time: clock.time,
    wall: clock.wall,
    estimator: config.estimator,
    rewards,
    reward: mean(o.scored.map((s) => weightedSum(s.outcomes, rules.weights) / totalWeight)),
    accuracy: rewards[accuracyRule] ?? 0,
    loss: r.skipped ? null : r.loss,
    clipFraction: o.maskedTokens > 0 ? r.extra / o.maskedTokens : 0,
    gradNorm: finiteOrNull(r.gradNorm),
    entropy: o.tokenCount > 0 ? o.entropySum / o.tokenCount : 0,
    completionLength: o.tokenCount / o.scored.length,
    zeroVarianceShare: o.adv.stats[accuracyRule]?.zeroVarianceShare ?? 0,
    beta,
    tokensPerSecond: o.tokenCount / ((t4 - t0) / 1000),
    skipped: r.skipped,
    skippedSteps: o.skippedSteps,
    ruleErrors: o.ruleErrors,
    lr: o.lr,
    timings: { sampling: t1 - t0, scoring: t2 - t1, advantage: t3 - t2, update: t4 - t3 },
  };
}

export function groupsRecord(o: StepOutcome, rules: CompiledRules): GroupsRecord {
  return {
    v: RUN_DIR_VERSION,
    step: o.step,
    rules: [...rules.names],
    groups: o.examples.map((e, i) => ({
      id: e.id,
      pHat: Object.fromEntries(rules.names.map((n) => [n, o.adv.stats[n]?.pHat[i] ?? 0])),
    })),
  };
}

/** The step's audit.jsonl record (src/core/rules/auditRun.ts) and each completion's flags, in completion order. */
export function auditStep(
  o: StepOutcome,
  audit: RunAudit,
  groupSize: number,
): { record: AuditRecord; flags: AuditFlag[][] } {
  const items = o.scored.map((s, i) => ({
    text: s.text,
    tokens: o.tokens[i]!.length,
    truncated: !o.ended[i],
    group: Math.floor(i / groupSize),
    rewards: Object.fromEntries(s.outcomes.map((x) => [x.name, x.reward])),
  }));
  const { record, flags } = audit.observe(o.step, items);
  return { record: { v: RUN_DIR_VERSION, ...record }, flags };
}

/** One record per prompt group: its completions with their rewards, reasons, advantages and audit flags. */
export function samplesRecords(
  o: StepOutcome,
  groupSize: number,
  accuracyRule: string,
  flags?: readonly (readonly AuditFlag[])[],
): SamplesRecord[] {
  return o.examples.map((e, i) => ({
    v: RUN_DIR_VERSION,
    step: o.step,
    promptId: e.id,
    prompt: e.prompt,
    sample: { ...e.sample },
    completions: o.scored.slice(i * groupSize, (i + 1) * groupSize).map((s, j) => ({
      text: s.text,
      tokens: o.tokens[i * groupSize + j]!.length,
      truncated: !o.ended[i * groupSize + j],
      rewards: Object.fromEntries(s.outcomes.map((x) => [x.name, x.reward])),
      reasons: Object.fromEntries(s.outcomes.map((x) => [x.name, x.reason])),
      advantage: o.adv.advantages[i]![j]!,
      correct: rewardOf(s, accuracyRule) === 1,
      ...(flags?.[i * groupSize + j]?.length ? { flags: [...flags[i * groupSize + j]!] } : {}),
    })),
  }));
}

export function evalRecord(
  r: Evaluation,
  step: number,
  phase: EvalRecord['phase'],
  config: RunConfig,
  heldOut: number,
  time: string,
): EvalRecord {
  return {
    v: RUN_DIR_VERSION,
    step,
    time,
    phase,
    temperature: config.eval.temperature,
    size: Math.min(config.eval.size, heldOut),
    accuracy: r.accuracy,
    rewards: r.rewards,
    examples: r.examples,
  };
}

/** The step's line in trainer.log and on a terminal that is not a TTY. */
export function stepLine(m: MetricsRecord, total: number, seconds: number): string {
  return (
    `step ${m.step}/${total} reward ${m.reward.toFixed(3)} accuracy ${(100 * m.accuracy).toFixed(1)}%` +
    ` loss ${m.loss === null ? 'skipped' : m.loss.toFixed(4)} grad ${m.gradNorm?.toFixed(3) ?? 'NaN'}` +
    ` ${seconds.toFixed(2)}s`
  );
}

/**
 * A rule that throws on one completion scores 0 there (the engine catches it); the run goes on, and each step
 * counts such errors per rule for metrics.jsonl and names the first in trainer.log.
 */
export function countRuleErrors(scored: readonly Pick<Scored, 'outcomes'>[]): {
  counts: Record<string, number>;
  first: string | null;
} {
  const counts: Record<string, number> = {};
  let first: string | null = null;
  for (const s of scored) {
    for (const o of s.outcomes) {
      if (o.error === undefined) continue;
      counts[o.name] = (counts[o.name] ?? 0) + 1;
      first ??= `${o.name}: ${o.error}`;
    }
  }
  return { counts, first };
}

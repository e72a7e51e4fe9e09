// Advantage estimators over grouped rewards: BNPO (spec: ../shared/spec/bnpo.md) and the peers the trainer
// offers for side-by-side runs. Pure functions of the rewards; the trainer applies the loss.
//
// Note on the name: TRL's and ms-swift's `loss_type="bnpo"` means batch-normalized token averaging and has
// nothing to do with BNPO (Beta Normalization Policy Optimization), which is what this module implements.
import type { BetaFitGuard } from './special';
import { betaLogPdf, fitBetaMoments, logBeta } from './special';

export const ESTIMATOR_NAMES = ['bnpo', 'reinforce', 'grpo', 'drgrpo', 'rloo', 'reinforcepp'] as const;
export type EstimatorName = (typeof ESTIMATOR_NAMES)[number];

export function isEstimatorName(name: string): name is EstimatorName {
  return (ESTIMATOR_NAMES as readonly string[]).includes(name);
}

/** BNPO's cap on the weight 1/f(p̂): a density of 0 (p̂ at an edge with α or β > 1) gives 1/0 = +inf → 1e6. */
export const BNPO_WEIGHT_CAP = 1e6;
/** GRPO divides by (sample std + 1e-6). */
export const GRPO_STD_EPSILON = 1e-6;
/** REINFORCE++ divides by (batch std + 1e-8), the whitening epsilon of its reference implementation. */
export const REINFORCEPP_STD_EPSILON = 1e-8;

/** Per-rule step diagnostics the panels draw; carried for every estimator. */
export interface RuleStats {
  /** One success rate per prompt group, in group order. */
  pHat: number[];
  /** m and v used by the Beta fit (0 and 1 for a one-group batch, as released). */
  mean: number;
  var: number;
  /** Method-of-moments Beta(a, b) of the p̂; NaN when `guard` is set (serialized as null). */
  a: number;
  b: number;
  /** BNPO's α, β after the clamp (1, 1 under a guard). */
  alpha: number;
  beta: number;
  /** null, or the name of the documented deviation that replaced the released behaviour. */
  guard: string | null;
  /** Share of groups whose rewards for this rule are all equal (they carry no signal under group baselines). */
  zeroVarianceShare: number;
}

export interface AdvantageResult {
  estimator: EstimatorName;
  rules: string[];
  /** advantages[i][j]: the combined advantage (mean over rules) of completion j of group i. */
  advantages: number[][];
  stats: Record<string, RuleStats>;
}

/** Bad grouped rewards; `group`/`sample`/`rule` say where, so a caller can point at the input. */
export class RewardGroupsError extends RangeError {
  override readonly name = 'RewardGroupsError';
  constructor(
    message: string,
    readonly kind: 'empty' | 'groupSize' | 'ragged' | 'rules' | 'range',
    readonly group?: number,
    readonly sample?: number,
    readonly rule?: string,
  ) {
    super(message);
  }
}

/** BNPO's weight w = min(1/f(p̂; α, β), 1e6) with f evaluated as exp(log f) under xlogy semantics. */
export function bnpoWeight(pHat: number, alpha: number, beta: number, logB = logBeta(alpha, beta)): number {
  return Math.min(1 / Math.exp(betaLogPdf(pHat, alpha, beta, logB)), BNPO_WEIGHT_CAP);
}

// ---------------------------------------------------------------------------------------------------------
// Flat fast path. One implementation serves both APIs: computeAdvantages() copies its objects into a
// workspace and calls computeAdvantagesFlat(), so the two cannot disagree.
// ---------------------------------------------------------------------------------------------------------

/** Guard names by the code stored in AdvantageWorkspace.guard (0 = no guard). */
export const GUARD_BY_CODE: readonly (BetaFitGuard | null)[] = [null, 'zeroVariance', 'nonFiniteFit'];

/**
 * Preallocated buffers for one batch shape (K rules × N groups × G completions); reuse it across steps
 * to compute advantages without allocating per element.
 *
 * Layout (rule-major, then group, then completion):
 *   rewards[(k·N + i)·G + j]  reward of rule k for completion j of group i, in [0, 1]; filled by the caller
 *   advantages[i·G + j]       combined advantage (mean over the K rules); written by computeAdvantagesFlat
 *   pHat[k·N + i]             success rate of group i under rule k
 *   mean[k], var[k], a[k], b[k], alpha[k], beta[k], zeroVarianceShare[k]: per-rule statistics
 *   guard[k]                  index into GUARD_BY_CODE
 * computeAdvantagesFlat does not validate: shape and ranges are the caller's contract.
 */
export interface AdvantageWorkspace {
  readonly numRules: number;
  readonly numGroups: number;
  readonly groupSize: number;
  readonly rewards: Float64Array;
  readonly advantages: Float64Array;
  readonly pHat: Float64Array;
  readonly mean: Float64Array;
  readonly var: Float64Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  readonly guard: Uint8Array;
  readonly zeroVarianceShare: Float64Array;
}

export function createAdvantageWorkspace(
  numRules: number,
  numGroups: number,
  groupSize: number,
): AdvantageWorkspace {
  for (const [name, value, min] of [
    ['numRules', numRules, 1],
    ['numGroups', numGroups, 1],
    ['groupSize', groupSize, 2],
  ] as const) {
    if (!Number.isInteger(value) || value < min)
      throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
  const perRule = () => new Float64Array(numRules);
  return {
    numRules,
    numGroups,
    groupSize,
    rewards: new Float64Array(numRules * numGroups * groupSize),
    advantages: new Float64Array(numGroups * groupSize),
    pHat: new Float64Array(numRules * numGroups),
    mean: perRule(),
    var: perRule(),
    a: perRule(),
    b: perRule(),
    alpha: perRule(),
    beta: perRule(),
    guard: new Uint8Array(numRules),
    zeroVarianceShare: perRule(),
  };
}

/**
 * Fills ws.pHat and the per-rule statistics from ws.rewards, then writes the combined advantages
 * (mean over rules of each rule's advantages under `estimator`) to ws.advantages.
 */
export function computeAdvantagesFlat(ws: AdvantageWorkspace, estimator: EstimatorName): void {
  const { numRules: K, numGroups: N, groupSize: G, rewards, advantages, pHat } = ws;
  advantages.fill(0);
  for (let k = 0; k < K; k++) {
    const ruleBase = k * N * G;
    let constantGroups = 0;
    for (let i = 0; i < N; i++) {
      const base = ruleBase + i * G;
      const first = rewards[base] as number;
      let sum = 0;
      let constant = true;
      for (let j = 0; j < G; j++) {
        const r = rewards[base + j] as number;
        sum += r;
        if (r !== first) constant = false;
      }
      if (constant) constantGroups++;
      // The exact mean of a constant group is its value; using it keeps R − p̂ exactly 0 for fractional
      // rewards too, where the rounded sum/G could be off by an ulp.
      pHat[k * N + i] = constant ? first : sum / G;
    }
    const fit = fitBetaMoments(pHat.subarray(k * N, (k + 1) * N));
    ws.mean[k] = fit.mean;
    ws.var[k] = fit.var;
    ws.a[k] = fit.a;
    ws.b[k] = fit.b;
    ws.alpha[k] = fit.alpha;
    ws.beta[k] = fit.beta;
    ws.guard[k] = GUARD_BY_CODE.indexOf(fit.guard);
    ws.zeroVarianceShare[k] = constantGroups / N;
    accumulateRule(ws, k, estimator, fit.alpha, fit.beta);
  }
  if (K > 1) for (let t = 0; t < advantages.length; t++) advantages[t] = (advantages[t] as number) / K;
}

/** Adds rule k's advantages under `estimator` to ws.advantages. */
function accumulateRule(
  ws: AdvantageWorkspace,
  k: number,
  estimator: EstimatorName,
  alpha: number,
  beta: number,
): void {
  const { numGroups: N, groupSize: G, rewards, advantages, pHat } = ws;
  const ruleBase = k * N * G;
  switch (estimator) {
    case 'bnpo': {
      // A = w(p̂)·(R − p̂), w = min(1/f(p̂; α, β), 1e6).
      const logB = logBeta(alpha, beta);
      for (let i = 0; i < N; i++) {
        const p = pHat[k * N + i] as number;
        const w = bnpoWeight(p, alpha, beta, logB);
        addScaledCentered(rewards, advantages, ruleBase + i * G, i * G, G, p, w);
      }
      return;
    }
    case 'reinforce':
    case 'drgrpo':
      // Dr. GRPO's advantage is REINFORCE's (no std division); it differs only in the loss aggregation
      // (token sum, no length normalisation), which the trainer applies.
      for (let i = 0; i < N; i++)
        addScaledCentered(rewards, advantages, ruleBase + i * G, i * G, G, pHat[k * N + i] as number, 1);
      return;
    case 'rloo':
      // A_j = R_j − mean_{l≠j} R_l = G/(G−1)·(R_j − p̂), written in the scaled form so constant groups give exact 0.
      for (let i = 0; i < N; i++) {
        addScaledCentered(
          rewards,
          advantages,
          ruleBase + i * G,
          i * G,
          G,
          pHat[k * N + i] as number,
          G / (G - 1),
        );
      }
      return;
    case 'grpo':
      // A = (R − p̂)/(s + 1e-6), s the sample standard deviation of the group (G−1 denominator).
      for (let i = 0; i < N; i++) {
        const p = pHat[k * N + i] as number;
        const base = ruleBase + i * G;
        let squares = 0;
        for (let j = 0; j < G; j++) {
          const d = (rewards[base + j] as number) - p;
          squares += d * d;
        }
        addScaledCentered(
          rewards,
          advantages,
          base,
          i * G,
          G,
          p,
          1 / (Math.sqrt(squares / (G - 1)) + GRPO_STD_EPSILON),
        );
      }
      return;
    case 'reinforcepp': {
      // REINFORCE++ without a KL term: the return of a completion is its reward, and returns are whitened
      // over the whole batch of this rule, A = (R − μ_B)/(σ_B + 1e-8), with μ_B and σ_B the mean and the
      // population standard deviation of all N·G rewards. No per-group baseline, so groups do not sum to 0.
      // (The reference implementation whitens per token; with one scalar per completion we whiten per
      // completion, i.e. without weighting by completion length.)
      const n = N * G;
      let sum = 0;
      for (let t = 0; t < n; t++) sum += rewards[ruleBase + t] as number;
      const mu = sum / n;
      let squares = 0;
      let constant = true;
      const first = rewards[ruleBase] as number;
      for (let t = 0; t < n; t++) {
        const r = rewards[ruleBase + t] as number;
        squares += (r - mu) * (r - mu);
        if (r !== first) constant = false;
      }
      if (constant) return; // every advantage is exactly 0
      const scale = 1 / (Math.sqrt(squares / n) + REINFORCEPP_STD_EPSILON);
      for (let t = 0; t < n; t++)
        advantages[t] = (advantages[t] as number) + scale * ((rewards[ruleBase + t] as number) - mu);
      return;
    }
    default: {
      // A name added to ESTIMATOR_NAMES without a case here fails to compile.
      const unknown: never = estimator;
      throw new RangeError(`unknown estimator '${String(unknown)}'`);
    }
  }
}

function addScaledCentered(
  rewards: Float64Array,
  advantages: Float64Array,
  from: number,
  to: number,
  count: number,
  center: number,
  scale: number,
): void {
  for (let j = 0; j < count; j++) {
    advantages[to + j] = (advantages[to + j] as number) + scale * ((rewards[from + j] as number) - center);
  }
}

type RewardGroups = ReadonlyArray<ReadonlyArray<Readonly<Record<string, number>>>>;

/** Checks the batch shape (non-empty, G ≥ 2, every group the same size) and returns [N, G]. */
function checkShape(groups: RewardGroups): [number, number] {
  if (groups.length === 0)
    throw new RewardGroupsError('groups is empty: need at least one prompt group', 'empty');
  const size = (groups[0] as ReadonlyArray<unknown>).length;
  for (let i = 0; i < groups.length; i++) {
    const length = (groups[i] as ReadonlyArray<unknown>).length;
    if (length === 0) throw new RewardGroupsError(`group ${i} is empty`, 'empty', i);
    if (length < 2) {
      throw new RewardGroupsError(
        `group ${i} has 1 completion; advantages need at least 2 completions per group`,
        'groupSize',
        i,
      );
    }
    if (length !== size) {
      throw new RewardGroupsError(
        `group ${i} has ${length} completions but group 0 has ${size}; every group needs the same number`,
        'ragged',
        i,
      );
    }
  }
  return [groups.length, size];
}

/**
 * Copies the rewards into ws.rewards, checking on the way that every completion has exactly `rules` and
 * every reward lies in [0, 1]; throws RewardGroupsError at the first problem, in group/sample order.
 * One fused pass without per-completion allocation: this is most of the object API's cost.
 */
function fillWorkspace(groups: RewardGroups, rules: readonly string[], ws: AdvantageWorkspace): void {
  const { numGroups: N, groupSize: G } = ws;
  const K = rules.length;
  for (let i = 0; i < N; i++) {
    const group = groups[i] as ReadonlyArray<Readonly<Record<string, number>>>;
    for (let j = 0; j < G; j++) {
      const sample = group[j] as Readonly<Record<string, number>>;
      let keys = 0;
      for (const key in sample) if (Object.hasOwn(sample, key)) keys++;
      for (let k = 0; k < K; k++) {
        const rule = rules[k] as string;
        const r = sample[rule];
        if (keys !== K || (typeof r !== 'number' && !Object.hasOwn(sample, rule))) {
          throw new RewardGroupsError(
            `group ${i}, sample ${j} has rules {${Object.keys(sample).join(', ')}} but group 0, sample 0 has {${rules.join(', ')}}; every completion needs the same rules`,
            'rules',
            i,
            j,
          );
        }
        if (typeof r !== 'number' || !(r >= 0 && r <= 1)) {
          const named = K > 1 || rule !== 'reward' ? `, rule '${rule}'` : '';
          throw new RewardGroupsError(
            `group ${i}, sample ${j}${named}: reward ${String(r)} is outside [0, 1]`,
            'range',
            i,
            j,
            rule,
          );
        }
        ws.rewards[(k * N + i) * G + j] = r;
      }
    }
  }
}

/**
 * Advantages of every completion, with advantage decomposition over the reward rules: each rule gets its own
 * p̂, Beta fit and advantages, and the combined advantage is their mean. Throws RewardGroupsError on bad input
 * (naming group, sample and rule).
 *
 * groups[i][j] = the per-rule rewards (each in [0,1]) of completion j of prompt group i; every completion has the same rule keys.
 */
export function computeAdvantages(groups: RewardGroups, estimator: EstimatorName): AdvantageResult {
  if (!isEstimatorName(estimator)) throw new RangeError(`unknown estimator '${String(estimator)}'`);
  const [N, G] = checkShape(groups);
  const rules = Object.keys((groups[0] as ReadonlyArray<Readonly<Record<string, number>>>)[0] as object);
  if (rules.length === 0) throw new RewardGroupsError('group 0, sample 0 has no reward rules', 'rules', 0, 0);
  const ws = createAdvantageWorkspace(rules.length, N, G);
  fillWorkspace(groups, rules, ws);
  computeAdvantagesFlat(ws, estimator);
  return workspaceResult(ws, rules, estimator);
}

/** Copies a computed workspace into the object form (what the CLI prints and the trainer records). */
export function workspaceResult(
  ws: AdvantageWorkspace,
  rules: readonly string[],
  estimator: EstimatorName,
): AdvantageResult {
  const { numGroups: N, groupSize: G } = ws;
  const advantages: number[][] = new Array<number[]>(N);
  for (let i = 0; i < N; i++) {
    const row = new Array<number>(G);
    for (let j = 0; j < G; j++) row[j] = ws.advantages[i * G + j] as number;
    advantages[i] = row;
  }
  const stats = Object.fromEntries(
    rules.map((rule, k): [string, RuleStats] => [
      rule,
      {
        pHat: Array.from(ws.pHat.subarray(k * N, (k + 1) * N)),
        mean: ws.mean[k] as number,
        var: ws.var[k] as number,
        a: ws.a[k] as number,
        b: ws.b[k] as number,
        alpha: ws.alpha[k] as number,
        beta: ws.beta[k] as number,
        guard: GUARD_BY_CODE[ws.guard[k] as number] ?? null,
        zeroVarianceShare: ws.zeroVarianceShare[k] as number,
      },
    ]),
  );
  return { estimator, rules: [...rules], advantages, stats };
}

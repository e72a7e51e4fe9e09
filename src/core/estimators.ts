// Advantage estimators over grouped rewards: BNPO (spec: ../shared/spec/bnpo.md) and the peers the trainer
// offers for side-by-side runs, with everything else the product says about each of them in one table
// (ESTIMATORS). Advantages are pure functions of the rewards (and, for REINFORCE++, the completion lengths);
// the trainer applies the loss, aggregated as the table says.
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
/** REINFORCE++ multiplies by rsqrt(unbiased variance + 1e-8), as verl's `masked_whiten` does. */
export const REINFORCEPP_VAR_EPSILON = 1e-8;

/**
 * How the PPO loss turns per-token losses ℓ[c][t] of the C completions into one scalar. The values are verl's
 * `loss_agg_mode` names (core_algos.agg_loss), so the verl launch passes them through unchanged.
 *   seq-mean-token-sum       (1/C) Σ_c Σ_t ℓ           the sequence's log-probability times its advantage
 *   seq-mean-token-mean      (1/C) Σ_c (1/|o_c|) Σ_t ℓ  per-sequence mean: short completions weigh more per token
 *   seq-mean-token-sum-norm  (1/C) Σ_c Σ_t ℓ / L_max   a constant normaliser, the generation budget L_max
 *   token-mean               Σ_c Σ_t ℓ / Σ_c |o_c|     every token of the batch alike
 * Only seq-mean-token-mean changes the gradient's direction: the other three are Σ_c Σ_t ℓ times a factor that
 * is the same for every token of the batch (1/C, 1/(C·L_max), 1/Σ|o_c|). With Adam (which rescales the update by
 * its running gradient magnitude) and the gradient-norm clip, such a factor moves the update very little; it
 * does change the gradient's size, the clip's bite and Adam's ε relative to the gradient.
 * (verl's own seq-mean-token-sum-norm divides the batch sum by L_max without the 1/C: one more constant.)
 */
export const LOSS_AGGREGATIONS = [
  'seq-mean-token-sum',
  'seq-mean-token-mean',
  'seq-mean-token-sum-norm',
  'token-mean',
] as const;
export type LossAggregation = (typeof LOSS_AGGREGATIONS)[number];

/** Adds one rule's advantages (rule k of the workspace) to ws.advantages; α, β are the rule's clamped fit. */
type RuleAdvantages = (ws: AdvantageWorkspace, k: number, alpha: number, beta: number) => void;

/** Everything the product says about one estimator: the one place to add or change one. */
export interface EstimatorInfo {
  /** Short display name (legends, tables). */
  readonly label: string;
  /** One line: what the advantage is (the launch quick pick's detail, the Beta-fit page). */
  readonly summary: string;
  /** Plot colour of the study's charts (a light-background palette). */
  readonly colour: string;
  /** How its PPO loss aggregates over tokens and completions, as its reference does. */
  readonly lossAggregation: LossAggregation;
  /** Where the advantage and the aggregation come from. */
  readonly reference: { readonly paper: string; readonly code: string };
  readonly compute: RuleAdvantages;
}

export const ESTIMATORS: Readonly<Record<EstimatorName, EstimatorInfo>> = {
  bnpo: {
    label: 'BNPO',
    summary: 'Beta-normalised advantages: (R − p̂)/f(p̂; α, β), α and β fitted to the batch',
    colour: '#d62728',
    // The released recipe: sum over a completion's tokens, mean over completions (shared/spec/bnpo.md).
    lossAggregation: 'seq-mean-token-sum',
    reference: {
      paper: 'Xiao, Zhang, Cao 2025, "BNPO: Beta Normalization Policy Optimization", arXiv 2506.02864',
      code: "the authors' verl recipe, recipe/bnpo (compute_bnpo_outcome_advantage; loss_agg_mode seq-mean-token-sum)",
    },
    compute: bnpoAdvantages,
  },
  reinforce: {
    label: 'REINFORCE',
    summary: 'REINFORCE with a per-prompt mean baseline: R − p̂',
    colour: '#2ca02c',
    // The score-function gradient of the whole completion, ∇log π(o) = Σ_t ∇log π(o_t), times its advantage;
    // also BNPO at α = β = 1 exactly (same advantage, same aggregation), as the BNPO paper reads it.
    lossAggregation: 'seq-mean-token-sum',
    reference: {
      paper:
        'Williams 1992, "Simple statistical gradient-following algorithms for connectionist reinforcement learning"; BNPO paper §3 (α = β = 1)',
      code: 'no engine default; the sequence log-probability form, verl loss_agg_mode seq-mean-token-sum',
    },
    compute: centeredAdvantages,
  },
  grpo: {
    label: 'GRPO',
    summary: 'GRPO: R − p̂ divided by the group’s standard deviation',
    colour: '#1f77b4',
    lossAggregation: 'seq-mean-token-mean',
    reference: {
      paper: 'Shao et al. 2024, "DeepSeekMath", arXiv 2402.03300, eq. 3: (1/G) Σ_i (1/|o_i|) Σ_t',
      code: 'verl core_algos compute_grpo_outcome_advantage; loss_agg_mode seq-mean-token-mean',
    },
    compute: groupStdAdvantages,
  },
  drgrpo: {
    label: 'Dr. GRPO',
    summary: 'Dr. GRPO: R − p̂ without the std division, token sum over a constant budget',
    colour: '#ff7f0e',
    // The same advantage as REINFORCE; the loss divides each completion's token sum by the generation budget
    // (max new tokens) instead of its length. Against REINFORCE that is the constant factor 1/L_max: the same
    // gradient direction, a gradient L_max times smaller (see LOSS_AGGREGATIONS).
    lossAggregation: 'seq-mean-token-sum-norm',
    reference: {
      paper:
        'Liu et al. 2025, "Understanding R1-Zero-Like Training: A Critical Perspective", arXiv 2503.20783',
      code: 'verl compute_grpo_outcome_advantage with norm_adv_by_std_in_grpo=False; loss_agg_mode seq-mean-token-sum-norm',
    },
    compute: centeredAdvantages,
  },
  rloo: {
    label: 'RLOO',
    summary: 'RLOO: leave-one-out baseline, R_j − mean of the other completions',
    colour: '#9467bd',
    // The paper treats the whole completion as one action (its log-probability, a token sum).
    lossAggregation: 'seq-mean-token-sum',
    reference: {
      paper:
        'Ahmadian et al. 2024, "Back to Basics: Revisiting REINFORCE Style Optimization", arXiv 2402.14740',
      code: 'verl core_algos compute_rloo_outcome_advantage (verl itself aggregates with its default token-mean)',
    },
    compute: leaveOneOutAdvantages,
  },
  reinforcepp: {
    label: 'REINFORCE++',
    summary: 'REINFORCE++: returns whitened over every token of the batch',
    colour: '#8c564b',
    // Token-level whitening goes with token-level averaging: verl's default loss_agg_mode.
    lossAggregation: 'token-mean',
    reference: {
      paper: 'Hu 2025, "REINFORCE++: A Simple and Efficient Approach for Aligning LLMs", arXiv 2501.03262',
      code: 'verl core_algos compute_reinforce_plus_plus_outcome_advantage (masked_whiten); loss_agg_mode token-mean',
    },
    compute: tokenWhitenedAdvantages,
  },
};

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
    readonly kind: 'empty' | 'groupSize' | 'ragged' | 'rules' | 'range' | 'lengths',
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
 *   lengths[i·G + j]          tokens of completion j of group i (≥ 1; 1 each until the caller fills it);
 *                             only REINFORCE++ reads it
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
  readonly lengths: Float64Array;
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
    lengths: new Float64Array(numGroups * groupSize).fill(1),
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

/** Adds rule k's advantages under `estimator` to ws.advantages (the registry's `compute`). */
function accumulateRule(
  ws: AdvantageWorkspace,
  k: number,
  estimator: EstimatorName,
  alpha: number,
  beta: number,
): void {
  const entry = ESTIMATORS[estimator] as EstimatorInfo | undefined;
  if (entry === undefined) throw new RangeError(`unknown estimator '${String(estimator)}'`);
  entry.compute(ws, k, alpha, beta);
}

/** Adds `scale`·(R − p̂) per group: the shape of every group-baseline estimator. */
function addGroupCentered(ws: AdvantageWorkspace, k: number, scaleOf: (group: number) => number): void {
  const { numGroups: N, groupSize: G, rewards, advantages, pHat } = ws;
  const ruleBase = k * N * G;
  for (let i = 0; i < N; i++) {
    addScaledCentered(rewards, advantages, ruleBase + i * G, i * G, G, pHat[k * N + i] as number, scaleOf(i));
  }
}

/** A = w(p̂)·(R − p̂), w = min(1/f(p̂; α, β), 1e6). */
function bnpoAdvantages(ws: AdvantageWorkspace, k: number, alpha: number, beta: number): void {
  const logB = logBeta(alpha, beta);
  addGroupCentered(ws, k, (i) => bnpoWeight(ws.pHat[k * ws.numGroups + i] as number, alpha, beta, logB));
}

/** A = R − p̂: REINFORCE with a per-prompt mean baseline (also Dr. GRPO's advantage, GRPO without the std). */
function centeredAdvantages(ws: AdvantageWorkspace, k: number): void {
  addGroupCentered(ws, k, () => 1);
}

/** A_j = R_j − mean_{l≠j} R_l = G/(G−1)·(R_j − p̂), in the scaled form so constant groups give exact 0. */
function leaveOneOutAdvantages(ws: AdvantageWorkspace, k: number): void {
  addGroupCentered(ws, k, () => ws.groupSize / (ws.groupSize - 1));
}

/** A = (R − p̂)/(s + 1e-6), s the sample standard deviation of the group (G−1 denominator). */
function groupStdAdvantages(ws: AdvantageWorkspace, k: number): void {
  const { numGroups: N, groupSize: G, rewards, pHat } = ws;
  addGroupCentered(ws, k, (i) => {
    const p = pHat[k * N + i] as number;
    const base = (k * N + i) * G;
    let squares = 0;
    for (let j = 0; j < G; j++) {
      const d = (rewards[base + j] as number) - p;
      squares += d * d;
    }
    return 1 / (Math.sqrt(squares / (G - 1)) + GRPO_STD_EPSILON);
  });
}

/**
 * REINFORCE++ as verl computes it (`compute_reinforce_plus_plus_outcome_advantage`, no KL in the reward):
 * with the outcome reward on the last token and γ = 1, every token of completion c carries the return R_c;
 * those returns are whitened over all tokens of the batch (`masked_whiten`): μ = Σ L_c·R_c / Σ L_c, the
 * unbiased variance σ² = Σ L_c·(R_c − μ)² / (Σ L_c − 1), and A_c = (R_c − μ)·rsqrt(σ² + 1e-8), L_c the
 * completion's token count (ws.lengths). No per-group baseline, so groups do not sum to 0.
 */
function tokenWhitenedAdvantages(ws: AdvantageWorkspace, k: number): void {
  const { numGroups: N, groupSize: G, rewards, advantages, lengths } = ws;
  const ruleBase = k * N * G;
  const n = N * G;
  let tokens = 0;
  let sum = 0;
  let constant = true;
  const first = rewards[ruleBase] as number;
  for (let t = 0; t < n; t++) {
    const r = rewards[ruleBase + t] as number;
    tokens += lengths[t] as number;
    sum += (lengths[t] as number) * r;
    if (r !== first) constant = false;
  }
  // Every return equal: R − μ is 0 in exact arithmetic; say so exactly rather than ±ulp·1e4.
  if (constant) return;
  const mu = sum / tokens;
  let squares = 0;
  for (let t = 0; t < n; t++) {
    const d = (rewards[ruleBase + t] as number) - mu;
    squares += (lengths[t] as number) * d * d;
  }
  const scale = 1 / Math.sqrt(squares / (tokens - 1) + REINFORCEPP_VAR_EPSILON);
  for (let t = 0; t < n; t++)
    advantages[t] = (advantages[t] as number) + scale * ((rewards[ruleBase + t] as number) - mu);
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
 * Copies completion lengths into ws.lengths; `lengths[i][j]` is the token count of completion j of group i, the
 * same shape as the groups. Throws RewardGroupsError (kind 'lengths') naming the first bad entry.
 */
function fillLengths(lengths: ReadonlyArray<ReadonlyArray<number>>, ws: AdvantageWorkspace): void {
  const { numGroups: N, groupSize: G } = ws;
  if (lengths.length !== N)
    throw new RewardGroupsError(`lengths has ${lengths.length} groups but groups has ${N}`, 'lengths');
  for (let i = 0; i < N; i++) {
    const row = lengths[i] as ReadonlyArray<number>;
    if (row.length !== G) {
      throw new RewardGroupsError(
        `lengths group ${i} has ${row.length} entries but the groups have ${G} completions each`,
        'lengths',
        i,
      );
    }
    for (let j = 0; j < G; j++) {
      const n = row[j] as number;
      if (!Number.isInteger(n) || n < 1) {
        throw new RewardGroupsError(
          `lengths group ${i}, sample ${j}: ${String(n)} is not a token count (an integer ≥ 1)`,
          'lengths',
          i,
          j,
        );
      }
      ws.lengths[i * G + j] = n;
    }
  }
}

/**
 * Advantages of every completion, with advantage decomposition over the reward rules: each rule gets its own
 * p̂, Beta fit and advantages, and the combined advantage is their mean. Throws RewardGroupsError on bad input
 * (naming group, sample and rule).
 *
 * groups[i][j] = the per-rule rewards (each in [0,1]) of completion j of prompt group i; every completion has the same rule keys.
 * lengths[i][j] = its token count (default 1 each); only REINFORCE++, which whitens per token, reads it.
 */
export function computeAdvantages(
  groups: RewardGroups,
  estimator: EstimatorName,
  lengths?: ReadonlyArray<ReadonlyArray<number>>,
): AdvantageResult {
  if (!isEstimatorName(estimator)) throw new RangeError(`unknown estimator '${String(estimator)}'`);
  const [N, G] = checkShape(groups);
  const rules = Object.keys((groups[0] as ReadonlyArray<Readonly<Record<string, number>>>)[0] as object);
  if (rules.length === 0) throw new RewardGroupsError('group 0, sample 0 has no reward rules', 'rules', 0, 0);
  const ws = createAdvantageWorkspace(rules.length, N, G);
  fillWorkspace(groups, rules, ws);
  if (lengths !== undefined) fillLengths(lengths, ws);
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

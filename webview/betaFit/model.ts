// The Beta-fit page's data, without a DOM: the run as the host sent it plus appended steps, which step is shown,
// and per rule the numbers the page draws (the p̂ histogram, the fitted Beta(a, b), the normaliser f(·; α, β) and
// the weight 1/f each p̂ got), computed with the trainer's own core functions from the fit the trainer recorded.
// The view (main.ts) turns this into tables and uPlot charts; the unit tier tests this file directly.
import { GRPO_STD_EPSILON, bnpoWeight } from '../../src/core/estimators';
import { betaLogPdf, logBeta } from '../../src/core/special';
import type { BetaFitStep } from '../../src/protocol/betaFit';
import type { BetaFit, RunStatus } from '../../src/protocol/runDir';

export interface BetaFitRun {
  id: string;
  label: string;
  status: RunStatus;
  rules: string[];
  steps: BetaFitStep[];
}

/** The step shown: the chosen one while it exists, else the newest (null: follow the newest). */
export function currentStep(run: BetaFitRun | undefined, chosen: number | null): BetaFitStep | undefined {
  if (!run || run.steps.length === 0) return undefined;
  const newest = run.steps[run.steps.length - 1];
  if (chosen !== null) return run.steps.find((s) => s.step === chosen) ?? newest;
  return newest;
}

/** The step the slider's value picks: the first recorded step at or after it; null (follow) at the newest. */
export function stepAtSlider(run: BetaFitRun, wanted: number): number | null {
  const last = run.steps[run.steps.length - 1]?.step ?? 0;
  return wanted >= last ? null : (run.steps.find((s) => s.step >= wanted)?.step ?? null);
}

/** Appended steps replace a step already there (its p̂ arrived later) or join in step order. */
export function mergeSteps(run: BetaFitRun, steps: readonly BetaFitStep[]): void {
  for (const s of steps) {
    const at = run.steps.findIndex((x) => x.step === s.step);
    if (at >= 0) run.steps[at] = s;
    else run.steps.push(s);
  }
  run.steps.sort((a, b) => a.step - b.step);
}

/** Steps where some rule's fit was replaced by a guard (α = β = 1). */
export function guardSteps(run: BetaFitRun): BetaFitStep[] {
  return run.steps.filter((s) => Object.values(s.fits).some((f) => f.guard !== null));
}

export interface PHatBin {
  p: number;
  count: number;
  f: number;
  /** BNPO's weight 1/f (capped at 1e6). */
  weight: number;
}

/** A bin with the weights the other estimators give the same p̂, for the comparison beside BNPO's. */
export interface WeighedBin extends PHatBin {
  /** GRPO's 1/(s + 1e-6), s the group's sample standard deviation of 0/1 rewards (null for G = 1). */
  grpo: number | null;
  /** REINFORCE with a per-prompt mean baseline: R − p̂ unscaled. */
  reinforce: number;
}

/**
 * GRPO's weight on R − p̂ for a group of G binary rewards with success share p̂: the sample standard deviation is
 * √(G·p̂(1 − p̂)/(G − 1)), as computeAdvantages' grpo estimator computes it from the rewards.
 */
export function grpoWeight(p: number, groupSize: number): number | null {
  if (groupSize < 2) return null;
  return 1 / (Math.sqrt((groupSize * p * (1 - p)) / (groupSize - 1)) + GRPO_STD_EPSILON);
}

/** p̂ = 0 (no completion rewarded) or 1 (all were): every completion scored the same, so no advantage at all. */
export function noSignal(p: number): boolean {
  return p === 0 || p === 1;
}

/** The groups of a step split: those that teach (0 < p̂ < 1, with all three weights) and those that cannot. */
export interface WeightSplit {
  informative: WeighedBin[];
  /** Groups with no rewarded completion (too hard for the policy now). */
  tooHard: number;
  /** Groups where every completion was rewarded (too easy). */
  tooEasy: number;
  total: number;
}

export function splitBins(pHat: readonly number[], fit: BetaFit, groupSize: number): WeightSplit {
  const list = bins(pHat, fit);
  const count = (p: number): number => list.find((b) => b.p === p)?.count ?? 0;
  return {
    informative: list
      .filter((b) => !noSignal(b.p))
      .map((b) => ({ ...b, grpo: grpoWeight(b.p, groupSize), reinforce: 1 })),
    tooHard: count(0),
    tooEasy: count(1),
    total: pHat.length,
  };
}

/** Plain-language reading of a step's p̂ for one rule: where the mass is, and what that means for learning. */
export function guidance(split: WeightSplit): string[] {
  const { tooHard, tooEasy, total } = split;
  if (total === 0) return [];
  const share = (n: number): string => `${n} of ${total} prompt groups (${Math.round((100 * n) / total)}%)`;
  const lines: string[] = [];
  if (tooHard > 0)
    lines.push(
      `${share(tooHard)} got no rewarded completion: too hard for the policy now. They teach nothing this step.`,
    );
  if (tooEasy > 0)
    lines.push(
      `${share(tooEasy)} had every completion rewarded: too easy. They teach nothing this step either.`,
    );
  const learning = total - tooHard - tooEasy;
  lines.push(
    learning === 0
      ? 'No group had a mix of rewarded and unrewarded completions, so this rule gave no learning signal at this step.'
      : `${share(learning)} had a mix of rewarded and unrewarded completions: only these move the policy.`,
  );
  if (tooHard + tooEasy > total / 2)
    lines.push(
      'Most of the mass sits at 0 or 1: make prompts easier or harder, or sample more completions per prompt (G).',
    );
  return lines;
}

/** Hover definitions of the page's symbols, in plain words; each starts with its term and ': '. */
export const GLOSSARY: Readonly<Record<'pHat' | 'a' | 'b' | 'alpha' | 'beta' | 'f' | 'weight', string>> = {
  pHat: 'p̂: the share of a prompt’s G completions that the rule rewarded (0 = none, 1 = all).',
  a: 'a: first parameter of the Beta(a, b) fitted to this batch’s p̂ by matching their mean and variance; large a = mass near 1.',
  b: 'b: second parameter of the fitted Beta(a, b); large b = mass near 0.',
  alpha:
    'α = max(1, 1 + a/3): the normaliser’s first parameter, the value that minimises the gradient’s variance.',
  beta: 'β = max(1, 1 + b/3): the normaliser’s second parameter.',
  f: 'f(p̂; α, β): the Beta(α, β) density at p̂. BNPO divides each advantage R − p̂ by it: common p̂ are damped, rare ones boosted.',
  weight:
    'weight: the factor an estimator multiplies R − p̂ by. BNPO 1/f, GRPO 1/(the group’s standard deviation), REINFORCE 1.',
};

/** The distinct p̂ of a step with how many groups had each, the normaliser f there and BNPO's weight 1/f. */
export function bins(pHat: readonly number[], fit: BetaFit): PHatBin[] {
  const counts = new Map<number, number>();
  for (const p of pHat) {
    const key = Math.round(p * 1e9) / 1e9;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const logB = logBeta(fit.alpha, fit.beta);
  return [...counts.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([p, count]) => ({
      p,
      count,
      f: Math.exp(betaLogPdf(p, fit.alpha, fit.beta, logB)),
      weight: bnpoWeight(p, fit.alpha, fit.beta, logB),
    }));
}

export function meanPHat(pHat: readonly number[]): number | null {
  return pHat.length > 0 ? pHat.reduce((s, p) => s + p, 0) / pHat.length : null;
}

const GRID = Array.from({ length: 201 }, (_, i) => i / 200);

/** Beta density, finite for drawing (an infinite end point becomes null). */
function density(p: number, a: number, b: number, logB: number): number | null {
  const v = Math.exp(betaLogPdf(p, a, b, logB));
  return Number.isFinite(v) ? v : null;
}

export interface RuleChartData {
  /** A grid over [0, 1] plus every p̂, ascending. */
  xs: number[];
  /** The fitted Beta(a, b) density (null everywhere when a or b is missing or not positive). */
  fitCurve: (number | null)[];
  /** The normaliser f(p; α, β). */
  normaliser: (number | null)[];
  /** The weight 1/f at each p̂ strictly between 0 and 1, null elsewhere (p̂ = 0 or 1 get no advantage). */
  weights: (number | null)[];
  /** The weight axis: the range of those weights with some room, and whether it needs a log scale. */
  weightAxis: { min: number; max: number; log: boolean };
  /** The histogram as a density: count / (N · bin width), bins of width 1/G centred on k/G. */
  bars: { p: number; height: number }[];
  /** The y range's top: the bars and the curves away from the end points, with some room. */
  top: number;
  /** Groups' size G: the bins' width is 1/G. */
  groupSize: number;
}

export function ruleChartData(step: BetaFitStep, rule: string): RuleChartData | undefined {
  const fit = step.fits[rule];
  if (!fit) return undefined;
  const pHat = step.pHat[rule] ?? [];
  const list = bins(pHat, fit);
  const groupSize = Math.max(1, step.groupSize);
  const xs = [...new Set([...GRID, ...list.map((b) => b.p)])].sort((x, y) => x - y);
  const { a, b } = fit;
  const fitted = a !== null && b !== null && a > 0 && b > 0;
  const logBab = fitted ? logBeta(a, b) : 0;
  const logBn = logBeta(fit.alpha, fit.beta);
  const fitCurve = xs.map((p) => (fitted ? density(p, a, b, logBab) : null));
  const normaliser = xs.map((p) => density(p, fit.alpha, fit.beta, logBn));
  const informative = list.filter((bin) => !noSignal(bin.p));
  const weightAt = new Map(informative.map((bin) => [bin.p, bin.weight]));
  const weights = xs.map((p) => weightAt.get(p) ?? null);
  const bars = list.map((bin) => ({
    p: bin.p,
    height: pHat.length > 0 ? (bin.count / pHat.length) * groupSize : 0,
  }));
  const interior = (values: (number | null)[]) =>
    values.filter((v, i): v is number => v !== null && xs[i]! >= 0.02 && xs[i]! <= 0.98);
  const top =
    Math.max(1.2, ...bars.map((bar) => bar.height), ...interior(fitCurve), ...interior(normaliser)) * 1.1;
  return { xs, fitCurve, normaliser, weights, weightAxis: weightAxis(informative), bars, top, groupSize };
}

/** Scaled to the weights that matter; a log axis only when they span more than a factor of 20. */
function weightAxis(informative: readonly PHatBin[]): RuleChartData['weightAxis'] {
  const values = informative.map((b) => b.weight);
  if (values.length === 0) return { min: 0, max: 2, log: false };
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (hi / lo > 20) return { min: lo / 1.5, max: hi * 1.5, log: true };
  const pad = Math.max((hi - lo) * 0.15, hi * 0.1);
  return { min: Math.max(0, lo - pad), max: hi + pad, log: false };
}

/** α and β of every rule over the steps: x, then per rule its α series and its β series. */
export function historyData(run: BetaFitRun): (number | null)[][] {
  const data: (number | null)[][] = [run.steps.map((s) => s.step)];
  for (const rule of run.rules) {
    data.push(
      run.steps.map((s) => s.fits[rule]?.alpha ?? null),
      run.steps.map((s) => s.fits[rule]?.beta ?? null),
    );
  }
  return data;
}

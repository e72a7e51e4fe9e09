// The Beta-fit page's data, without a DOM: the run as the host sent it plus appended steps, which step is shown,
// and per rule the numbers the page draws (the p̂ histogram, the fitted Beta(a, b), the normaliser f(·; α, β) and
// the weight 1/f each p̂ got), computed with the trainer's own core functions from the fit the trainer recorded.
// The view (main.ts) turns this into tables and uPlot charts; the unit tier tests this file directly.
import { bnpoWeight } from '../../src/core/estimators';
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
  weight: number;
}

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
  /** The weight 1/f at each p̂, null elsewhere. */
  weights: (number | null)[];
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
  const weightAt = new Map(list.map((bin) => [bin.p, bin.weight]));
  const weights = xs.map((p) => weightAt.get(p) ?? null);
  const bars = list.map((bin) => ({
    p: bin.p,
    height: pHat.length > 0 ? (bin.count / pHat.length) * groupSize : 0,
  }));
  const interior = (values: (number | null)[]) =>
    values.filter((v, i): v is number => v !== null && xs[i]! >= 0.02 && xs[i]! <= 0.98);
  const top =
    Math.max(1.2, ...bars.map((bar) => bar.height), ...interior(fitCurve), ...interior(normaliser)) * 1.1;
  return { xs, fitCurve, normaliser, weights, bars, top, groupSize };
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

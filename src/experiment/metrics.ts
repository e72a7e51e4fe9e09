// The measurements of the estimator study, as pure functions of numbers read from run directories, so each can be
// tested on a case whose answer is known.

/** One held-out evaluation: RL step (0 = the SFT base) and accuracy. */
export interface CurvePoint {
  readonly step: number;
  readonly accuracy: number;
}

/** Points sorted by step; a step evaluated twice keeps its last value (a resumed run re-evaluates). */
export function normaliseCurve(points: readonly CurvePoint[]): CurvePoint[] {
  const byStep = new Map<number, number>();
  for (const p of points) byStep.set(p.step, p.accuracy);
  return [...byStep.entries()].sort((x, y) => x[0] - y[0]).map(([step, accuracy]) => ({ step, accuracy }));
}

/**
 * Area under the accuracy curve (trapezoids between evaluations) divided by the steps it spans: the mean
 * held-out accuracy over training, in [0, 1], comparable between runs with the same evaluation schedule.
 * A single point gives its accuracy; no point gives null.
 */
export function areaUnderCurve(points: readonly CurvePoint[]): number | null {
  const c = normaliseCurve(points);
  if (c.length === 0) return null;
  if (c.length === 1) return c[0]!.accuracy;
  let area = 0;
  for (let i = 1; i < c.length; i++) {
    const a = c[i - 1]!;
    const b = c[i]!;
    area += ((a.accuracy + b.accuracy) / 2) * (b.step - a.step);
  }
  return area / (c[c.length - 1]!.step - c[0]!.step);
}

/** The first evaluated step whose accuracy is at least `target`, or null when none is. */
export function stepsToTarget(points: readonly CurvePoint[], target: number): number | null {
  for (const p of normaliseCurve(points)) if (p.accuracy >= target) return p.step;
  return null;
}

export interface Collapse {
  readonly collapsed: boolean;
  /** First step of the trailing stretch below the threshold (null when the last evaluation is above it). */
  readonly since: number | null;
  /** Evaluations in that trailing stretch. */
  readonly evals: number;
}

/**
 * A run collapses when its held-out accuracy falls below `base − margin` and stays there: the trailing stretch of
 * evaluations below that threshold (through the last one) holds at least `minEvals` evaluations. A dip that
 * recovers is not a collapse; neither is a single low final evaluation when minEvals > 1. The base point
 * (step 0) is never counted.
 */
export function detectCollapse(
  points: readonly CurvePoint[],
  base: number,
  margin: number,
  minEvals: number,
): Collapse {
  const c = normaliseCurve(points).filter((p) => p.step > 0);
  // Accuracies are ratios of counts: a value equal to the threshold in decimal must not fall below it by a rounding.
  const threshold = base - margin - 1e-9;
  let evals = 0;
  for (let i = c.length - 1; i >= 0 && c[i]!.accuracy < threshold; i--) evals++;
  const since = evals > 0 ? c[c.length - evals]!.step : null;
  return { collapsed: evals >= minEvals, since, evals };
}

export interface MeanStd {
  readonly mean: number | null;
  /** Sample standard deviation (n − 1); 0 for one value, null for none. */
  readonly std: number | null;
  readonly n: number;
}

/** Mean and sample standard deviation of the finite values (nulls and non-finite values are skipped). */
export function meanStd(values: readonly (number | null | undefined)[]): MeanStd {
  const xs = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const n = xs.length;
  if (n === 0) return { mean: null, std: null, n: 0 };
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  if (n === 1) return { mean, std: 0, n };
  const ss = xs.reduce((s, x) => s + (x - mean) * (x - mean), 0);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

/**
 * Streaming covariance of vectors of one length (Welford, in float64): the trace of the sample covariance
 * (n − 1 denominator) is the sum of the per-coordinate sample variances, so the full D×D matrix is never built.
 */
export class CovarianceTrace {
  private count = 0;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;

  constructor(readonly dim: number) {
    this.mean = new Float64Array(dim);
    this.m2 = new Float64Array(dim);
  }

  /** Adds scale·x (the scale lets one gradient stand for an estimator whose advantages are a multiple of it). */
  add(x: ArrayLike<number>, scale = 1): void {
    if (x.length !== this.dim) throw new RangeError(`vector of length ${x.length}, expected ${this.dim}`);
    this.count++;
    const n = this.count;
    for (let d = 0; d < this.dim; d++) {
      const v = (x[d] as number) * scale;
      const m = this.mean[d] as number;
      const delta = v - m;
      const next = m + delta / n;
      this.mean[d] = next;
      this.m2[d] = (this.m2[d] as number) + delta * (v - next);
    }
  }

  get n(): number {
    return this.count;
  }

  /** tr Cov; NaN with fewer than two vectors. */
  trace(): number {
    if (this.count < 2) return NaN;
    let s = 0;
    for (let d = 0; d < this.dim; d++) s += this.m2[d] as number;
    return s / (this.count - 1);
  }

  /** ‖mean‖². */
  meanNormSq(): number {
    let s = 0;
    for (let d = 0; d < this.dim; d++) s += (this.mean[d] as number) ** 2;
    return s;
  }
}

/**
 * If `x` is c·`y` for one scalar c (to a relative 1e-12, zeros matching), returns c; otherwise null. The variance
 * probe uses it so that estimators whose advantages are multiples of each other under the same loss aggregation
 * (REINFORCE, RLOO) share one backward pass: the policy gradient is linear in the advantages.
 */
export function scalarMultiple(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  if (x.length !== y.length) return null;
  let c: number | null = null;
  let maxY = 0;
  for (let i = 0; i < y.length; i++) maxY = Math.max(maxY, Math.abs(y[i] as number));
  if (maxY === 0) return null;
  for (let i = 0; i < y.length; i++) {
    const yi = y[i] as number;
    if (Math.abs(yi) > 1e-9 * maxY) {
      c = (x[i] as number) / yi;
      break;
    }
  }
  if (c === null || !Number.isFinite(c)) return null;
  let maxX = 0;
  for (let i = 0; i < x.length; i++) maxX = Math.max(maxX, Math.abs(x[i] as number));
  const tol = 1e-12 * Math.max(maxX, 1e-300);
  for (let i = 0; i < x.length; i++) {
    if (Math.abs((x[i] as number) - c * (y[i] as number)) > tol) return null;
  }
  return c;
}

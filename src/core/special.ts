// Special functions behind BNPO's Beta weights: log-gamma, log-Beta, the Beta log-density and the
// method-of-moments Beta fit. Pure TypeScript, float64 throughout.

/** Euler–Mascheroni constant γ. */
const EULER_GAMMA = 0.5772156649015329;
const HALF_LOG_TWO_PI = 0.9189385332046728; // ln(2π)/2
const LOG_PI = 1.1447298858494002;

/** Bernoulli numbers B_2, B_4, …, B_16. */
const BERNOULLI_EVEN = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510];

/**
 * ζ(k) − 1 = Σ_{n≥2} n^-k by Euler–Maclaurin summation with the head summed up to n = 19. Computing the
 * difference directly (never ζ(k) and then subtracting 1) keeps full relative precision for large k.
 */
function zetaMinusOne(k: number): number {
  const n = 20;
  let tail = Math.pow(n, 1 - k) / (k - 1) + Math.pow(n, -k) / 2;
  let rising = k; // k (k+1) … (k+2j-2)
  let factorial = 2; // (2j)!
  for (let j = 1; j <= 6; j++) {
    tail += ((BERNOULLI_EVEN[j - 1] as number) / factorial) * rising * Math.pow(n, -k - 2 * j + 1);
    rising *= (k + 2 * j - 1) * (k + 2 * j);
    factorial *= (2 * j + 1) * (2 * j + 2);
  }
  let head = 0;
  for (let m = n - 1; m >= 2; m--) head += Math.pow(m, -k); // smallest terms first
  return head + tail;
}

/**
 * Taylor coefficients c_k = (-1)^k (ζ(k) − 1) / k of
 *   lnΓ(2 + z) = (1 − γ) z + Σ_{k≥2} c_k z^k,
 * which follows from lnΓ(1 + z) = −γz + Σ (-1)^k ζ(k) z^k / k and lnΓ(2 + z) = lnΓ(1 + z) + ln(1 + z).
 * Because ζ(k) − 1 ≈ 2^-k the series converges for |z| < 2; we only use |z| ≤ 1/2, where 30 terms reach
 * 4^-30 ≈ 1e-18. Expanding around the zeros of lnΓ (at 1 and 2) is what keeps the *relative* error small
 * there, where any Γ-then-log formula (Lanczos included) loses digits.
 */
const LGAMMA2_SERIES: readonly number[] = (() => {
  const c: number[] = [];
  for (let k = 2; k <= 31; k++) c.push(((k % 2 === 0 ? 1 : -1) * zetaMinusOne(k)) / k);
  return c;
})();

/** lnΓ(2 + z) for |z| ≤ 1/2. */
function lgammaNear2(z: number): number {
  let sum = 0;
  for (let i = LGAMMA2_SERIES.length - 1; i >= 0; i--) sum = sum * z + (LGAMMA2_SERIES[i] as number);
  return z * (1 - EULER_GAMMA + z * sum);
}

/** Stirling's series with terms up to B_16; for x ≥ 10 the first omitted term is below 2e-18 relative. */
function lgammaStirling(x: number): number {
  const inv = 1 / x;
  const inv2 = inv * inv;
  let series = 0;
  for (let j = BERNOULLI_EVEN.length; j >= 1; j--) {
    series = series * inv2 + (BERNOULLI_EVEN[j - 1] as number) / (2 * j * (2 * j - 1));
  }
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_TWO_PI + series * inv;
}

/**
 * ln|Γ(x)|, relative error about 1e-15 for x > 0 (also next to the zeros at 1 and 2).
 * +Infinity at 0 and the negative integers; negative non-integers use the reflection formula.
 */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0) {
    if (Number.isInteger(x)) return Infinity;
    // Γ(x) Γ(1−x) = π / sin(πx)
    return LOG_PI - Math.log(Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  if (x < 0.5) return lgammaNear2(x) - Math.log1p(x) - Math.log(x); // Γ(x) = Γ(2+x) / (x(1+x))
  if (x < 1.5) return lgammaNear2(x - 1) - Math.log(x); // Γ(x) = Γ(2+(x−1)) / x
  if (x < 2.5) return lgammaNear2(x - 2);
  if (x < 10) {
    // Shift down into [1.5, 2.5): Γ(x) = (x-1)(x-2)…(y) Γ(y).
    let y = x;
    let product = 1;
    while (y >= 2.5) {
      y -= 1;
      product *= y;
    }
    return lgammaNear2(y - 2) + Math.log(product);
  }
  return lgammaStirling(x);
}

/** ln B(a, b) = lnΓ(a) + lnΓ(b) − lnΓ(a+b). */
export function logBeta(a: number, b: number): number {
  return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/** x·ln(y) with 0·ln(0) = 0 (scipy's xlogy), so a flat exponent ignores a zero base. */
export function xlogy(x: number, y: number): number {
  if (x === 0 && !Number.isNaN(y)) return 0;
  return x * Math.log(y);
}

/** x·ln(1+y) with 0·ln(0) = 0; ln(1+y) via log1p for accuracy when y is small. */
export function xlog1py(x: number, y: number): number {
  if (x === 0 && !Number.isNaN(y)) return 0;
  return x * Math.log1p(y);
}

/**
 * ln f(p; α, β) of the Beta density f(p) = p^(α−1) (1−p)^(β−1) / B(α, β), with xlogy semantics:
 * (α−1)·ln p is 0 when α = 1 and p = 0, likewise (β−1)·ln(1−p) when β = 1 and p = 1.
 * Outside [0, 1] the density is 0 (−Infinity).
 * `logB` lets a caller that evaluates many p for one (α, β) pass ln B(α, β) once.
 */
export function betaLogPdf(p: number, alpha: number, beta: number, logB = logBeta(alpha, beta)): number {
  if (Number.isNaN(p)) return NaN;
  if (p < 0 || p > 1) return -Infinity;
  return xlogy(alpha - 1, p) + xlog1py(beta - 1, -p) - logB;
}

/** Why a fit fell back to α = β = 1; null when the released algorithm's own numbers were used. */
export type BetaFitGuard = 'zeroVariance' | 'nonFiniteFit';

export interface BetaFit {
  /** The mean m used by the fit (0 for a single group, as released). */
  readonly mean: number;
  /** The sample variance v (N−1 denominator) used by the fit (1 for a single group, as released). */
  readonly var: number;
  /** Method-of-moments Beta(a, b); NaN when a guard fired (the moments define no Beta). */
  readonly a: number;
  readonly b: number;
  /** BNPO's weight parameters α = max(1, 1 + a/3), β = max(1, 1 + b/3); 1 and 1 when a guard fired. */
  readonly alpha: number;
  readonly beta: number;
  readonly guard: BetaFitGuard | null;
}

/** The one fit that both the object API and the flat fast path use, so they cannot drift apart. */
export function fitBetaFromMoments(mean: number, variance: number): BetaFit {
  if (variance === 0) {
    // GUARD: released code yields NaN (or raises when every p̂ is 0 or 1); we fall back to REINFORCE.
    return { mean, var: variance, a: NaN, b: NaN, alpha: 1, beta: 1, guard: 'zeroVariance' };
  }
  const k = (mean * (1 - mean)) / variance - 1;
  if (!Number.isFinite(k)) {
    return { mean, var: variance, a: NaN, b: NaN, alpha: 1, beta: 1, guard: 'nonFiniteFit' };
  }
  const a = k * mean;
  const b = k * (1 - mean);
  // v > m(1−m) gives k < 0 and negative a, b; the clamp turns that into α = β = 1 as released.
  return {
    mean,
    var: variance,
    a,
    b,
    alpha: Math.max(1, 1 + a / 3),
    beta: Math.max(1, 1 + b / 3),
    guard: null,
  };
}

/**
 * Method-of-moments Beta fit of the per-group success rates p̂ (spec steps 2–4):
 * m = mean(p̂), v = sample variance (N−1), k = m(1−m)/v − 1, a = k·m, b = k·(1−m).
 * A single group uses m = 0, v = 1 like the released code, which gives α = β = 1.
 */
export function fitBetaMoments(pHat: ArrayLike<number>): BetaFit {
  const n = pHat.length;
  if (n === 0) throw new RangeError('fitBetaMoments needs at least one p̂');
  if (n === 1) return fitBetaFromMoments(0, 1);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += pHat[i] as number;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = (pHat[i] as number) - mean;
    squares += d * d;
  }
  return fitBetaFromMoments(mean, squares / (n - 1));
}

/**
 * The gradient-variance proxy of the spec, E[p(1−p) / f(p; α, β)²] for p ~ Beta(a, b):
 *   V(α, β; a, b) = B(α, β)² · B(a + 3 − 2α, b + 3 − 2β) / B(a, b).
 * +Infinity where the expectation diverges (a + 3 − 2α ≤ 0 or b + 3 − 2β ≤ 0).
 */
export function varianceProxy(alpha: number, beta: number, a: number, b: number): number {
  const a2 = a + 3 - 2 * alpha;
  const b2 = b + 3 - 2 * beta;
  if (!(a2 > 0 && b2 > 0)) return Infinity;
  return Math.exp(2 * logBeta(alpha, beta) + logBeta(a2, b2) - logBeta(a, b));
}

/** The unique minimiser of varianceProxy over (α, β): α* = 1 + a/3, β* = 1 + b/3 (no clamp). */
export function optimalAlphaBeta(a: number, b: number): { alpha: number; beta: number } {
  return { alpha: 1 + a / 3, beta: 1 + b / 3 };
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  betaLogPdf,
  fitBetaFromMoments,
  fitBetaMoments,
  lgamma,
  logBeta,
  optimalAlphaBeta,
  varianceProxy,
  xlog1py,
  xlogy,
} from '../../src/core/special';

const EULER_GAMMA = 0.5772156649015329;
const ZETA3 = 1.2020569031595942;

function assertRelative(actual: number, expected: number, tolerance: number, label: string): void {
  const error = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(error <= tolerance, `${label}: got ${actual}, expected ${expected} (relative error ${error})`);
}

describe('lgamma', () => {
  it('matches closed forms: Γ(1/2) = √π, Γ(3/2) = √π/2, lnΓ(n) = ln((n−1)!)', () => {
    assertRelative(lgamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'lgamma(0.5)');
    assertRelative(lgamma(1.5), Math.log(Math.sqrt(Math.PI) / 2), 1e-14, 'lgamma(1.5)');
    assert.equal(lgamma(1), 0);
    assert.equal(lgamma(2), 0);
    let logFactorial = 0;
    for (let n = 3; n <= 171; n++) {
      logFactorial += Math.log(n - 1);
      assertRelative(lgamma(n), logFactorial, 1e-13, `lgamma(${n})`);
    }
  });

  it('matches Γ(n + 1/2) = √π · Π_{k=1..n} (k − 1/2), e.g. lgamma(100.5)', () => {
    let value = 0.5 * Math.log(Math.PI);
    for (let n = 1; n <= 200; n++) {
      value += Math.log(n - 0.5);
      assertRelative(lgamma(n + 0.5), value, 1e-13, `lgamma(${n + 0.5})`);
    }
    // Reference from a 30-digit multiprecision evaluation, rounded to the nearest double.
    assertRelative(lgamma(100.5), 361.4355404677776, 1e-14, 'lgamma(100.5)');
  });

  it('matches 30-digit multiprecision references (rounded to doubles) across every branch (1e-10 relative or better)', () => {
    const reference: [number, number][] = [
      [1e-8, 18.42068073818021],
      [1e-3, 6.907178885383853],
      [0.1, 2.252712651734206],
      [0.25, 1.2880225246980774],
      [0.75, 0.20328095143129538],
      [1.25, -0.09827183642181316],
      [2.5, 0.2846828704729192],
      [3.7, 1.4280723266653879],
      [7.25, 7.0521854507385395],
      [10, 12.801827480081469],
      [12.5, 18.734347511936445],
      [1000.25, 5906.9472682711175],
      [1e5, 1051287.7089736569],
      [1e10, 220258509288.81058],
    ];
    for (const [x, expected] of reference) assertRelative(lgamma(x), expected, 1e-14, `lgamma(${x})`);
  });

  it('keeps relative precision next to its zeros at 1 and 2', () => {
    // Exactly representable arguments; references from the Taylor series lnΓ(1+ε) = −γε + ζ(2)ε²/2 − ζ(3)ε³/3 + …
    for (const eps of [2 ** -20, -(2 ** -20), 2 ** -30, 2 ** -14]) {
      const near1 = -EULER_GAMMA * eps + ((Math.PI ** 2 / 6) * eps ** 2) / 2 - (ZETA3 * eps ** 3) / 3;
      assertRelative(lgamma(1 + eps), near1, 1e-12, `lgamma(1 + ${eps})`);
      const near2 =
        (1 - EULER_GAMMA) * eps + ((Math.PI ** 2 / 6 - 1) * eps ** 2) / 2 - ((ZETA3 - 1) * eps ** 3) / 3;
      assertRelative(lgamma(2 + eps), near2, 1e-12, `lgamma(2 + ${eps})`);
    }
    assertRelative(lgamma(1.0000009536743164), -5.504750066148867e-7, 1e-13, 'lgamma(1 + 2^-20)');
    assertRelative(lgamma(1.99993896484375), -0.000025803506654161686, 1e-13, 'lgamma(2 − 2^-14)');
  });

  it('handles the edges: poles, reflection, NaN and +Infinity', () => {
    assert.equal(lgamma(0), Infinity);
    assert.equal(lgamma(-3), Infinity);
    assert.equal(lgamma(Infinity), Infinity);
    assert.ok(Number.isNaN(lgamma(NaN)));
    // Γ(−1/2) = −2√π
    assertRelative(lgamma(-0.5), Math.log(2 * Math.sqrt(Math.PI)), 1e-14, 'lgamma(-0.5)');
  });
});

describe('logBeta and the Beta density', () => {
  it('logBeta matches closed forms', () => {
    assertRelative(logBeta(1.5, 1.5), Math.log(Math.PI / 8), 1e-14, 'B(3/2,3/2) = π/8');
    assertRelative(logBeta(2, 5), Math.log(1 / 30), 1e-14, 'B(2,5) = 1/30');
    assertRelative(logBeta(0.5, 0.5), Math.log(Math.PI), 1e-14, 'B(1/2,1/2) = π');
    assert.equal(logBeta(1, 1), 0);
  });

  it('xlogy and xlog1py give 0·ln 0 = 0 but keep −Infinity for a positive factor', () => {
    assert.equal(xlogy(0, 0), 0);
    assert.equal(xlog1py(0, -1), 0);
    assert.equal(xlogy(0.5, 0), -Infinity);
    assert.equal(xlog1py(0.5, -1), -Infinity);
    assert.equal(xlogy(2, Math.E), 2);
  });

  it('betaLogPdf uses xlogy semantics at p = 0 and p = 1', () => {
    assert.equal(betaLogPdf(0, 1, 1), 0); // uniform density 1, also at the edge
    assert.equal(betaLogPdf(1, 1, 1), 0);
    assertRelative(betaLogPdf(0, 1, 3), Math.log(3), 1e-15, 'Beta(1,3) at 0'); // f(p) = 3(1−p)²
    assertRelative(betaLogPdf(1, 3, 1), Math.log(3), 1e-15, 'Beta(3,1) at 1');
    assert.equal(betaLogPdf(0, 1.5, 1.5), -Infinity);
    assert.equal(betaLogPdf(1, 1.15625, 1.2604166666666667), -Infinity);
    assert.equal(betaLogPdf(-0.1, 1, 1), -Infinity);
    assert.equal(betaLogPdf(1.1, 1, 1), -Infinity);
    assert.ok(Number.isNaN(betaLogPdf(NaN, 1, 1)));
  });

  it('betaLogPdf matches the closed form inside (0, 1) and integrates to 1', () => {
    const p = 0.3;
    assertRelative(betaLogPdf(p, 2, 5), Math.log(30 * p * (1 - p) ** 4), 1e-14, 'Beta(2,5) at 0.3');
    // Midpoint rule over a smooth density.
    const n = 20000;
    let integral = 0;
    for (let i = 0; i < n; i++) integral += Math.exp(betaLogPdf((i + 0.5) / n, 2.5, 4)) / n;
    assert.ok(Math.abs(integral - 1) < 1e-6, `∫ Beta(2.5,4) = ${integral}`);
  });
});

describe('fitBetaMoments', () => {
  it('reproduces the golden vector fit', () => {
    const fit = fitBetaMoments([0.25, 0.5, 0.75, 0]);
    assert.equal(fit.mean, 0.375);
    assertRelative(fit.var, 0.3125 / 3, 1e-15, 'v');
    assertRelative(fit.a, 0.46875, 1e-14, 'a');
    assertRelative(fit.b, 0.78125, 1e-14, 'b');
    assertRelative(fit.alpha, 1.15625, 1e-14, 'α');
    assertRelative(fit.beta, 1.2604167, 1e-7, 'β');
    assert.equal(fit.guard, null);
  });

  it('a single group uses m = 0, v = 1 as released, which gives α = β = 1 without a guard', () => {
    const fit = fitBetaMoments([0.75]);
    assert.deepEqual(
      { ...fit, a: fit.a + 0 },
      { mean: 0, var: 1, a: 0, b: -1, alpha: 1, beta: 1, guard: null },
    );
  });

  it('v > m(1−m) makes a, b negative and the clamp gives α = β = 1', () => {
    const fit = fitBetaMoments([1, 0]);
    assert.equal(fit.var, 0.5);
    assert.ok(fit.a < 0 && fit.b < 0);
    assert.equal(fit.alpha, 1);
    assert.equal(fit.beta, 1);
    assert.equal(fit.guard, null);
  });

  it('GUARD zeroVariance: identical p̂ (including all 0 or all 1) fall back to α = β = 1', () => {
    for (const pHat of [
      [0.5, 0.5, 0.5],
      [0, 0],
      [1, 1, 1, 1],
    ]) {
      const fit = fitBetaMoments(pHat);
      assert.equal(fit.guard, 'zeroVariance', JSON.stringify(pHat));
      assert.equal(fit.alpha, 1);
      assert.equal(fit.beta, 1);
      assert.ok(Number.isNaN(fit.a) && Number.isNaN(fit.b));
    }
  });

  it('GUARD nonFiniteFit: k overflowing (or NaN) falls back to α = β = 1', () => {
    const fit = fitBetaFromMoments(0.5, 1e-320); // 0.25/1e-320 overflows to +Infinity
    assert.equal(fit.guard, 'nonFiniteFit');
    assert.equal(fit.alpha, 1);
    assert.equal(fit.beta, 1);
    assert.equal(fitBetaMoments([0.5, NaN]).guard, 'nonFiniteFit');
  });

  it('refuses an empty list', () => {
    assert.throws(() => fitBetaMoments([]), RangeError);
  });
});

// ∫_0^1 g(p) dp by tanh-sinh quadrature, which handles the integrable endpoint singularities of the variance
// integrand (p^(a+2−2α) with a negative exponent). p and 1−p are formed separately to avoid cancellation.
function tanhSinh(g: (p: number, q: number) => number): number {
  const h = 1 / 64;
  let sum = 0;
  for (let t = -4.5; t <= 4.5; t += h) {
    const u = (Math.PI / 2) * Math.sinh(t);
    const p = 1 / (1 + Math.exp(-2 * u));
    const q = 1 / (1 + Math.exp(2 * u));
    if (p === 0 || q === 0) continue;
    const weight = ((Math.PI / 2) * Math.cosh(t)) / (2 * Math.cosh(u) ** 2);
    sum += g(p, q) * weight;
  }
  return sum * h;
}

/** E[p(1−p)/f(p; α, β)²] for p ~ Beta(a, b), integrated numerically. */
function varianceByQuadrature(alpha: number, beta: number, a: number, b: number): number {
  return tanhSinh((p, q) => {
    // Written with q = 1 − p directly: near p = 1, p itself rounds to 1 while q is still resolved.
    const logP = Math.log(p);
    const logQ = Math.log(q);
    const logPrior = (a - 1) * logP + (b - 1) * logQ - logBeta(a, b);
    const logF = (alpha - 1) * logP + (beta - 1) * logQ - logBeta(alpha, beta);
    return Math.exp(logP + logQ - 2 * logF + logPrior);
  });
}

describe('the variance proxy V(α, β; a, b) (spec: why 1 + a/3)', () => {
  const shapes: [number, number][] = [
    [2, 5],
    [1.5, 1.5],
    [0.7, 0.4],
    [3, 1.2],
    [6, 2],
    [0.5, 8],
  ];

  it('the closed form equals the integral E[p(1−p)/f(p)²]', () => {
    for (const [a, b] of shapes) {
      for (const [alpha, beta] of [
        [1, 1],
        [1.5, 1.5],
        [1 + a / 3, 1 + b / 3],
        [1.2, 1.1],
      ] as const) {
        const closed = varianceProxy(alpha, beta, a, b);
        assertRelative(
          varianceByQuadrature(alpha, beta, a, b),
          closed,
          1e-7,
          `V(${alpha},${beta};${a},${b})`,
        );
      }
    }
  });

  it('V(3/2, 3/2) = (π/8)² = 0.154213 for every a, b', () => {
    for (const [a, b] of shapes) {
      assertRelative(varianceProxy(1.5, 1.5, a, b), (Math.PI / 8) ** 2, 1e-13, `a=${a}, b=${b}`);
    }
    assert.equal(((Math.PI / 8) ** 2).toFixed(6), '0.154213');
  });

  it('V(1, 1) = ab/((a+b)(a+b+1)), 0.178571 for a = 2, b = 5', () => {
    for (const [a, b] of shapes) {
      assertRelative(varianceProxy(1, 1, a, b), (a * b) / ((a + b) * (a + b + 1)), 1e-13, `a=${a}, b=${b}`);
    }
    assert.equal(varianceProxy(1, 1, 2, 5).toFixed(6), '0.178571');
  });

  it('the optimum is α* = 1 + a/3, β* = 1 + b/3 with V* = B(α*, β*)³/B(a, b) ≤ min(V(1,1), V(3/2,3/2))', () => {
    for (let a = 0.1; a <= 12; a += 0.35) {
      for (let b = 0.1; b <= 12; b += 0.35) {
        const { alpha, beta } = optimalAlphaBeta(a, b);
        const best = varianceProxy(alpha, beta, a, b);
        assertRelative(
          best,
          Math.exp(3 * logBeta(alpha, beta) - logBeta(a, b)),
          1e-12,
          `V* at a=${a}, b=${b}`,
        );
        const reinforce = varianceProxy(1, 1, a, b);
        const grpo = varianceProxy(1.5, 1.5, a, b);
        assert.ok(
          best <= Math.min(reinforce, grpo) * (1 + 1e-12),
          `a=${a}, b=${b}: ${best} vs ${reinforce}, ${grpo}`,
        );
        // A local minimum in every direction.
        for (const [da, db] of [
          [0.05, 0],
          [-0.05, 0],
          [0, 0.05],
          [0, -0.05],
          [0.03, -0.03],
        ] as const) {
          assert.ok(varianceProxy(alpha + da, beta + db, a, b) > best, `not a minimum at a=${a}, b=${b}`);
        }
      }
    }
    // Equality with GRPO at a = b = 1.5, where α* = β* = 3/2.
    assert.deepEqual(optimalAlphaBeta(1.5, 1.5), { alpha: 1.5, beta: 1.5 });
    assertRelative(varianceProxy(1.5, 1.5, 1.5, 1.5), (Math.PI / 8) ** 2, 1e-13, 'V* = GRPO at a = b = 1.5');
  });

  it('V* = 0.0946568 for a = 2, b = 5, and diverges where the integral does', () => {
    const { alpha, beta } = optimalAlphaBeta(2, 5);
    assertRelative(varianceProxy(alpha, beta, 2, 5), 0.09465675543516704, 1e-12, 'V*(2,5)');
    assert.equal(varianceProxy(3, 1, 2, 5), Infinity); // a + 3 − 2α = −1
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EstimatorName } from '../../src/core/estimators';
import {
  BNPO_WEIGHT_CAP,
  bnpoWeight,
  computeAdvantages,
  computeAdvantagesFlat,
  createAdvantageWorkspace,
  ESTIMATOR_NAMES,
  GUARD_BY_CODE,
  RewardGroupsError,
  workspaceResult,
} from '../../src/core/estimators';
import { betaLogPdf, logBeta, optimalAlphaBeta, varianceProxy } from '../../src/core/special';
import { Rng } from '../../src/trainer/rng';

type Groups = Record<string, number>[][];

/** Plain reward lists → the single rule `reward`. */
function single(groups: number[][]): Groups {
  return groups.map((g) => g.map((reward) => ({ reward })));
}

function close(actual: number, expected: number, tolerance: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: got ${actual}, expected ${expected}`);
}

function randomBinaryGroups(rng: Rng, n: number, g: number, rules: string[]): Groups {
  const groups: Groups = [];
  for (let i = 0; i < n; i++) {
    const rates = rules.map(() => rng.next());
    const group: Record<string, number>[] = [];
    for (let j = 0; j < g; j++) {
      group.push(
        Object.fromEntries(rules.map((rule, k) => [rule, rng.next() < (rates[k] as number) ? 1 : 0])),
      );
    }
    groups.push(group);
  }
  return groups;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
const GROUP_BASELINES: EstimatorName[] = ['bnpo', 'reinforce', 'grpo', 'drgrpo', 'rloo'];

describe('BNPO golden vector (spec)', () => {
  const result = computeAdvantages(
    single([
      [1, 0, 0, 0],
      [1, 1, 0, 0],
      [1, 1, 1, 0],
      [0, 0, 0, 0],
    ]),
    'bnpo',
  );

  it('reproduces the advantages to 1e-6', () => {
    const expected = [
      [0.67298, -0.224327, -0.224327, -0.224327],
      [0.447437, 0.447437, -0.447437, -0.447437],
      [0.251525, 0.251525, 0.251525, -0.754575],
      [0, 0, 0, 0],
    ];
    assert.equal(result.advantages.length, 4);
    expected.forEach((row, i) =>
      row.forEach((value, j) => close(result.advantages[i]?.[j] as number, value, 1e-6, `A[${i}][${j}]`)),
    );
  });

  it('reports the fit: p̂, m, v, a, b, α, β, no guard, zero-variance share', () => {
    assert.deepEqual(result.rules, ['reward']);
    const s = result.stats.reward;
    assert.ok(s !== undefined);
    assert.deepEqual(s.pHat, [0.25, 0.5, 0.75, 0]);
    close(s.mean, 0.375, 1e-15, 'm');
    close(s.var, 0.1041667, 1e-7, 'v');
    close(s.a, 0.46875, 1e-12, 'a');
    close(s.b, 0.78125, 1e-12, 'b');
    close(s.alpha, 1.15625, 1e-12, 'α');
    close(s.beta, 1.2604167, 1e-7, 'β');
    assert.equal(s.guard, null);
    assert.equal(s.zeroVarianceShare, 0.25);
  });
});

describe('properties of every group-baseline estimator', () => {
  const rng = new Rng(7);
  const groups = randomBinaryGroups(rng, 64, 8, ['reward']);
  // Guarantee edge groups in the batch.
  groups[3] = single([[0, 0, 0, 0, 0, 0, 0, 0]])[0] as Record<string, number>[];
  groups[9] = single([[1, 1, 1, 1, 1, 1, 1, 1]])[0] as Record<string, number>[];

  for (const estimator of GROUP_BASELINES) {
    it(`${estimator}: advantages sum to 0 within each group; all-0 and all-1 groups give exact zeros`, () => {
      const result = computeAdvantages(groups, estimator);
      result.advantages.forEach((row, i) => close(sum(row), 0, 1e-9, `group ${i} sum`));
      for (const i of [3, 9]) {
        for (const a of result.advantages[i] as number[])
          assert.ok(a === 0, `group ${i}: ${a} is not exactly 0`);
      }
      for (const row of result.advantages) for (const a of row) assert.ok(Number.isFinite(a));
    });
  }

  it('constant fractional groups also give exact zeros', () => {
    const result = computeAdvantages(
      single([
        [0.3, 0.3, 0.3],
        [0.1, 0.7, 0.2],
      ]),
      'bnpo',
    );
    assert.deepEqual(result.advantages[0], [0, 0, 0]);
    assert.equal(result.stats.reward?.pHat[0], 0.3);
  });
});

describe('BNPO weight', () => {
  it('is 1 everywhere for α = β = 1, edges included (REINFORCE)', () => {
    for (const p of [0, 1e-9, 0.25, 0.5, 0.999, 1]) assert.equal(bnpoWeight(p, 1, 1), 1);
  });

  it('is (π/8)/sqrt(p(1−p)) for α = β = 3/2 (GRPO with population std, times π/8)', () => {
    for (const p of [0.125, 0.25, 0.5, 0.875]) {
      close(bnpoWeight(p, 1.5, 1.5), Math.PI / 8 / Math.sqrt(p * (1 - p)), 1e-14, `p=${p}`);
    }
  });

  it('is capped at 1e6 where the density is 0 or tiny', () => {
    assert.equal(bnpoWeight(0, 1.2, 1.3), BNPO_WEIGHT_CAP);
    assert.equal(bnpoWeight(1, 1.2, 1.3), BNPO_WEIGHT_CAP);
    assert.equal(bnpoWeight(1e-30, 5, 5), BNPO_WEIGHT_CAP);
    assert.ok(bnpoWeight(0.5, 5, 5) < BNPO_WEIGHT_CAP);
  });
});

describe('special cases end to end', () => {
  it('REINFORCE: a batch whose fit clamps to α = β = 1 gives exactly R − p̂', () => {
    // p̂ = [7/8, 1/8]: v = 0.28125 > m(1−m) = 0.25, so k < 0 and the clamp gives α = β = 1.
    const groups = single([
      [1, 1, 1, 1, 1, 1, 1, 0],
      [0, 0, 0, 0, 0, 0, 0, 1],
    ]);
    const bnpo = computeAdvantages(groups, 'bnpo');
    assert.equal(bnpo.stats.reward?.alpha, 1);
    assert.equal(bnpo.stats.reward?.beta, 1);
    assert.equal(bnpo.stats.reward?.guard, null);
    assert.deepEqual(bnpo.advantages, computeAdvantages(groups, 'reinforce').advantages);
    close(bnpo.advantages[0]?.[0] as number, 1 - 7 / 8, 1e-15, 'R − p̂');
  });

  it('REINFORCE: a single group uses m = 0, v = 1, hence α = β = 1', () => {
    const groups = single([[1, 0, 0, 1, 1]]);
    const bnpo = computeAdvantages(groups, 'bnpo');
    assert.equal(bnpo.stats.reward?.mean, 0);
    assert.equal(bnpo.stats.reward?.var, 1);
    assert.deepEqual(bnpo.advantages, computeAdvantages(groups, 'reinforce').advantages);
  });

  it('GRPO: α = β = 3/2 gives (π/8)·(R − p̂)/sqrt(p̂(1−p̂)), and (π/8)·sqrt(G/(G−1)) = 0.419813 × sample-std GRPO for G = 8', () => {
    // p̂ = [1/4, 3/4, 1/4, 3/4, 1/2]: m = 1/2, v = 1/16, k = 3, a = b = 3/2, α = β = 3/2 exactly.
    const groups = single([
      [1, 1, 0, 0, 0, 0, 0, 0],
      [1, 1, 1, 1, 1, 1, 0, 0],
      [0, 1, 0, 1, 0, 0, 0, 0],
      [1, 0, 1, 1, 1, 1, 1, 0],
      [1, 0, 1, 0, 1, 0, 1, 0],
    ]);
    const bnpo = computeAdvantages(groups, 'bnpo');
    assert.equal(bnpo.stats.reward?.alpha, 1.5);
    assert.equal(bnpo.stats.reward?.beta, 1.5);
    const grpo = computeAdvantages(groups, 'grpo');
    const expectedRatio = (Math.PI / 8) * Math.sqrt(8 / 7);
    assert.equal(expectedRatio.toFixed(6), '0.419813');
    groups.forEach((group, i) => {
      const p = bnpo.stats.reward?.pHat[i] as number;
      group.forEach(({ reward }, j) => {
        const a = bnpo.advantages[i]?.[j] as number;
        close(a, ((Math.PI / 8) * ((reward as number) - p)) / Math.sqrt(p * (1 - p)), 1e-14, `A[${i}][${j}]`);
        // GRPO divides by (s + 1e-6); the epsilon moves the ratio by about 1e-6 relative.
        close(a / (grpo.advantages[i]?.[j] as number), expectedRatio, 2e-6, `ratio [${i}][${j}]`);
      });
    });
  });
});

describe('the peer estimators match their definitions', () => {
  const rng = new Rng(11);
  const groups = randomBinaryGroups(rng, 12, 6, ['reward']);
  const rewards = groups.map((g) => g.map((c) => c.reward as number));

  it('reinforce and drgrpo: R − mean(group)', () => {
    for (const estimator of ['reinforce', 'drgrpo'] as const) {
      const result = computeAdvantages(groups, estimator);
      rewards.forEach((g, i) =>
        g.forEach((r, j) => close(result.advantages[i]?.[j] as number, r - mean(g), 1e-15, `${i},${j}`)),
      );
    }
  });

  it('grpo: (R − mean)/(sample std + 1e-6)', () => {
    const result = computeAdvantages(groups, 'grpo');
    rewards.forEach((g, i) => {
      const m = mean(g);
      const s = Math.sqrt(sum(g.map((r) => (r - m) ** 2)) / (g.length - 1));
      g.forEach((r, j) =>
        close(result.advantages[i]?.[j] as number, (r - m) / (s + 1e-6), 1e-12, `${i},${j}`),
      );
    });
  });

  it('rloo: R_i − mean of the other completions of the group', () => {
    const result = computeAdvantages(groups, 'rloo');
    rewards.forEach((g, i) =>
      g.forEach((r, j) => {
        const others = g.filter((_, l) => l !== j);
        close(result.advantages[i]?.[j] as number, r - mean(others), 1e-14, `${i},${j}`);
      }),
    );
  });

  it('reinforcepp (verl): returns whitened over every token, unbiased variance, rsqrt(var + 1e-8)', () => {
    // One token per completion (no lengths given): the whitening runs over the N·G rewards.
    const result = computeAdvantages(groups, 'reinforcepp');
    const all = rewards.flat();
    const m = mean(all);
    const unbiased = sum(all.map((r) => (r - m) ** 2)) / (all.length - 1);
    rewards.forEach((g, i) =>
      g.forEach((r, j) =>
        close(result.advantages[i]?.[j] as number, (r - m) / Math.sqrt(unbiased + 1e-8), 1e-12, `${i},${j}`),
      ),
    );
    close(sum(result.advantages.flat()), 0, 1e-9, 'batch sum');
    const constant = computeAdvantages(
      single([
        [1, 1],
        [1, 1],
      ]),
      'reinforcepp',
    );
    assert.deepEqual(constant.advantages, [
      [0, 0],
      [0, 0],
    ]);
  });

  it('reinforcepp weighs each completion by its token count (hand-computed)', () => {
    // Rewards 1, 0 | 0, 0 on 3, 5 | 2, 4 tokens: 14 tokens, μ = 3/14,
    // Σ L·(R − μ)² = 3·(11/14)² + 11·(3/14)² = 462/196, unbiased variance (462/196)/13.
    const result = computeAdvantages(
      single([
        [1, 0],
        [0, 0],
      ]),
      'reinforcepp',
      [
        [3, 5],
        [2, 4],
      ],
    );
    const scale = 1 / Math.sqrt(462 / 196 / 13 + 1e-8);
    const low = (-3 / 14) * scale;
    const expected = [
      [(11 / 14) * scale, low],
      [low, low],
    ];
    expected.forEach((row, i) =>
      row.forEach((x, j) => close(result.advantages[i]?.[j] as number, x, 1e-12, `${i},${j}`)),
    );
    assert.ok(Math.abs((expected[0]?.[0] ?? 0) - 1.8452) < 1e-4);
    // The token-weighted sum is 0; the per-completion sum is not.
    close(3 * (expected[0]?.[0] ?? 0) + 11 * low, 0, 1e-12, 'token-weighted sum');
  });

  it('lengths change nothing but REINFORCE++, and bad lengths are named', () => {
    const batch = single([
      [1, 0],
      [0, 1],
    ]);
    const lengths = [
      [3, 5],
      [2, 4],
    ];
    for (const e of ['bnpo', 'grpo', 'reinforce', 'drgrpo', 'rloo'] as const)
      assert.deepEqual(
        computeAdvantages(batch, e, lengths).advantages,
        computeAdvantages(batch, e).advantages,
      );
    assert.throws(
      () => computeAdvantages(batch, 'reinforcepp', [[3, 5]]),
      /lengths has 1 groups but groups has 2/,
    );
    assert.throws(
      () => computeAdvantages(batch, 'reinforcepp', [[3], [2, 4]]),
      /lengths group 0 has 1 entries/,
    );
    assert.throws(
      () =>
        computeAdvantages(batch, 'reinforcepp', [
          [3, 0],
          [2, 4],
        ]),
      /lengths group 0, sample 1: 0 is not a token count/,
    );
  });
});

describe('guards', () => {
  it('zeroVariance: identical p̂ falls back to α = β = 1 (A = R − p̂) and is flagged', () => {
    const groups = single([
      [1, 0, 1, 0],
      [0, 1, 1, 0],
      [1, 1, 0, 0],
    ]);
    const result = computeAdvantages(groups, 'bnpo');
    const s = result.stats.reward;
    assert.equal(s?.guard, 'zeroVariance');
    assert.equal(s?.alpha, 1);
    assert.equal(s?.beta, 1);
    assert.ok(Number.isNaN(s?.a) && Number.isNaN(s?.b));
    assert.deepEqual(result.advantages, computeAdvantages(groups, 'reinforce').advantages);
  });

  it('zeroVariance when every group is all 0 (the released code raises): all advantages exactly 0', () => {
    const result = computeAdvantages(
      single([
        [0, 0, 0],
        [0, 0, 0],
      ]),
      'bnpo',
    );
    assert.equal(result.stats.reward?.guard, 'zeroVariance');
    assert.equal(result.stats.reward?.zeroVarianceShare, 1);
    for (const a of result.advantages.flat()) assert.ok(a === 0);
  });

  it('the guard is reported for every estimator, since the panels show the fit whatever the estimator', () => {
    for (const estimator of ESTIMATOR_NAMES) {
      const result = computeAdvantages(
        single([
          [1, 0],
          [0, 1],
        ]),
        estimator,
      );
      assert.equal(result.stats.reward?.guard, 'zeroVariance', estimator);
      assert.equal(result.estimator, estimator);
    }
  });
});

describe('advantage decomposition over several rules', () => {
  const rng = new Rng(3);
  const groups = randomBinaryGroups(rng, 20, 8, ['accuracy', 'format']);
  const only = (rule: string): Groups => groups.map((g) => g.map((c) => ({ [rule]: c[rule] as number })));

  for (const estimator of ESTIMATOR_NAMES) {
    it(`${estimator}: per-rule statistics of their own, combined advantage = mean of per-rule advantages`, () => {
      const combined = computeAdvantages(groups, estimator);
      const accuracy = computeAdvantages(only('accuracy'), estimator);
      const format = computeAdvantages(only('format'), estimator);
      assert.deepEqual(combined.rules, ['accuracy', 'format']);
      assert.deepEqual(combined.stats.accuracy, accuracy.stats.accuracy);
      assert.deepEqual(combined.stats.format, format.stats.format);
      assert.notDeepEqual(combined.stats.accuracy?.pHat, combined.stats.format?.pHat);
      combined.advantages.forEach((row, i) =>
        row.forEach((a, j) => {
          const expected =
            ((accuracy.advantages[i]?.[j] as number) + (format.advantages[i]?.[j] as number)) / 2;
          close(a, expected, 1e-15, `${estimator} [${i}][${j}]`);
        }),
      );
    });
  }
});

describe('flat fast path', () => {
  it('gives the same numbers as the object API and leaves no state behind when reused', () => {
    const rng = new Rng(5);
    const groups = randomBinaryGroups(rng, 16, 4, ['a', 'b', 'c']);
    const ws = createAdvantageWorkspace(3, 16, 4);
    for (const estimator of ESTIMATOR_NAMES) {
      ['a', 'b', 'c'].forEach((rule, k) =>
        groups.forEach((g, i) => g.forEach((c, j) => (ws.rewards[(k * 16 + i) * 4 + j] = c[rule] as number))),
      );
      computeAdvantagesFlat(ws, estimator);
      assert.deepEqual(workspaceResult(ws, ['a', 'b', 'c'], estimator), computeAdvantages(groups, estimator));
    }
    assert.equal(GUARD_BY_CODE[0], null);
  });

  it('refuses shapes the estimators cannot handle', () => {
    assert.throws(() => createAdvantageWorkspace(1, 4, 1), /groupSize/);
    assert.throws(() => createAdvantageWorkspace(0, 4, 4), /numRules/);
  });
});

describe('input validation names the place', () => {
  const cases: [string, Groups, RewardGroupsError['kind'], number | undefined, number | undefined][] = [
    ['empty batch', [], 'empty', undefined, undefined],
    ['empty group', [[], []], 'empty', 0, undefined],
    ['group of one', single([[1, 0], [1]]), 'groupSize', 1, undefined],
    [
      'ragged',
      single([
        [1, 0],
        [1, 0, 1],
      ]),
      'ragged',
      1,
      undefined,
    ],
    ['missing rule', [[{ a: 1, b: 0 }, { a: 1 }]], 'rules', 0, 1],
    ['extra rule', [[{ a: 1 }, { a: 1, b: 0 }]], 'rules', 0, 1],
    [
      'out of range',
      single([
        [1, 0],
        [0, 1.5],
      ]),
      'range',
      1,
      1,
    ],
    ['negative', single([[1, -0.1]]), 'range', 0, 1],
    ['NaN', single([[1, NaN]]), 'range', 0, 1],
  ];
  for (const [label, groups, kind, group, sample] of cases) {
    it(label, () => {
      assert.throws(
        () => computeAdvantages(groups, 'bnpo'),
        (err: unknown) => {
          assert.ok(err instanceof RewardGroupsError);
          assert.equal(err.kind, kind);
          assert.equal(err.group, group);
          assert.equal(err.sample, sample);
          if (group !== undefined) assert.match(err.message, new RegExp(`group ${group}`));
          if (sample !== undefined) assert.match(err.message, new RegExp(`sample ${sample}`));
          return true;
        },
      );
    });
  }
  it('unknown estimator', () => {
    assert.throws(
      () => computeAdvantages(single([[1, 0]]), 'ppo' as EstimatorName),
      /unknown estimator 'ppo'/,
    );
  });
});

describe('Monte Carlo with the true p (spec: a = 2, b = 5)', () => {
  // p ~ Beta(2, 5) is the 2nd smallest of 6 uniforms; R ~ Bernoulli(p); A = (R − p)/f(p; α, β).
  function meanSquaredAdvantage(alpha: number, beta: number, samples: number, seed: number) {
    const rng = new Rng(seed);
    const logB = logBeta(alpha, beta);
    let total = 0;
    let totalSquares = 0;
    for (let n = 0; n < samples; n++) {
      let lowest = Infinity;
      let second = Infinity;
      for (let u = 0; u < 6; u++) {
        const x = rng.next();
        if (x < lowest) {
          second = lowest;
          lowest = x;
        } else if (x < second) second = x;
      }
      const p = second;
      const r = rng.next() < p ? 1 : 0;
      const a = (r - p) / Math.exp(betaLogPdf(p, alpha, beta, logB));
      total += a * a;
      totalSquares += a ** 4;
    }
    const m = total / samples;
    return { mean: m, standardError: Math.sqrt((totalSquares / samples - m * m) / samples) };
  }

  const { alpha: alphaStar, beta: betaStar } = optimalAlphaBeta(2, 5);
  for (const [label, alpha, beta, specValue] of [
    ['α = β = 1', 1, 1, 0.1786],
    ['α = β = 3/2', 1.5, 1.5, 0.1542],
    ['α*, β*', alphaStar, betaStar, 0.0947],
  ] as const) {
    it(`E[A²] ≈ ${specValue} for ${label}, agreeing with the closed form`, () => {
      const estimate = meanSquaredAdvantage(alpha, beta, 1_000_000, 2024);
      const closed = varianceProxy(alpha, beta, 2, 5);
      const allowed = 4 * estimate.standardError;
      assert.ok(allowed < 2e-3, `standard error ${estimate.standardError} too large for a meaningful check`);
      close(estimate.mean, closed, allowed, `${label}: MC vs closed form`);
      close(estimate.mean, specValue, allowed + 5e-5, `${label}: MC vs the spec's figure`);
    });
  }
});

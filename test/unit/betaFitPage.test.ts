// The Beta-fit page's reading of a step, without a DOM: groups at p̂ = 0 or 1 are shown apart (no signal) and
// do not set the weight axis, the plain-language guidance names too-hard and too-easy prompts, and the GRPO and
// REINFORCE weights shown beside BNPO's are the ones the trainer's own estimators apply.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BNPO_WEIGHT_CAP, computeAdvantages } from '../../src/core/estimators';
import type { EstimatorName } from '../../src/core/estimators';
import type { BetaFitStep } from '../../src/protocol/betaFit';
import { GLOSSARY, grpoWeight, guidance, ruleChartData, splitBins } from '../../webview/betaFit/model';

const G = 4;

/** A batch of groups of G binary rewards with `k` successes each. */
function batch(successes: readonly number[]): { correct: number }[][] {
  return successes.map((k) => Array.from({ length: G }, (_, j) => ({ correct: j < k ? 1 : 0 })));
}

/** The step the host would send for that batch, with the fit the trainer's estimator computed. */
function stepOf(successes: readonly number[]): BetaFitStep {
  const stats = computeAdvantages(batch(successes), 'bnpo').stats.correct!;
  const num = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    step: 1,
    estimator: 'bnpo',
    groupSize: G,
    fits: {
      correct: {
        a: num(stats.a),
        b: num(stats.b),
        alpha: stats.alpha,
        beta: stats.beta,
        guard: stats.guard === null ? null : 'zeroVariance',
      },
    },
    pHat: { correct: stats.pHat },
  };
}

// Many groups at 0 and 1 (the case that put 1e6 on the axis), a few in between.
const SUCCESSES = [0, 0, 0, 4, 4, 4, 4, 1, 2, 3, 2];

describe('Beta-fit page: groups without signal', () => {
  it('keeps p̂ = 0 and 1 out of the weights and scales the weight axis to the rest', () => {
    const step = stepOf(SUCCESSES);
    const fit = step.fits.correct!;
    // The premise: BNPO's 1/f at the end points is huge (the cap, for α or β above 1).
    const split = splitBins(step.pHat.correct!, fit, G);
    assert.equal(split.tooHard, 3);
    assert.equal(split.tooEasy, 4);
    assert.equal(split.total, SUCCESSES.length);
    assert.deepEqual(
      split.informative.map((b) => [b.p, b.count]),
      [
        [0.25, 1],
        [0.5, 2],
        [0.75, 1],
      ],
    );
    const chart = ruleChartData(step, 'correct')!;
    assert.equal(chart.weights[chart.xs.indexOf(0)], null, 'no weight point at p̂ = 0');
    assert.equal(chart.weights[chart.xs.indexOf(1)], null, 'no weight point at p̂ = 1');
    const drawn = chart.weights.filter((w): w is number => w !== null);
    assert.equal(drawn.length, 3);
    assert.ok(drawn.every((w) => w < BNPO_WEIGHT_CAP));
    // The axis spans the drawn weights with some room, not six decades.
    const { min, max, log } = chart.weightAxis;
    assert.equal(log, false);
    assert.ok(min <= Math.min(...drawn) && max >= Math.max(...drawn), `axis [${min}, ${max}]`);
    assert.ok(max < 2 * Math.max(...drawn), `axis top ${max} is near the largest weight`);
  });

  it('says in plain words which prompts are too hard or too easy and that they teach nothing', () => {
    const lines = guidance(splitBins(stepOf(SUCCESSES).pHat.correct!, stepOf(SUCCESSES).fits.correct!, G));
    assert.match(lines[0]!, /^3 of 11 prompt groups \(27%\) got no rewarded completion: too hard/);
    assert.match(lines[0]!, /teach nothing/);
    assert.match(lines[1]!, /^4 of 11 prompt groups \(36%\) had every completion rewarded: too easy/);
    assert.match(lines[2]!, /^4 of 11 prompt groups \(36%\) had a mix/);
    assert.match(lines[3]!, /Most of the mass sits at 0 or 1/);
    const all = stepOf([2, 1, 3]);
    assert.deepEqual(guidance(splitBins(all.pHat.correct!, all.fits.correct!, G)), [
      '3 of 3 prompt groups (100%) had a mix of rewarded and unrewarded completions: only these move the policy.',
    ]);
    // Every symbol on the page has a definition that starts with it.
    for (const text of Object.values(GLOSSARY)) assert.match(text, /^[^:]+: \S/);
  });
});

describe('Beta-fit page: the weights of GRPO and REINFORCE beside BNPO’s', () => {
  /** The weight an estimator put on R − p̂ in group i: its advantage over R − p̂ for a completion with R ≠ p̂. */
  function appliedWeight(estimator: EstimatorName, successes: readonly number[], i: number): number {
    const groups = batch(successes);
    const result = computeAdvantages(groups, estimator);
    const p = successes[i]! / G;
    const r = groups[i]![0]!.correct;
    return result.advantages[i]![0]! / (r - p);
  }

  it('are the factors the trainer’s estimators apply to the same p̂', () => {
    const successes = [1, 2, 3, 0, 4];
    const step = stepOf(successes);
    const split = splitBins(step.pHat.correct!, step.fits.correct!, G);
    for (const bin of split.informative) {
      const i = successes.findIndex((k) => k / G === bin.p);
      assert.ok(Math.abs(bin.weight - appliedWeight('bnpo', successes, i)) < 1e-9, `BNPO at ${bin.p}`);
      assert.ok(Math.abs(bin.grpo! - appliedWeight('grpo', successes, i)) < 1e-9, `GRPO at ${bin.p}`);
      assert.equal(bin.reinforce, appliedWeight('reinforce', successes, i), `REINFORCE at ${bin.p}`);
    }
    // By hand: G = 4, p̂ = 1/2: s = √(4·¼/3) = 1/√3, so GRPO's weight is about √3.
    assert.ok(Math.abs(grpoWeight(0.5, 4)! - Math.sqrt(3)) < 1e-5);
    assert.equal(grpoWeight(0.5, 1), null, 'no standard deviation in a group of one');
  });
});

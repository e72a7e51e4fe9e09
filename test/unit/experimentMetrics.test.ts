import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseExperimentConfig,
  planExperiment,
  quickConfig,
  cellConfig,
  ExperimentConfigError,
} from '../../src/experiment/plan';
import {
  CovarianceTrace,
  areaUnderCurve,
  detectCollapse,
  meanStd,
  scalarMultiple,
  stepsToTarget,
} from '../../src/experiment/metrics';
import { runJobs, type Job } from '../../src/experiment/pool';
import { lineChart, logBarChart, niceTicks } from '../../src/experiment/svg';
import { Rng } from '../../src/trainer/rng';

const pts = (...xs: [number, number][]) => xs.map(([step, accuracy]) => ({ step, accuracy }));

describe('area under the accuracy curve', () => {
  it('is the trapezoid area divided by the steps spanned', () => {
    assert.equal(areaUnderCurve(pts([0, 0], [10, 1])), 0.5);
    // 10·(0.2+0.4)/2 + 10·(0.4+0.4)/2 = 3 + 4 = 7 over 20 steps
    assert.ok(Math.abs(areaUnderCurve(pts([0, 0.2], [10, 0.4], [20, 0.4]))! - 0.35) < 1e-12);
  });
  it('weights uneven evaluation gaps by their length', () => {
    // 0→5 at 0 then 1 from 5 to 20 (linear ramp over 5 steps): 5·0.5 + 15·1 = 17.5 over 20
    assert.ok(Math.abs(areaUnderCurve(pts([0, 0], [5, 1], [20, 1]))! - 17.5 / 20) < 1e-12);
  });
  it('sorts points and keeps the last value of a repeated step', () => {
    assert.equal(areaUnderCurve(pts([10, 1], [0, 0.5], [10, 0])), 0.25);
  });
  it('gives the value of a single point and null for none', () => {
    assert.equal(areaUnderCurve(pts([0, 0.3])), 0.3);
    assert.equal(areaUnderCurve([]), null);
  });
});

describe('steps to target', () => {
  it('is the first evaluated step at or above the target', () => {
    const c = pts([0, 0.3], [10, 0.35], [20, 0.4], [30, 0.38], [40, 0.5]);
    assert.equal(stepsToTarget(c, 0.4), 20);
    assert.equal(stepsToTarget(c, 0.45), 40);
    assert.equal(stepsToTarget(c, 0.3), 0);
  });
  it('is null when the target is never reached', () => {
    assert.equal(stepsToTarget(pts([0, 0.3], [10, 0.39]), 0.4), null);
  });
});

describe('collapse detection', () => {
  const base = 0.4;
  it('flags a run that falls below base − margin and stays there', () => {
    const c = detectCollapse(pts([0, 0.4], [10, 0.42], [20, 0.3], [30, 0.2], [40, 0.1]), base, 0.05, 2);
    assert.deepEqual(c, { collapsed: true, since: 20, evals: 3 });
  });
  it('does not flag a dip that recovers', () => {
    const c = detectCollapse(pts([0, 0.4], [10, 0.2], [20, 0.1], [30, 0.41]), base, 0.05, 2);
    assert.deepEqual(c, { collapsed: false, since: null, evals: 0 });
  });
  it('needs the stretch to hold minEvals evaluations', () => {
    const c = detectCollapse(pts([0, 0.4], [10, 0.45], [20, 0.1]), base, 0.05, 2);
    assert.deepEqual(c, { collapsed: false, since: 20, evals: 1 });
    assert.equal(detectCollapse(pts([0, 0.4], [10, 0.45], [20, 0.1]), base, 0.05, 1).collapsed, true);
  });
  it('counts only drops beyond the margin (the threshold itself is not below)', () => {
    assert.equal(detectCollapse(pts([10, 0.35], [20, 0.35]), base, 0.05, 2).collapsed, false);
    assert.equal(detectCollapse(pts([10, 0.349], [20, 0.349]), base, 0.05, 2).collapsed, true);
  });
  it('never counts the base point at step 0', () => {
    assert.equal(detectCollapse(pts([0, 0], [10, 0.1]), base, 0.05, 2).collapsed, false);
  });
});

describe('mean ± std over seeds', () => {
  it('uses the sample standard deviation and skips missing values', () => {
    assert.deepEqual(meanStd([1, 2, 3]), { mean: 2, std: 1, n: 3 });
    assert.deepEqual(meanStd([null, 4, undefined, NaN]), { mean: 4, std: 0, n: 1 });
    assert.deepEqual(meanStd([]), { mean: null, std: null, n: 0 });
  });
});

describe('trace of the gradient covariance', () => {
  it('matches a hand-computed case', () => {
    const c = new CovarianceTrace(2);
    for (const v of [
      [1, 0],
      [-1, 0],
      [0, 2],
      [0, -2],
    ])
      c.add(v);
    // coordinate variances (n − 1 = 3): (1 + 1)/3 and (4 + 4)/3
    assert.ok(Math.abs(c.trace() - 10 / 3) < 1e-12);
    assert.equal(c.meanNormSq(), 0);
  });
  it('equals the trace of the full sample covariance matrix, and scales by c² when every vector is scaled by c', () => {
    const rng = new Rng(7);
    const dim = 5;
    const xs = Array.from({ length: 9 }, () => Array.from({ length: dim }, () => rng.normal() + 3));
    const c = new CovarianceTrace(dim);
    const scaled = new CovarianceTrace(dim);
    for (const x of xs) {
      c.add(x);
      scaled.add(x, -2.5);
    }
    const mean = Array.from({ length: dim }, (_, d) => xs.reduce((s, x) => s + x[d]!, 0) / xs.length);
    let trace = 0;
    for (let d = 0; d < dim; d++)
      trace += xs.reduce((s, x) => s + (x[d]! - mean[d]!) ** 2, 0) / (xs.length - 1);
    assert.ok(Math.abs(c.trace() - trace) < 1e-10 * trace);
    assert.ok(Math.abs(c.meanNormSq() - mean.reduce((s, m) => s + m * m, 0)) < 1e-9);
    assert.ok(Math.abs(scaled.trace() - 6.25 * trace) < 1e-9 * trace);
  });
  it('is NaN with fewer than two vectors and refuses a vector of another length', () => {
    const c = new CovarianceTrace(3);
    c.add([1, 2, 3]);
    assert.ok(Number.isNaN(c.trace()));
    assert.throws(() => c.add([1, 2]), /length 2, expected 3/);
  });
});

describe('scalar multiples of advantage vectors', () => {
  it('finds the factor between REINFORCE-like and RLOO-like vectors', () => {
    const a = [0.5, -0.5, 0, 0, 0.25, -0.75];
    assert.equal(
      scalarMultiple(
        a.map((x) => (x * 8) / 7),
        a,
      ),
      8 / 7,
    );
    assert.equal(scalarMultiple(a, a), 1);
  });
  it('refuses vectors that are not multiples, and a zero reference', () => {
    assert.equal(scalarMultiple([1, 2, 3], [1, 2, 4]), null);
    assert.equal(scalarMultiple([1, 0], [0, 1]), null);
    assert.equal(scalarMultiple([0, 0], [0, 0]), null);
    assert.equal(scalarMultiple([1, 2], [1, 2, 3]), null);
  });
});

describe('job pool', () => {
  it('respects dependencies and the parallel limit, and skips the dependants of a failed job', async () => {
    const order: string[] = [];
    let running = 0;
    let peak = 0;
    const job = (id: string, deps: string[], fail = false): Job => ({
      id,
      deps,
      run: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        order.push(id);
        running--;
        if (fail) throw new Error(`${id} broke`);
      },
    });
    const out = await runJobs(
      [job('a', []), job('b', ['a']), job('c', []), job('d', [], true), job('e', ['d']), job('f', ['e'])],
      { parallel: 2 },
    );
    assert.ok(peak <= 2);
    assert.ok(order.indexOf('a') < order.indexOf('b'));
    assert.deepEqual(out.get('b'), { status: 'done' });
    assert.deepEqual(out.get('d'), { status: 'failed', reason: 'd broke' });
    assert.equal(out.get('e')?.status, 'skipped');
    assert.equal(out.get('f')?.status, 'skipped');
    assert.ok(!order.includes('e'));
  });
  it('starts nothing new once stopped', async () => {
    let started = 0;
    const jobs: Job[] = ['a', 'b', 'c'].map((id) => ({
      id,
      deps: [],
      run: () => {
        started++;
        return Promise.resolve();
      },
    }));
    const out = await runJobs(jobs, { parallel: 1, stopped: () => started >= 1 });
    assert.equal(started, 1);
    assert.equal(out.get('c')?.status, 'skipped');
  });
});

describe('experiment plan', () => {
  it('builds one base per task and seed, one cell per estimator, and probes at base and final checkpoints', () => {
    const plan = planExperiment(parseExperimentConfig({}));
    const c = plan.config;
    assert.equal(plan.bases.length, c.tasks.length * c.seeds.length);
    assert.equal(plan.cells.length, c.tasks.length * c.seeds.length * c.estimators.length);
    assert.equal(plan.probes.length, plan.bases.length + plan.cells.length);
    assert.deepEqual(c.estimators, ['bnpo', 'grpo', 'reinforce', 'rloo', 'drgrpo']);
    assert.ok(c.seeds.length >= 3 && c.tasks.length >= 2);
    for (const b of plan.bases) assert.equal(b.config.steps, 0);
    const cell = plan.cells.find((x) => x.estimator === 'grpo')!;
    const base = plan.bases.find((b) => b.run === cell.base)!;
    // Everything but the estimator and the step count is the base's configuration: same SFT, same budget.
    assert.deepEqual({ ...base.config, steps: cell.config.steps, estimator: 'grpo' }, cell.config);
    assert.equal(new Set(plan.cells.map((x) => x.run)).size, plan.cells.length);
  });
  it('refuses run fields the grid sets, and names bad run fields under run.', () => {
    const config = parseExperimentConfig({ run: { estimator: 'grpo', seed: 3 } });
    assert.throws(
      () => planExperiment(config),
      (e: Error) => {
        assert.ok(e instanceof ExperimentConfigError);
        assert.match(e.message, /^run\.estimator: set by the grid/m);
        assert.match(e.message, /^run\.seed: set by the grid/m);
        return true;
      },
    );
    const bad = parseExperimentConfig({ run: { groupSize: 1 } });
    assert.throws(
      () => cellConfig(bad, bad.tasks[0]!, 'bnpo', 1),
      /run\.groupSize: groupSize \(G\) must be at least 2/,
    );
  });
  it('refuses a repeated estimator, seed or task', () => {
    assert.throws(
      () => parseExperimentConfig({ estimators: ['bnpo', 'bnpo'] }),
      /estimators: an estimator is listed twice/,
    );
    assert.throws(() => parseExperimentConfig({ seeds: [1, 1] }), /seeds: a seed is listed twice/);
    const dup = parseExperimentConfig({ tasks: [{ task: 'sorting' }, { task: 'sorting' }] });
    assert.throws(() => planExperiment(dup), /tasks: sorting is listed twice/);
  });
  it('quick keeps the grid machinery on a small budget', () => {
    const q = quickConfig(parseExperimentConfig({}));
    assert.equal(q.tasks.length, 1);
    assert.equal(q.seeds.length, 2);
    assert.deepEqual(q.estimators, ['bnpo', 'grpo', 'reinforce']);
    assert.ok(q.variance.batches >= 2);
    const plan = planExperiment(q);
    assert.ok(plan.cells.every((c) => c.config.steps <= 10));
  });
});

describe('svg plots', () => {
  it('picks round ticks covering the range', () => {
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0, 60), [0, 20, 40, 60]);
    assert.deepEqual(niceTicks(0.2, 0.45), [0.2, 0.25, 0.3, 0.35, 0.4, 0.45]);
  });
  it('writes one standalone svg element with escaped text', () => {
    const svg = lineChart('a < b & c', 'step', 'acc', [
      { name: 'bnpo', color: '#d62728', x: [0, 10], mean: [0.3, 0.5], std: [0.01, 0.02] },
    ]);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal(svg.trim().endsWith('</svg>'), true);
    assert.equal(svg.match(/<svg/g)!.length, 1);
    assert.match(svg, /a &lt; b &amp; c/);
    assert.match(svg, /<polyline points="[\d., ]+" fill="none" stroke="#d62728" stroke-width="2"\/>/);
    assert.deepEqual(niceTicks(0.05, 0.38), [0, 0.1, 0.2, 0.3, 0.4]);
    const bars = logBarChart(
      'v',
      'tr Cov',
      [{ name: 'bnpo', bars: [{ value: 0.5, std: 0.1 }, null] }],
      [
        { name: 'base', color: '#111' },
        { name: 'final', color: '#222' },
      ],
    );
    // One bar plus its legend swatch in the first colour; only the swatch in the second (its bar is missing).
    assert.equal(bars.match(/<rect [^>]*fill="#111"\/>/g)?.length, 2);
    assert.equal(bars.match(/<rect [^>]*fill="#222"\/>/g)?.length, 1);
  });
});

// The panels' page models, without a DOM: what the dashboard, Beta-fit and samples pages compute from the messages
// the host sends. Each is the same module the page bundles (webview/*/model.ts), compiled by the root tsconfig.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHeldOutColumns, toMetricColumns, betaFitSteps } from '../../src/host/panels/pageData';
import type { BetaFitStep } from '../../src/protocol/betaFit';
import { HostToBetaFitSchema } from '../../src/protocol/betaFit';
import type { DashboardRun } from '../../src/protocol/dashboard';
import type { SamplesRecord } from '../../src/protocol/runDir';
import { SamplesRecordSchema } from '../../src/protocol/runDir';
import {
  bins,
  currentStep,
  guardSteps,
  historyData,
  meanPHat,
  mergeSteps,
  ruleChartData,
  stepAtSlider,
} from '../../webview/betaFit/model';
import type { BetaFitRun } from '../../webview/betaFit/model';
import {
  CHARTS,
  appendColumns,
  chartData,
  chartLines,
  countPoints,
  decimateRows,
  formatWall,
  smoothed,
  toRunData,
} from '../../webview/dashboard/model';
import type { ChartDef } from '../../webview/dashboard/model';
import { filterSamples, sampledSteps, shownStep, zeroVariance } from '../../webview/samples/model';
import { metricsRecord } from './studioFixtures';

function chart(id: string): ChartDef {
  const def = CHARTS.find((c) => c.id === id);
  assert.ok(def, `no chart ${id}`);
  return def;
}

function dashboardRun(id: string, steps: number[]): DashboardRun {
  const metrics = steps.map((s) => metricsRecord(s));
  return {
    id,
    label: id,
    status: 'running',
    rules: ['correct', 'format'],
    metrics: toMetricColumns(metrics, ['correct', 'format']),
    heldOut: toHeldOutColumns([], () => 0),
  };
}

describe('dashboard page model', () => {
  it('draws one chart per metric, the reward chart with the weighted reward and one line per rule', () => {
    const run = toRunData(dashboardRun('a', [1, 2]));
    assert.deepEqual(
      CHARTS.map((c) => c.id),
      [
        'reward',
        'accuracy',
        'loss',
        'gradNorm',
        'clipFraction',
        'entropy',
        'completionLength',
        'zeroVarianceShare',
      ],
    );
    assert.deepEqual(
      chart('reward')
        .lines(run)
        .map((l) => l.key),
      ['reward', 'rewards.correct', 'rewards.format'],
    );
    // Held-out lines come after the metrics lines of the same run, as chartData lays out its tables.
    assert.deepEqual(
      chartLines(chart('accuracy'), [run]).map((l) => l.line.source),
      ['metrics', 'heldOut'],
    );
  });

  it('lays out x, then raw and smoothed values per line and run, on one shared axis', () => {
    const a = toRunData(dashboardRun('a', [1, 2, 3]));
    const b = toRunData(dashboardRun('b', [2, 4]));
    const view = { smoothing: 0, logScale: false, xAxis: 'step' as const };
    const table = chartData(chartLines(chart('loss'), [a, b]), view);
    assert.deepEqual(table[0], [1, 2, 3, 4]);
    // Run a's raw loss, then its EMA (weight 0: the values), then run b's, null where a run has no row.
    assert.deepEqual(table[1], [-0.01, -0.02, -0.03, null]);
    assert.deepEqual(table[2], [-0.01, -0.02, -0.03, null]);
    assert.deepEqual(table[3], [null, -0.02, null, -0.04]);
    assert.deepEqual(countPoints(table), { rows: 4, points: 10 });
    // Wall time as x: the same rows at step × 1.5 s.
    const wall = chartData(chartLines(chart('loss'), [a]), { ...view, xAxis: 'wall' });
    assert.deepEqual(wall[0], [1.5, 3, 4.5]);
  });

  it('drops values a log axis cannot show', () => {
    const run = toRunData(dashboardRun('a', [1, 2]));
    const table = chartData(chartLines(chart('loss'), [run]), {
      smoothing: 0,
      logScale: true,
      xAxis: 'step',
    });
    assert.deepEqual(table[1], [null, null]);
  });

  it('appends only rows after the last step, and the EMA continues where it was instead of starting over', () => {
    const run = toRunData(dashboardRun('a', [1, 2]));
    const line = chart('loss').lines(run)[0]!;
    const before = smoothed(run, line, 0.5);
    assert.equal(before.length, 2);
    const more = dashboardRun('a', [2, 3, 4]);
    appendColumns(run, more.metrics, more.heldOut);
    assert.deepEqual(run.metrics.step, [1, 2, 3, 4]);
    const after = smoothed(run, line, 0.5);
    // Debiased EMA of -0.01, -0.02, -0.03, -0.04 with weight 0.5, computed by hand.
    const expected: number[] = [];
    let last = 0;
    let debias = 0;
    for (const v of [-0.01, -0.02, -0.03, -0.04]) {
      last = last * 0.5 + 0.5 * v;
      debias = debias * 0.5 + 0.5;
      expected.push(last / debias);
    }
    after.forEach((v, i) =>
      assert.ok(Math.abs(v! - expected[i]!) < 1e-12, `EMA at ${i}: ${v} vs ${expected[i]}`),
    );
  });

  it('decimates a long chart to what its width shows, keeping the first and last row and every extreme', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i + 1);
    const ys = xs.map((x) => (x === 5000 ? 100 : Math.sin(x / 50)));
    const out = decimateRows([xs, ys], 100);
    assert.ok(out[0].length <= 4 * 100 + 2, `${out[0].length} rows for 100 pixels`);
    assert.equal(out[0][0], 1);
    assert.equal(out[0][out[0].length - 1], 10_000);
    assert.ok(out[1]!.includes(100), 'the spike survives decimation');
  });

  it('labels wall time as m:ss or h:mm:ss', () => {
    assert.equal(formatWall(59.6), '1:00');
    assert.equal(formatWall(3723), '1:02:03');
    assert.equal(formatWall(-5), '0:00');
  });
});

function betaRun(steps: BetaFitStep[]): BetaFitRun {
  return { id: 'r', label: 'r', status: 'running', rules: ['correct', 'format'], steps };
}

function step(n: number, pHat: number[]): BetaFitStep {
  const [s] = betaFitSteps([metricsRecord(n)], [], 4);
  return { ...s!, pHat: { correct: pHat, format: [] } };
}

/** Beta(a, b) density for whole a, b from factorials: an independent check on the page's log-space maths. */
function betaPdf(p: number, a: number, b: number): number {
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  return (p ** (a - 1) * (1 - p) ** (b - 1) * fact(a + b - 1)) / (fact(a - 1) * fact(b - 1));
}

describe('Beta-fit page model', () => {
  it('weights each distinct p̂ by 1/f(p̂; α, β) and counts its groups', () => {
    const fit = { a: 1, b: 2, alpha: 2, beta: 3, guard: null };
    const list = bins([0.5, 0.25, 0.5, 0.75], fit);
    assert.deepEqual(
      list.map((b) => [b.p, b.count]),
      [
        [0.25, 1],
        [0.5, 2],
        [0.75, 1],
      ],
    );
    for (const b of list) {
      assert.ok(Math.abs(b.f - betaPdf(b.p, 2, 3)) < 1e-9, `f(${b.p})`);
      assert.ok(Math.abs(b.weight - 1 / betaPdf(b.p, 2, 3)) < 1e-9, `weight at ${b.p}`);
    }
    // α = β = 1 (a guard fired): f ≡ 1, every weight 1, BNPO is REINFORCE with a mean baseline.
    for (const b of bins([0.25, 0.5], { a: null, b: null, alpha: 1, beta: 1, guard: 'zeroVariance' }))
      assert.ok(Math.abs(b.weight - 1) < 1e-12);
    assert.equal(meanPHat([0.25, 0.75]), 0.5);
    assert.equal(meanPHat([]), null);
  });

  it('draws the histogram as a density over bins of width 1/G, and the fitted and normaliser curves', () => {
    const s = step(1, [0, 0.25, 0.25, 0.5, 1]);
    const data = ruleChartData(s, 'correct')!;
    const area = data.bars.reduce((sum, bar) => sum + bar.height / data.groupSize, 0);
    assert.ok(Math.abs(area - 1) < 1e-12, `histogram area ${area}`);
    // Every p̂ is on the x grid, where its weight is drawn; elsewhere there is no weight point.
    for (const p of [0.25, 0.5]) assert.notEqual(data.weights[data.xs.indexOf(p)], null);
    assert.equal(data.weights[data.xs.indexOf(0.1)], null);
    // The fitted Beta(0.5, 1.5) and the normaliser Beta(7/6, 1.5) are densities: they integrate to about 1.
    const integral = (ys: (number | null)[]): number => {
      let sum = 0;
      for (let i = 1; i < data.xs.length; i++) {
        const [y0, y1] = [ys[i - 1], ys[i]];
        if (y0 != null && y1 != null) sum += ((y0 + y1) / 2) * (data.xs[i]! - data.xs[i - 1]!);
      }
      return sum;
    };
    assert.ok(Math.abs(integral(data.normaliser) - 1) < 0.02, `normaliser ∫ ${integral(data.normaliser)}`);
    assert.ok(data.top >= Math.max(...data.bars.map((b) => b.height)));
    // A guarded rule has no fitted curve; a rule without a fit has no chart.
    assert.ok(ruleChartData(s, 'format')!.fitCurve.every((v) => v === null));
    assert.equal(ruleChartData(s, 'missing'), undefined);
  });

  it('follows the newest step unless one is chosen, and merges late p̂ into their step', () => {
    const run = betaRun([step(1, []), step(3, [])]);
    assert.equal(currentStep(run, null)?.step, 3);
    assert.equal(currentStep(run, 1)?.step, 1);
    assert.equal(currentStep(run, 2)?.step, 3, 'a step without a record falls back to the newest');
    assert.equal(currentStep(betaRun([]), null), undefined);
    assert.equal(stepAtSlider(run, 3), null, 'the slider at the newest step follows');
    assert.equal(stepAtSlider(run, 2), 3);
    assert.equal(stepAtSlider(run, 1), 1);
    mergeSteps(run, [step(2, [0.5]), step(1, [0.25])]);
    assert.deepEqual(
      run.steps.map((s) => [s.step, s.pHat.correct]),
      [
        [1, [0.25]],
        [2, [0.5]],
        [3, []],
      ],
    );
    assert.equal(stepAtSlider(run, 2), 2);
    assert.ok(HostToBetaFitSchema.safeParse({ type: 'append', id: 'r', steps: run.steps }).success);
  });

  it('lists guard steps and the α, β history of every rule', () => {
    const run = betaRun([step(1, []), step(2, [])]);
    // The fixture's `format` rule is guarded at every step.
    assert.deepEqual(
      guardSteps(run).map((s) => s.step),
      [1, 2],
    );
    const history = historyData(run);
    assert.deepEqual(history[0], [1, 2]);
    assert.equal(history.length, 1 + 2 * run.rules.length);
    assert.deepEqual(history[1], [1.1666666666666667, 1.1666666666666667]);
    assert.deepEqual(history[4], [1, 1]);
  });
});

function samples(
  stepNo: number,
  promptId: string,
  rewards: [number, number][],
  advantages: number[],
): SamplesRecord {
  return SamplesRecordSchema.parse({
    v: 1,
    step: stepNo,
    promptId,
    prompt: `${promptId}?`,
    sample: { answer: '5' },
    completions: rewards.map(([correct, format], i) => ({
      text: `c${i}`,
      tokens: 1,
      rewards: { correct, format },
      reasons: {},
      advantage: advantages[i] ?? 0,
      correct: correct === 1,
    })),
  });
}

describe('samples page model', () => {
  const records = [
    samples(
      2,
      'mixed',
      [
        [1, 1],
        [0, 1],
      ],
      [0.5, -0.5],
    ),
    samples(
      2,
      'flat',
      [
        [1, 1],
        [1, 1],
      ],
      [0, 0],
    ),
    samples(
      2,
      'big',
      [
        [0, 0],
        [1, 0],
      ],
      [-2, 2],
    ),
    samples(4, 'later', [[1, 1]], [0]),
  ];
  const none = { step: null, zeroVarianceOnly: false, order: 'prompt' as const, failedRule: null };

  it('lists the sampled steps and shows the chosen one while it exists, else the newest', () => {
    assert.deepEqual(sampledSteps(records), [2, 4]);
    assert.equal(shownStep([2, 4], null), 4);
    assert.equal(shownStep([2, 4], 2), 2);
    assert.equal(shownStep([2, 4], 3), 4);
    assert.equal(shownStep([], null), undefined);
  });

  it('narrows to zero-variance groups: the ones every rule scored the same', () => {
    assert.equal(zeroVariance(records[1]!), true);
    assert.equal(zeroVariance(records[0]!), false);
    const shown = filterSamples(records, 2, { ...none, zeroVarianceOnly: true });
    assert.deepEqual(
      shown.groups.map((g) => g.record.promptId),
      ['flat'],
    );
    assert.equal(shown.total, 3);
  });

  it('orders by the largest |advantage| and keeps only completions a chosen rule failed', () => {
    const ordered = filterSamples(records, 2, { ...none, order: 'advantage' });
    assert.deepEqual(
      ordered.groups.map((g) => g.record.promptId),
      ['big', 'mixed', 'flat'],
    );
    const failed = filterSamples(records, 2, { ...none, failedRule: 'correct' });
    // `flat` has no completion that failed `correct`: the group is not shown at all.
    assert.deepEqual(
      failed.groups.map((g) => [g.record.promptId, g.completions.map((c) => c.text)]),
      [
        ['mixed', ['c1']],
        ['big', ['c0']],
      ],
    );
    assert.equal(failed.completions, 2);
    assert.equal(failed.total, 3);
  });
});

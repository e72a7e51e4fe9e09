// The dashboard page's model on a long run (25,000 steps, built by test/tools/longRun.ts): zoom windows over the
// decimated columns are the raw rows of the window, the synced crosshair names one step in every chart, the legend
// says raw and smoothed values (held-out accuracy between evaluations included), log axes say what they cannot
// draw, Compare's short labels and CSV of one chart, and grouped Compare's mean ± std.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dashboardRun as toDashboardRun,
  toHeldOutColumns,
  toMetricColumns,
} from '../../src/host/panels/pageData';
import type { DashboardRun } from '../../src/protocol/dashboard';
import { HostToDashboardSchema } from '../../src/protocol/dashboard';
import {
  CHARTS,
  alignColumns,
  chartCsv,
  chartData,
  chartLines,
  decimateRows,
  formatLogTick,
  groupChartData,
  legendAt,
  logScaleNotice,
  logSplits,
  rowAt,
  rowsForView,
  shortLabels,
  toRunData,
  yRange,
} from '../../webview/dashboard/model';
import type { AlignedColumns, ChartDef, RunData } from '../../webview/dashboard/model';
import { LONG_RUN_RULES, longRunEvals, longRunMetrics } from '../tools/longRun';

const STEPS = 25_000;
const WIDTH = 600;
const view = { smoothing: 0.6, logScale: false, xAxis: 'step' as const };

function chart(id: string): ChartDef {
  const def = CHARTS.find((c) => c.id === id);
  assert.ok(def, `no chart ${id}`);
  return def;
}

function longRun(id = 'long', steps = STEPS): DashboardRun {
  const metrics = longRunMetrics(steps);
  const byStep = new Map(metrics.map((m) => [m.step, m.wall]));
  return {
    id,
    label: id,
    status: 'completed',
    rules: LONG_RUN_RULES,
    metrics: toMetricColumns(metrics, LONG_RUN_RULES),
    heldOut: toHeldOutColumns(longRunEvals(steps, 500), (s) => byStep.get(s) ?? 0),
  };
}

/** The rows of `table` whose x lies in [from, to]. */
function rawWindow(table: AlignedColumns, from: number, to: number): AlignedColumns {
  const keep = table[0].map((x) => x >= from && x <= to);
  return table.map((c) => c.filter((_, i) => keep[i])) as AlignedColumns;
}

/** The drawn rows inside [from, to]. */
function drawnWindow(drawn: AlignedColumns, from: number, to: number): AlignedColumns {
  return rawWindow(drawn, from, to);
}

/** A table of `n` rows at ascending x (gaps of 1–3) with `series` series, some values null, from `seed`. */
function randomTable(n: number, series: number, seed: number): AlignedColumns {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const xs: number[] = [];
  for (let i = 0, x = Math.floor(next() * 5); i < n; i++, x += 1 + Math.floor(next() * 3)) xs.push(x);
  const ys = Array.from({ length: series }, () =>
    xs.map(() => (next() < 0.15 ? null : Math.round(next() * 20) / 4)),
  );
  return [xs, ...ys];
}

/** M4 said plainly: per series and pixel column of its non-null rows, the first, last, lowest and highest row. */
function m4Rows(table: AlignedColumns, buckets: number): number[] {
  const xs = table[0];
  const n = xs.length;
  if (n <= buckets * 4) return xs.map((_, i) => i);
  const span = xs[n - 1]! - xs[0]! || 1;
  const keep = new Set([0, n - 1]);
  for (let s = 1; s < table.length; s++) {
    const byBucket = new Map<number, number[]>();
    xs.forEach((x, i) => {
      if (table[s]![i] === null) return;
      const b = Math.min(buckets - 1, Math.floor(((x - xs[0]!) / span) * buckets));
      byBucket.set(b, [...(byBucket.get(b) ?? []), i]);
    });
    for (const rows of byBucket.values()) {
      const value = (i: number): number => table[s]![i]!;
      const lowest = rows.reduce((a, i) => (value(i) < value(a) ? i : a));
      const highest = rows.reduce((a, i) => (value(i) > value(a) ? i : a));
      for (const i of [rows[0]!, rows.at(-1)!, lowest, highest]) keep.add(i);
    }
  }
  return [...keep].sort((a, b) => a - b);
}

describe('decimation and alignment against plain references', () => {
  it('decimateRows keeps exactly the M4 rows of every series, whole', () => {
    for (const [n, series, buckets, seed] of [
      [5000, 6, 300, 1],
      [1200, 3, 100, 2],
      [401, 2, 100, 3],
      [399, 2, 100, 4],
      [20_000, 1, 7, 5],
    ] as const) {
      const table = randomTable(n, series, seed);
      const rows = m4Rows(table, buckets);
      const expected = table.map((c) => rows.map((i) => c[i] ?? null)) as AlignedColumns;
      assert.deepEqual(decimateRows(table, buckets), expected, `${n} rows, ${series} series, ${buckets} px`);
    }
  });

  it('alignColumns puts tables on the union of their x values, null where a table has no row', () => {
    const tables = [randomTable(300, 2, 7), randomTable(200, 3, 8), randomTable(300, 1, 7)];
    const xs = [...new Set(tables.flatMap((t) => t[0]))].sort((a, b) => a - b);
    const expected: AlignedColumns = [xs];
    for (const t of tables) {
      const row = new Map(t[0].map((x, i) => [x, i]));
      for (let s = 1; s < t.length; s++)
        expected.push(xs.map((x) => (row.has(x) ? (t[s]![row.get(x)!] ?? null) : null)));
    }
    assert.deepEqual(alignColumns(tables), expected);
    assert.equal(alignColumns([tables[0]!]), tables[0], 'one table is its own alignment');
  });
});

describe('dashboard zoom over decimated columns (25,000 steps)', () => {
  const run = toRunData(longRun());
  const tables = CHARTS.map((def) => chartData(chartLines(def, [run]), view));

  it('a zoom window few enough rows to draw whole is exactly the raw rows of that window, in every chart', () => {
    for (const [from, to] of [
      [9000, 9200],
      [8784.4, 9091.7],
      [1, 1500],
      [24_000, 25_000],
    ] as const) {
      tables.forEach((full, c) => {
        const drawn = rowsForView(full, WIDTH, from, to);
        assert.deepEqual(
          drawnWindow(drawn, from, to),
          rawWindow(full, from, to),
          `${CHARTS[c]!.id} [${from}, ${to}]`,
        );
      });
    }
  });

  it('a wide window keeps its edge rows, the rows either side, and every pixel column’s lowest and highest point', () => {
    const [from, to] = [2000, 23_000];
    const full = tables[0]!;
    const drawn = rowsForView(full, WIDTH, from, to);
    const inside = drawnWindow(drawn, from, to);
    assert.ok(inside[0].length <= 4 * WIDTH * (full.length - 1), `${inside[0].length} rows`);
    assert.ok(inside[0].length < full[0].length / 2, 'decimated');
    assert.equal(inside[0][0], 2000);
    assert.equal(inside[0].at(-1), 23_000);
    assert.ok(drawn[0].includes(1999) && drawn[0].includes(23_001), 'the lines run on past both edges');
    assert.ok(drawn[0][0] === 1 && drawn[0].at(-1) === STEPS, 'a reset has the whole range to show');
    // Per bucket of the window, each series' min and max are among the drawn rows (M4 per window).
    const window = rawWindow(full, from, to);
    const span = to - from;
    for (let s = 1; s < full.length; s++) {
      const lo = new Map<number, number>();
      const hi = new Map<number, number>();
      window[0].forEach((x, i) => {
        const v = window[s]![i];
        if (v === null || v === undefined) return;
        const b = Math.min(WIDTH - 1, Math.floor(((x - from) / span) * WIDTH));
        lo.set(b, Math.min(lo.get(b) ?? Infinity, v));
        hi.set(b, Math.max(hi.get(b) ?? -Infinity, v));
      });
      const drawnValues = new Set(inside[s]!.filter((v) => v !== null));
      for (const [b, v] of lo) assert.ok(drawnValues.has(v), `series ${s} bucket ${b}: min ${v} drawn`);
      for (const [b, v] of hi) assert.ok(drawnValues.has(v), `series ${s} bucket ${b}: max ${v} drawn`);
    }
    // Drawn rows are whole rows of the table.
    inside[0].forEach((x, i) => assert.equal(inside[1]![i], full[1]![x - 1]));
  });

  it('the whole range (a reset) draws from the first to the last step', () => {
    for (const full of tables) {
      const drawn = rowsForView(full, WIDTH, full[0][0]!, STEPS);
      assert.equal(drawn[0][0], full[0][0]);
      assert.equal(drawn[0].at(-1), STEPS);
      assert.deepEqual(drawn, decimateRows(full, WIDTH));
    }
  });

  it('one crosshair x names the same step in every chart, whatever rows each chart draws', () => {
    for (const x of [9091.3, 8784.6, 12_345.4, 0.2, 24_999.9]) {
      const steps = tables.map((full) => full[0][rowAt(full[0], x)]);
      const expected = Math.min(STEPS, Math.max(1, Math.round(x)));
      for (const [c, step] of steps.entries()) {
        // The accuracy chart also has the SFT base's evaluation at step 0.
        const want = CHARTS[c]!.id === 'accuracy' && x < 0.5 ? 0 : expected;
        assert.equal(step, want, `${CHARTS[c]!.id} at x ${x}`);
      }
    }
  });
});

describe('dashboard legend, axes and labels', () => {
  it('shows each line’s raw and smoothed value; held-out accuracy holds its last evaluation between them', () => {
    const run = toRunData(longRun('r', 2000));
    const lines = chartLines(chart('accuracy'), [run]);
    const table = chartData(lines, view);
    const row = rowAt(table[0], 750);
    const sparse = lines.map((l) => l.line.points === true);
    const [sampled, heldOut] = legendAt(table, sparse, row);
    assert.equal(sampled!.raw, run.metrics.series.accuracy![749]);
    assert.notEqual(sampled!.smoothed, sampled!.raw, 'the EMA beside the raw value');
    assert.ok(heldOut!.raw !== null, 'no “–” between evaluations');
    assert.equal(heldOut!.raw, run.heldOut.accuracy[1]);
    assert.equal(heldOut!.heldFrom, 500);
    // Off the chart: the newest values.
    const [, newest] = legendAt(table, sparse, -1);
    assert.equal(newest!.raw, run.heldOut.accuracy.at(-1));
    // A reward of exactly 0 reads 0 raw, not its EMA.
    const zero: AlignedColumns = [
      [1, 2],
      [1, 0],
      [1, 0.4],
    ];
    assert.deepEqual(legendAt(zero, [false], 1)[0], { raw: 0, smoothed: 0.4 });
  });

  it('gives a small share (clip fraction) an axis just above its values, not 0–1', () => {
    const [lo, hi] = yRange(chart('clipFraction'), 0, 0.0099);
    assert.equal(lo, 0);
    assert.ok(hi > 0.0099 && hi <= 0.02, `top ${hi}`);
    assert.deepEqual(yRange(chart('accuracy'), 0.2, 0.8), [0, 1]);
    assert.deepEqual(yRange(chart('clipFraction'), 0, 0), [0, 1], 'all zero: the whole share axis');
    const [a, b] = yRange(chart('loss'), -1, 1);
    assert.ok(a < -1 && b > 1);
  });

  it('puts log ticks on powers of ten only, at most six, labelled as numbers', () => {
    assert.deepEqual(logSplits(0.001, 10), [0.001, 0.01, 0.1, 1, 10]);
    assert.ok(logSplits(1e-8, 1e8).length <= 6);
    assert.deepEqual(logSplits(2, 8), [2, 8], 'inside one decade: its ends');
    assert.deepEqual([1e-3, 0.01, 0.1, 1, 10, 100, 1000].map(formatLogTick), [
      '1e-3',
      '0.01',
      '0.1',
      '1',
      '10',
      '100',
      '1e3',
    ]);
  });

  it('says on a log chart how many values it cannot draw', () => {
    const run = toRunData(longRun('r', 1000));
    const loss = chartData(chartLines(chart('loss'), [run]), view);
    const notice = logScaleNotice(loss);
    assert.ok(notice !== null);
    assert.match(notice, /values ≤ 0 are not drawn on a log scale/);
    const negatives = run.metrics.series.loss!.filter((v) => v !== null && v <= 0).length;
    assert.ok(notice.startsWith(negatives.toLocaleString('en')), `${notice} vs ${negatives}`);
    assert.match(logScaleNotice([[1], [-1], [-1]]) ?? '', /Nothing to draw/);
    assert.equal(logScaleNotice(chartData(chartLines(chart('entropy'), [run]), view)), null);
  });

  it('names compared runs by what sets them apart, short', () => {
    const ids = ['20260101-120000-addition-bnpo-s1', '20260101-120000-addition-grpo-s1'];
    assert.deepEqual(shortLabels(ids), ['bnpo', 'grpo']);
    assert.deepEqual(shortLabels(['run-a', 'run-b']), ['a', 'b']);
    const long = shortLabels(['x'.repeat(40)])[0]!;
    assert.ok(long.length <= 20 && long.includes('…'));
  });

  it('writes one chart’s rows as CSV, the zoomed window only', () => {
    const table: AlignedColumns = [
      [1, 2, 3, 4],
      [0.1, 0.2, null, 0.4],
      [0.1, 0.15, null, 0.3],
    ];
    assert.equal(
      chartCsv('step', ['loss, "total"'], table),
      'step,"loss, ""total"" (raw)","loss, ""total"" (smoothed)"\n1,0.1,0.1\n2,0.2,0.15\n3,,\n4,0.4,0.3\n',
    );
    assert.equal(
      chartCsv('step', ['loss'], table, 2, 3),
      'step,loss (raw),loss (smoothed)\n2,0.2,0.15\n3,,\n',
    );
  });
});

describe('grouped Compare', () => {
  function seedRun(id: string, losses: number[], from = 1): RunData {
    const run = toRunData(longRun(id, losses.length + from - 1));
    const offset = from - 1;
    run.metrics.step = run.metrics.step.slice(offset);
    run.metrics.wall = run.metrics.wall.slice(offset);
    for (const key of Object.keys(run.metrics.series))
      run.metrics.series[key] = run.metrics.series[key]!.slice(offset);
    run.metrics.series.loss = losses;
    return run;
  }

  it('draws one mean line and ±std band per group, aligned by step', () => {
    const a = seedRun('a', [1, 2, 3]);
    const b = seedRun('b', [3, 4, 5]);
    const c = seedRun('c', [10, 20], 2);
    const groups = [
      { label: 'bnpo', runIds: ['a', 'b'] },
      { label: 'grpo', runIds: ['c'] },
    ];
    const { lines, table } = groupChartData(chart('loss'), [a, b, c], groups, { ...view, smoothing: 0 });
    assert.deepEqual(
      lines.map((l) => [l.group.label, l.line.key, l.runs]),
      [
        ['bnpo', 'loss', 2],
        ['grpo', 'loss', 1],
      ],
    );
    assert.deepEqual(table[0], [1, 2, 3]);
    // bnpo: mean of (1, 3), (2, 4), (3, 5) with population std 1.
    assert.deepEqual(table[1], [2, 3, 4]);
    assert.deepEqual(table[2], [1, 2, 3]);
    assert.deepEqual(table[3], [3, 4, 5]);
    // grpo: one run, from step 2: its values, no spread.
    assert.deepEqual(table[4], [null, 10, 20]);
    assert.deepEqual(table[5], [null, 10, 20]);
    assert.deepEqual(table[6], [null, 10, 20]);
  });

  it('travels in the runs message, and a group without runs is refused', () => {
    const run = longRun('a', 3);
    const groups = [{ label: 'bnpo', runIds: ['a'] }];
    assert.ok(HostToDashboardSchema.safeParse({ type: 'runs', runs: [run], groups }).success);
    assert.equal(
      HostToDashboardSchema.safeParse({ type: 'runs', runs: [run], groups: [{ label: 'x', runIds: [] }] })
        .success,
      false,
    );
    assert.equal(typeof toDashboardRun, 'function');
  });
});

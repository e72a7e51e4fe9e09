// The dashboard page's data, without a DOM: the charts it draws and which series each holds, the runs as the host
// sent them plus appended rows, the EMA of every series, and the maths that puts several tables on one x axis and
// picks the rows a chart of a given width can show. The view (main.ts) turns this into uPlot charts; the unit tier
// tests this file directly.
import { EXTRA_SERIES_PREFIX, RULE_SERIES_PREFIX } from '../../src/protocol/dashboard';
import type {
  DashboardRun,
  DashboardViewState,
  HeldOutColumns,
  MetricColumns,
} from '../../src/protocol/dashboard';
import type { RunStatus } from '../../src/protocol/runDir';

/** What the charts depend on of the view state. */
export type ChartView = Pick<DashboardViewState, 'smoothing' | 'logScale' | 'xAxis'>;

export const DEFAULT_VIEW_STATE: DashboardViewState = {
  runIds: [],
  smoothing: 0.6,
  logScale: false,
  xAxis: 'step',
};

interface Smoothed {
  values: (number | null)[];
  state: { last: number; debias: number };
}

export interface RunData {
  id: string;
  label: string;
  status: RunStatus;
  rules: string[];
  metrics: MetricColumns;
  heldOut: HeldOutColumns;
  model?: string | undefined;
  /** EMA of each series (key → smoothed), extended on append, rebuilt when the smoothing changes. */
  smooth: Map<string, Smoothed>;
}

export interface LineDef {
  key: string;
  label: string;
  source: 'metrics' | 'heldOut';
  /** Held-out evaluations are sparse: draw their points. */
  points?: boolean;
}

export interface ChartDef {
  id: string;
  title: string;
  /** Values are shares in [0, 1]: the axis shows all of it. */
  share?: boolean;
  lines: (run: RunData) => LineDef[];
}

export interface ChartLine {
  run: RunData;
  line: LineDef;
}

const metricLine = (key: string, label: string): LineDef => ({ key, label, source: 'metrics' });

export const CHARTS: readonly ChartDef[] = [
  {
    id: 'reward',
    title: 'Reward per rule',
    lines: (run) => [
      metricLine('reward', 'weighted'),
      ...run.rules.map((rule) => metricLine(RULE_SERIES_PREFIX + rule, rule)),
    ],
  },
  {
    id: 'accuracy',
    title: 'Accuracy',
    share: true,
    lines: () => [
      { key: 'heldOut', label: 'held-out', source: 'heldOut', points: true },
      metricLine('accuracy', 'sampled (train)'),
    ],
  },
  { id: 'loss', title: 'Loss', lines: () => [metricLine('loss', 'loss')] },
  { id: 'gradNorm', title: 'Gradient norm', lines: () => [metricLine('gradNorm', 'grad norm')] },
  {
    id: 'clipFraction',
    title: 'Clip fraction',
    share: true,
    lines: () => [metricLine('clipFraction', 'clipped tokens')],
  },
  { id: 'entropy', title: 'Entropy', lines: () => [metricLine('entropy', 'entropy (nats/token)')] },
  {
    id: 'completionLength',
    title: 'Completion length',
    lines: () => [metricLine('completionLength', 'tokens')],
  },
  {
    id: 'zeroVarianceShare',
    title: 'Zero-variance groups',
    share: true,
    lines: () => [metricLine('zeroVarianceShare', 'share of groups')],
  },
];

/**
 * The charts for these runs: ours, then one per metric another tool logged that none of ours means (`extra.<name>`
 * series, in the order first seen), titled with the name it was logged under.
 */
export function chartsFor(runs: readonly RunData[]): ChartDef[] {
  const extras: string[] = [];
  for (const run of runs)
    for (const key of Object.keys(run.metrics.series))
      if (key.startsWith(EXTRA_SERIES_PREFIX) && !extras.includes(key)) extras.push(key);
  return [
    ...CHARTS,
    ...extras.map((key) => {
      const name = key.slice(EXTRA_SERIES_PREFIX.length);
      return { id: key, title: name, lines: () => [metricLine(key, name)] };
    }),
  ];
}

export function toRunData(run: DashboardRun): RunData {
  return { ...run, smooth: new Map() };
}

export function rawValues(run: RunData, line: LineDef): readonly (number | null)[] {
  return line.source === 'heldOut' ? run.heldOut.accuracy : (run.metrics.series[line.key] ?? []);
}

/** The EMA of one line, computed once and extended as rows arrive. */
export function smoothed(run: RunData, line: LineDef, smoothing: number): (number | null)[] {
  // Held-out points are few and far apart: smoothing them would hide what they say.
  const weight = line.source === 'heldOut' ? 0 : smoothing;
  const raw = rawValues(run, line);
  let s = run.smooth.get(line.key);
  if (!s) {
    const state = { last: 0, debias: 0 };
    s = { values: ema(raw, weight, state), state };
    run.smooth.set(line.key, s);
  } else if (s.values.length < raw.length) {
    s.values.push(...ema(raw.slice(s.values.length), weight, s.state));
  }
  return s.values;
}

/** Adds appended rows to a run's columns; rows at or before the last known step or evaluation are dropped. */
export function appendColumns(run: RunData, metrics: MetricColumns, heldOut: HeldOutColumns): void {
  const m = run.metrics;
  const last = m.step.length > 0 ? m.step[m.step.length - 1]! : -Infinity;
  for (let i = 0; i < metrics.step.length; i++) {
    if (metrics.step[i]! <= last) continue; // already have it
    m.step.push(metrics.step[i]!);
    m.wall.push(metrics.wall[i]!);
    for (const [key, values] of Object.entries(metrics.series))
      (m.series[key] ??= []).push(values[i] ?? null);
  }
  const h = run.heldOut;
  const lastEval = h.step.length > 0 ? h.step[h.step.length - 1]! : -Infinity;
  for (let i = 0; i < heldOut.step.length; i++) {
    if (heldOut.step[i]! <= lastEval) continue;
    h.step.push(heldOut.step[i]!);
    h.wall.push(heldOut.wall[i]!);
    h.accuracy.push(heldOut.accuracy[i]!);
  }
}

/** The lines of one chart over the shown runs, in the order chartData lays out its series: run, source, line. */
export function chartLines(def: ChartDef, runs: readonly RunData[]): ChartLine[] {
  const out: ChartLine[] = [];
  for (const run of runs) {
    const lines = def.lines(run);
    for (const source of ['metrics', 'heldOut'] as const) {
      for (const line of lines) if (line.source === source) out.push({ run, line });
    }
  }
  return out;
}

/** One chart's table: the shared x axis, then per line its raw values and their EMA (≤ 0 dropped on a log axis). */
export function chartData(lines: readonly ChartLine[], view: ChartView): AlignedColumns {
  const tables: AlignedColumns[] = [];
  // One table per run and source (metrics and held-out have their own x); alignColumns puts them on one axis.
  const groups = new Map<string, { run: RunData; source: LineDef['source']; lines: LineDef[] }>();
  for (const { run, line } of lines) {
    const key = `${run.id}\u0000${line.source}`;
    const group = groups.get(key) ?? { run, source: line.source, lines: [] };
    group.lines.push(line);
    groups.set(key, group);
  }
  const positive = (values: readonly (number | null)[]): (number | null)[] =>
    view.logScale ? values.map((v) => (v !== null && v > 0 ? v : null)) : (values as (number | null)[]);
  for (const { run, source, lines: group } of groups.values()) {
    const cols = source === 'heldOut' ? run.heldOut : run.metrics;
    const x = view.xAxis === 'step' ? cols.step : cols.wall;
    const ys: (number | null)[][] = [];
    for (const line of group)
      ys.push(positive(rawValues(run, line)), positive(smoothed(run, line, view.smoothing)));
    tables.push([x, ...ys]);
  }
  if (tables.length === 0) return [[]];
  return alignColumns(tables);
}

/** Rows and drawn (non-null) points of a chart table, for the page's counters and the benchmark. */
export function countPoints(table: AlignedColumns): { rows: number; points: number } {
  let points = 0;
  for (let s = 1; s < table.length; s++) {
    const ys = table[s]!;
    for (let i = 0; i < ys.length; i++) if (ys[i] !== null && ys[i] !== undefined) points++;
  }
  return { rows: table[0]?.length ?? 0, points };
}

/** Seconds as m:ss or h:mm:ss, the wall-time axis's labels. */
export function formatWall(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/**
 * Exponential moving average with TensorBoard's debiasing, so the first points are not pulled toward 0.
 * Nulls pass through as null and do not advance the average. `state` lets a caller continue over appended rows.
 */
export function ema(
  values: readonly (number | null)[],
  weight: number,
  state: { last: number; debias: number } = { last: 0, debias: 0 },
): (number | null)[] {
  const out: (number | null)[] = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    state.last = state.last * weight + (1 - weight) * v;
    state.debias = state.debias * weight + (1 - weight);
    out[i] = weight === 0 ? v : state.last / state.debias;
  }
  return out;
}

/** One chart's data: x values, then one array per series. */
export type AlignedColumns = [number[], ...(number | null)[][]];

/**
 * Puts tables with their own ascending x values (several runs, or steps and held-out evaluations) on one shared
 * x axis: the union of the x values, each series null where its table has no row. A linear merge, so a chart of
 * many thousands of steps is aligned in one pass.
 */
export function alignColumns(tables: readonly AlignedColumns[]): AlignedColumns {
  if (tables.length === 1) return tables[0]!;
  const xs: number[] = [];
  const outs = tables.map((t) => t.slice(1).map((): (number | null)[] => []));
  const at = tables.map(() => 0);
  for (;;) {
    let next = Infinity;
    for (let t = 0; t < tables.length; t++) {
      const x = tables[t]![0][at[t]!];
      if (x !== undefined && x < next) next = x;
    }
    if (next === Infinity) break;
    xs.push(next);
    for (let t = 0; t < tables.length; t++) {
      const table = tables[t]!;
      const here = table[0][at[t]!] === next;
      const series = outs[t]!;
      for (let s = 0; s < series.length; s++) series[s]!.push(here ? (table[s + 1]![at[t]!] ?? null) : null);
      if (here) at[t]!++;
    }
  }
  return [xs, ...outs.flat()];
}

/**
 * The rows of an aligned table that a line chart `buckets` pixels wide can show: per pixel column and series the
 * first, last, lowest and highest point (M4), plus the first and last row. Lines drawn through these rows are
 * the lines drawn through all of them, pixel for pixel, at a fraction of the work. Rows are kept whole (every
 * series), so hover values stay real rows.
 */
export function decimateRows(table: AlignedColumns, buckets: number): AlignedColumns {
  const xs = table[0];
  const n = xs.length;
  if (n <= buckets * 4) return table;
  const x0 = xs[0]!;
  const span = xs[n - 1]! - x0 || 1;
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  for (let s = 1; s < table.length; s++) {
    const ys = table[s]!;
    let bucket = -1;
    let first = -1;
    let last = -1;
    let min = -1;
    let max = -1;
    const flush = (): void => {
      if (first < 0) return;
      keep[first] = 1;
      keep[last] = 1;
      keep[min] = 1;
      keep[max] = 1;
    };
    for (let i = 0; i < n; i++) {
      const y = ys[i];
      if (y === null || y === undefined) continue;
      const b = Math.min(buckets - 1, Math.floor(((xs[i]! - x0) / span) * buckets));
      if (b !== bucket) {
        flush();
        bucket = b;
        first = last = min = max = i;
        continue;
      }
      last = i;
      if (y < (ys[min] as number)) min = i;
      if (y > (ys[max] as number)) max = i;
    }
    flush();
  }
  let count = 0;
  for (let i = 0; i < n; i++) count += keep[i]!;
  const out = table.map(() => new Array<number | null>(count)) as AlignedColumns;
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (keep[i] === 0) continue;
    for (let c = 0; c < table.length; c++) out[c]![at] = table[c]![i] ?? null;
    at++;
  }
  return out;
}

/**
 * What a chart `width` pixels wide draws of `table` when its x axis shows [from, to]: the rows inside decimated
 * to the width, the rows outside to a few points (so the lines still run to the edges, and zooming back out has the
 * whole range to show).
 */
export function rowsForView(table: AlignedColumns, width: number, from: number, to: number): AlignedColumns {
  const xs = table[0];
  let a = 0;
  while (a < xs.length && xs[a]! < from) a++;
  let b = a;
  while (b < xs.length && xs[b]! <= to) b++;
  const slice = (start: number, end: number) => table.map((c) => c.slice(start, end)) as AlignedColumns;
  const parts = [
    decimateRows(slice(0, a), 16),
    decimateRows(slice(a, b), width),
    decimateRows(slice(b, xs.length), 16),
  ];
  return table.map((_, c) => parts.flatMap((p) => p[c]!)) as AlignedColumns;
}

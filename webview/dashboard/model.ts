// The dashboard page's data, without a DOM: the charts it draws and which series each holds, the runs as the host
// sent them plus appended rows, the EMA of every series, and the maths that puts several tables on one x axis and
// picks the rows a chart of a given width can show. The view (main.ts) turns this into uPlot charts; the unit tier
// tests this file directly.
import { EXTRA_SERIES_PREFIX, RULE_SERIES_PREFIX } from '../../src/protocol/dashboard';
import type {
  CompareGroup,
  DashboardRun,
  DashboardViewState,
  HeldOutColumns,
  MetricColumns,
} from '../../src/protocol/dashboard';
import type { RunStatus } from '../../src/protocol/runDir';

/** What the charts depend on of the view state. */
export type ChartView = Pick<DashboardViewState, 'smoothing' | 'logScale' | 'xAxis'>;

export type XAxis = DashboardViewState['xAxis'];

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
    if (m.time && metrics.time) m.time.push(metrics.time[i]!);
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
    const x = xColumn(run, source, view.xAxis);
    const ys: (number | null)[][] = [];
    for (const line of group)
      ys.push(positive(rawValues(run, line)), positive(smoothed(run, line, view.smoothing)));
    tables.push([x, ...ys]);
  }
  if (tables.length === 0) return [[]];
  return alignColumns(tables);
}

/**
 * The x values of one run's metrics or held-out rows on the chosen axis: step, training time (wall) or clock time
 * (seconds since the epoch; a held-out evaluation at the time of its step's metrics row).
 */
export function xColumn(run: RunData, source: LineDef['source'], axis: XAxis): number[] {
  const cols = source === 'heldOut' ? run.heldOut : run.metrics;
  if (axis === 'step') return cols.step;
  const time = run.metrics.time;
  if (axis === 'wall' || !time) return cols.wall;
  if (source === 'metrics') return time;
  // At the time of the last metrics row at or before the evaluation's step (step 0, the SFT base: the first row).
  const steps = run.metrics.step;
  let j = 0;
  return cols.step.map((s) => {
    while (j + 1 < steps.length && steps[j + 1]! <= s) j++;
    return time[j] ?? 0;
  });
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
  // First where each table's rows land on the shared axis (x only), then each series filled in one pass: the merge
  // touches x values, not every series at every row.
  const xs: number[] = [];
  const rowsAt = tables.map((t) => new Int32Array(t[0].length));
  const at = tables.map(() => 0);
  for (;;) {
    let next = Infinity;
    for (let t = 0; t < tables.length; t++) {
      const x = tables[t]![0][at[t]!];
      if (x !== undefined && x < next) next = x;
    }
    if (next === Infinity) break;
    for (let t = 0; t < tables.length; t++) {
      if (tables[t]![0][at[t]!] !== next) continue;
      rowsAt[t]![at[t]!] = xs.length;
      at[t]!++;
    }
    xs.push(next);
  }
  const out: AlignedColumns = [xs];
  tables.forEach((table, t) => {
    const rows = rowsAt[t]!;
    for (let s = 1; s < table.length; s++) {
      const ys = table[s]!;
      const series = new Array<number | null>(xs.length).fill(null);
      for (let i = 0; i < rows.length; i++) series[rows[i]!] = ys[i] ?? null;
      out.push(series);
    }
  });
  return out;
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
  const ends = bucketEnds(xs, buckets);
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  for (let s = 1; s < table.length; s++) {
    const ys = table[s]!;
    let lo = 0;
    for (let b = 0; b < ends.length; b++) {
      const hi = ends[b]!;
      let first = -1;
      let last = -1;
      let min = 0;
      let max = 0;
      let yMin = Infinity;
      let yMax = -Infinity;
      for (let i = lo; i < hi; i++) {
        const y = ys[i];
        if (y === null || y === undefined) continue;
        if (first < 0) first = i;
        last = i;
        if (y < yMin) {
          yMin = y;
          min = i;
        }
        if (y > yMax) {
          yMax = y;
          max = i;
        }
      }
      if (first >= 0) keep[first] = keep[last] = keep[min] = keep[max] = 1;
      lo = hi;
    }
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

/** Where each pixel column's rows end (x ascends, so a column's rows are consecutive): once for all series. */
function bucketEnds(xs: readonly number[], buckets: number): number[] {
  const n = xs.length;
  const x0 = xs[0]!;
  const span = xs[n - 1]! - x0 || 1;
  const ends: number[] = [];
  let bucket = 0;
  for (let i = 0; i < n; i++) {
    const b = Math.min(buckets - 1, Math.floor(((xs[i]! - x0) / span) * buckets));
    if (b !== bucket && i > 0) ends.push(i);
    bucket = b;
  }
  ends.push(n);
  return ends;
}

/**
 * What a chart `width` pixels wide draws of `table` when its x axis shows [from, to]: the rows inside, decimated
 * per window (every row when the window has few enough, else each pixel column's first, last, lowest and highest
 * point), the row on each side of the window (so lines run to its edges) and the table's first and last rows (so
 * a reset to the whole range has it to show).
 */
export function rowsForView(table: AlignedColumns, width: number, from: number, to: number): AlignedColumns {
  const xs = table[0];
  const a = lowerBound(xs, from);
  const b = lowerBound(xs, to, true);
  if (a === 0 && b === xs.length) return decimateRows(table, width);
  const inside = decimateRows(table.map((c) => c.slice(a, b)) as AlignedColumns, width);
  const before = [0, a - 1].filter((i, k, all) => i >= 0 && i < a && all.indexOf(i) === k);
  const after = [b, xs.length - 1].filter((i, k, all) => i >= b && i < xs.length && all.indexOf(i) === k);
  return table.map((c, col) => [
    ...before.map((i) => c[i] ?? null),
    ...inside[col]!,
    ...after.map((i) => c[i] ?? null),
  ]) as AlignedColumns;
}

/** The first index whose x is ≥ `x` (`after`: > `x`), by bisection over ascending xs. */
export function lowerBound(xs: readonly number[], x: number, after = false): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after ? xs[mid]! <= x : xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The row of the whole table under an x position: the nearest x. Every chart resolves the synced crosshair
 * through its whole table, never through the rows it happens to draw, so all charts name the same step.
 */
export function rowAt(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  const i = lowerBound(xs, x);
  if (i === 0) return 0;
  if (i === xs.length) return xs.length - 1;
  return x - xs[i - 1]! <= xs[i]! - x ? i - 1 : i;
}

/**
 * The row a chart's keyboard crosshair moves to (the keys of an ARIA slider): ArrowRight/ArrowUp one row later,
 * ArrowLeft/ArrowDown one earlier, PageUp/PageDown a tenth of the shown rows, Home/End the first/last shown row,
 * Escape -1 (no crosshair). `index` is the crosshair's row of `xs` (-1: none; it then starts on the newest shown
 * row, which the legend already names); `window` the zoom, whose rows are the ones shown. Undefined: not one of
 * these keys, or nothing to do (Escape with no crosshair, no row shown), so the page lets the key through.
 */
export function cursorIndex(
  xs: readonly number[],
  index: number,
  key: string,
  window: readonly [number, number] | null = null,
): number | undefined {
  if (key === 'Escape') return index >= 0 ? -1 : undefined;
  const lo = window ? lowerBound(xs, window[0]) : 0;
  const hi = (window ? lowerBound(xs, window[1], true) : xs.length) - 1;
  if (hi < lo) return undefined;
  const page = Math.max(1, Math.round((hi - lo + 1) / 10));
  const by: Record<string, number> = {
    ArrowRight: 1,
    ArrowUp: 1,
    ArrowLeft: -1,
    ArrowDown: -1,
    PageUp: page,
    PageDown: -page,
  };
  if (key === 'Home') return lo;
  if (key === 'End') return hi;
  const step = by[key];
  if (step === undefined) return undefined;
  if (index < lo || index > hi) return hi;
  return Math.max(lo, Math.min(hi, index + step));
}

/** One line of a crosshair readout: its label, its value there, and what else the legend says (EMA, held). */
export interface ReadoutLine {
  label: string;
  value: string;
  detail?: string;
}

/** What the page announces when the keyboard crosshair moves: the x (step and times), then every line's value. */
export function cursorReadout(title: string, x: string, lines: readonly ReadoutLine[]): string {
  const values = lines.map((l) => `${l.label} ${l.value}${l.detail ? ` (${l.detail})` : ''}`);
  return `${title}, ${x}: ${values.join('; ')}`;
}

/** What a legend row says of one line at one row: its raw value and EMA; `heldFrom` when it holds an earlier value. */
export interface LegendValue {
  raw: number | null;
  smoothed: number | null;
  /** The x of the evaluation a sparse line (held-out accuracy) holds its value from, when not this row. */
  heldFrom?: number;
}

/**
 * Each line's values at `row` of a chart table laid out by chartData (x, then raw and EMA per line; `sparse` per
 * line). A sparse line holds its last value between evaluations; with `row` -1 (cursor off the chart) every line's newest value.
 */
export function legendAt(table: AlignedColumns, sparse: readonly boolean[], row: number): LegendValue[] {
  const n = table[0].length;
  const at = row < 0 || row >= n ? n - 1 : row;
  return sparse.map((isSparse, i) => {
    const raw = table[1 + 2 * i]!;
    const smooth = table[2 + 2 * i]!;
    const hold = isSparse || row < 0;
    let j = at;
    if (hold) while (j >= 0 && (raw[j] === null || raw[j] === undefined)) j--;
    if (j < 0) return { raw: null, smoothed: null };
    const value: LegendValue = { raw: raw[j] ?? null, smoothed: smooth[j] ?? null };
    if (j !== at && row >= 0) value.heldFrom = table[0][j]!;
    return value;
  });
}

/**
 * The y range of a linear chart. Shares (values in [0, 1]) start at 0 and end at 1, or just above the highest
 * value when that is small (a clip fraction of 2% would otherwise sit on the axis); a flat line is drawn mid-height.
 */
export function yRange(
  def: Pick<ChartDef, 'share'>,
  min: number | null,
  max: number | null,
): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (def.share && min >= 0 && max <= 1) {
    if (max >= 0.5) return [0, 1];
    // All zero: the whole 0–1 axis, so a zero share does not read as a small one.
    if (max <= 0) return [0, 1];
    return [0, niceCeil(max * 1.15)];
  }
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.08;
  return [min - pad, max + pad];
}

/** The smallest 1, 2, 2.5 or 5 × 10^k at or above `v` (> 0). */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** Tick values of a log axis over [min, max]: powers of ten only, thinned to at most `most` of them. */
export function logSplits(min: number, max: number, most = 6): number[] {
  if (!(min > 0) || !(max > 0)) return [];
  const lo = Math.floor(Math.log10(min) + 1e-9);
  const hi = Math.ceil(Math.log10(max) - 1e-9);
  const every = Math.max(1, Math.ceil((hi - lo + 1) / most));
  const out: number[] = [];
  for (let e = lo; e <= hi; e += every) {
    const v = 10 ** e;
    if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(Number(v.toPrecision(1)));
  }
  // A range inside one decade has no power of ten: its ends instead.
  return out.length > 0 ? out : [min, max];
}

/** A log axis's tick label: 1e-3, 0.01, 0.1, 1, 10, 100, 1e3. */
export function formatLogTick(v: number): string {
  const e = Math.round(Math.log10(v));
  if (Math.abs(v - 10 ** e) > 1e-9 * v) return String(Number(v.toPrecision(3)));
  return e >= -2 && e <= 2 ? String(Number((10 ** e).toFixed(Math.max(0, -e)))) : `1e${e}`;
}

/** What a log-scale chart says when it cannot draw some values (≤ 0), counted over the raw series; null when all can be. */
export function logScaleNotice(raw: AlignedColumns): string | null {
  let hidden = 0;
  let shown = 0;
  for (let s = 1; s < raw.length; s += 2) {
    for (const v of raw[s]!) {
      if (v === null || v === undefined) continue;
      if (v > 0) shown++;
      else hidden++;
    }
  }
  if (hidden === 0) return null;
  if (shown === 0)
    return `Nothing to draw on a log scale: every value is ≤ 0 (${hidden.toLocaleString('en')}).`;
  return `${hidden.toLocaleString('en')} values ≤ 0 are not drawn on a log scale.`;
}

/**
 * Short names for runs shown side by side: what sets each label apart from the others (a shared prefix and
 * suffix dropped at a separator), cut to `max` characters with an ellipsis in the middle. Unique, else the labels.
 */
export function shortLabels(labels: readonly string[], max = 20): string[] {
  const cut = (t: string): string =>
    t.length <= max
      ? t
      : `${t.slice(0, Math.ceil((max - 1) / 2))}…${t.slice(t.length - Math.floor((max - 1) / 2))}`;
  if (labels.length < 2) return labels.map(cut);
  const sep = /[-_.\s/:]/;
  let prefix = 0;
  const first = labels[0]!;
  while (prefix < first.length && labels.every((l) => l[prefix] === first[prefix])) prefix++;
  while (prefix > 0 && !sep.test(first[prefix - 1]!)) prefix--;
  let suffix = 0;
  const rest = labels.map((l) => l.slice(prefix));
  const r0 = rest[0]!;
  while (
    suffix < r0.length &&
    rest.every((l) => l.length > suffix && l[l.length - 1 - suffix] === r0[r0.length - 1 - suffix])
  )
    suffix++;
  while (suffix > 0 && !sep.test(r0[r0.length - suffix]!)) suffix--;
  const short = rest.map((l) => cut(l.slice(0, l.length - suffix) || l));
  return new Set(short).size === short.length ? short : labels.map(cut);
}

/** One CSV cell: quoted when it holds a comma, quote or line break. */
function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One chart as CSV: the x column, then each line's raw and smoothed values, every row of the table (not the drawn
 * rows) between `from` and `to` when given (the zoomed window).
 */
export function chartCsv(
  xLabel: string,
  labels: readonly string[],
  table: AlignedColumns,
  from = -Infinity,
  to = Infinity,
): string {
  const header = [xLabel, ...labels.flatMap((l) => [`${l} (raw)`, `${l} (smoothed)`])].map(csvCell);
  const out = [header.join(',')];
  const xs = table[0];
  for (let i = lowerBound(xs, from); i < xs.length && xs[i]! <= to; i++) {
    const row = [String(xs[i])];
    for (let c = 1; c < table.length; c++) {
      const v = table[c]![i];
      row.push(v === null || v === undefined ? '' : String(v));
    }
    out.push(row.join(','));
  }
  return `${out.join('\n')}\n`;
}

/** One group's line on a grouped Compare chart: its mean, mean − std and mean + std series follow x in that order. */
export interface GroupLine {
  group: CompareGroup;
  groupIndex: number;
  line: LineDef;
  /** How many of the group's runs have this line. */
  runs: number;
}

/**
 * A grouped Compare chart: per group and line, the runs' smoothed values aligned by step, and per step their mean
 * and mean ∓ one standard deviation (population std over the runs that have that step). On a time axis a step sits
 * at the mean time of the runs that reached it.
 */
export function groupChartData(
  def: ChartDef,
  runs: readonly RunData[],
  groups: readonly CompareGroup[],
  view: ChartView,
): { lines: GroupLine[]; table: AlignedColumns } {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const lines: GroupLine[] = [];
  const tables: AlignedColumns[] = [];
  groups.forEach((group, groupIndex) => {
    const members = group.runIds.map((id) => byId.get(id)).filter((r): r is RunData => r !== undefined);
    const keys = new Map<string, LineDef>();
    for (const run of members)
      for (const line of def.lines(run)) if (!keys.has(line.key)) keys.set(line.key, line);
    for (const line of keys.values()) {
      const perRun: AlignedColumns[] = [];
      for (const run of members) {
        if (!def.lines(run).some((l) => l.key === line.key)) continue;
        const steps = line.source === 'heldOut' ? run.heldOut.step : run.metrics.step;
        perRun.push([steps, xColumn(run, line.source, view.xAxis), smoothed(run, line, view.smoothing)]);
      }
      if (perRun.length === 0) continue;
      tables.push(meanStd(alignColumns(perRun), view.logScale));
      lines.push({ group, groupIndex, line, runs: perRun.length });
    }
  });
  if (tables.length === 0) return { lines, table: [[]] };
  return { lines, table: alignColumns(tables) };
}

/** [step, (x, value) per run] → [x, mean, mean − std, mean + std], rows where no run has a value dropped. */
function meanStd(aligned: AlignedColumns, positiveOnly: boolean): AlignedColumns {
  const n = aligned[0].length;
  const runs = (aligned.length - 1) / 2;
  const out: AlignedColumns = [[], [], [], []];
  for (let i = 0; i < n; i++) {
    let count = 0;
    let sum = 0;
    let sumX = 0;
    for (let r = 0; r < runs; r++) {
      const v = aligned[2 + 2 * r]![i];
      if (v === null || v === undefined) continue;
      count++;
      sum += v;
      sumX += aligned[1 + 2 * r]![i] ?? 0;
    }
    if (count === 0) continue;
    const mean = sum / count;
    let sq = 0;
    for (let r = 0; r < runs; r++) {
      const v = aligned[2 + 2 * r]![i];
      if (v !== null && v !== undefined) sq += (v - mean) ** 2;
    }
    const std = Math.sqrt(sq / count);
    const keep = (v: number): number | null => (positiveOnly && !(v > 0) ? null : v);
    out[0].push(sumX / count);
    out[1]!.push(keep(mean));
    out[2]!.push(keep(mean - std));
    out[3]!.push(keep(mean + std));
  }
  return out;
}

// Messages between the dashboard panel's host (src/host/panels/dashboardPanel.ts) and its page (webview/dashboard).
// Metrics travel as columns (parallel arrays, one entry per optimizer step): what the charts draw, with no
// per-record objects to build or validate. Both sides validate what they receive with these schemas.
import { z } from 'zod';
import type { EvalRecord, MetricsRecord } from './runDir';
import { RUN_STATUSES } from './runDir';

export { DASHBOARD_VIEW_TYPE } from './viewTypes';

/** Scalar series every metrics record carries, in chart order; per-rule rewards are `rewards.<rule>`. */
export const SCALAR_SERIES = [
  'reward',
  'accuracy',
  'loss',
  'gradNorm',
  'clipFraction',
  'entropy',
  'completionLength',
  'zeroVarianceShare',
] as const;
export type ScalarSeries = (typeof SCALAR_SERIES)[number];

export function ruleSeriesKey(rule: string): string {
  return `rewards.${rule}`;
}

const column = z.array(z.number().nullable());

/** Rows of one run's metrics.jsonl as columns: `step[i]`, `wall[i]` and `series[key][i]` describe one step. */
export const MetricColumns = z
  .object({
    step: z.array(z.number()),
    wall: z.array(z.number()),
    series: z.record(z.string(), column),
  })
  .refine(
    (c) =>
      c.wall.length === c.step.length && Object.values(c.series).every((s) => s.length === c.step.length),
    {
      message: 'every column must have one entry per step',
    },
  );
export type MetricColumns = z.infer<typeof MetricColumns>;

/** Held-out evaluations (eval.jsonl) as columns; step 0 is the SFT base. */
export const HeldOutColumns = z
  .object({ step: z.array(z.number()), wall: z.array(z.number()), accuracy: z.array(z.number()) })
  .refine((c) => c.wall.length === c.step.length && c.accuracy.length === c.step.length, {
    message: 'every column must have one entry per evaluation',
  });
export type HeldOutColumns = z.infer<typeof HeldOutColumns>;

export const DashboardRun = z.object({
  id: z.string().min(1),
  label: z.string(),
  status: z.enum(RUN_STATUSES),
  rules: z.array(z.string()),
  metrics: MetricColumns,
  heldOut: HeldOutColumns,
});
export type DashboardRun = z.infer<typeof DashboardRun>;

/** Host → webview: the complete data of the shown runs; replaces whatever the page had (first draw, new selection). */
export const DashboardRunsMessage = z.object({ type: z.literal('runs'), runs: z.array(DashboardRun) });

/** Host → webview: rows appended to one run's files since the last message; the page extends its charts. */
export const DashboardAppendMessage = z.object({
  type: z.literal('append'),
  id: z.string().min(1),
  metrics: MetricColumns,
  heldOut: HeldOutColumns,
});

/** Host → webview: a shown run's status changed (e.g. running → stopped). */
export const DashboardStatusMessage = z.object({
  type: z.literal('status'),
  id: z.string().min(1),
  status: z.enum(RUN_STATUSES),
});

export const HostToDashboard = z.discriminatedUnion('type', [
  DashboardRunsMessage,
  DashboardAppendMessage,
  DashboardStatusMessage,
]);
export type HostToDashboard = z.infer<typeof HostToDashboard>;

/** Webview → host: the page is listening; the host answers with `runs`. */
export const DashboardReady = z.object({ type: z.literal('ready') });
/** Webview → host: the user asked to export the shown runs' metrics as CSV. */
export const DashboardExportCsv = z.object({ type: z.literal('exportCsv') });
/** Webview → host: the user asked to add runs to the comparison. */
export const DashboardCompare = z.object({ type: z.literal('compare') });

export const DashboardToHost = z.discriminatedUnion('type', [
  DashboardReady,
  DashboardExportCsv,
  DashboardCompare,
]);
export type DashboardToHost = z.infer<typeof DashboardToHost>;

/** What the page persists with setState (view state only; data always comes from the host). */
export const DashboardViewState = z.object({
  runIds: z.array(z.string()),
  smoothing: z.number().min(0).max(0.999).default(0.6),
  logScale: z.boolean().default(false),
  xAxis: z.enum(['step', 'wall']).default('step'),
});
export type DashboardViewState = z.infer<typeof DashboardViewState>;

export function emptyMetricColumns(): MetricColumns {
  return { step: [], wall: [], series: {} };
}

/** Metrics records as columns; a rule missing from a record (rules changed between resumes) is null there. */
export function toMetricColumns(records: readonly MetricsRecord[], rules: readonly string[]): MetricColumns {
  const series: Record<string, (number | null)[]> = {};
  for (const key of SCALAR_SERIES) series[key] = [];
  for (const rule of rules) series[ruleSeriesKey(rule)] = [];
  const step: number[] = [];
  const wall: number[] = [];
  for (const r of records) {
    step.push(r.step);
    wall.push(r.wall);
    for (const key of SCALAR_SERIES) series[key]!.push(r[key]);
    for (const rule of rules) series[ruleSeriesKey(rule)]!.push(r.rewards[rule] ?? null);
  }
  return { step, wall, series };
}

export function toHeldOutColumns(
  records: readonly EvalRecord[],
  wallAtStep: (step: number) => number,
): HeldOutColumns {
  const held = records.filter(
    (r) => r.phase !== 'final' || !records.some((o) => o !== r && o.step === r.step),
  );
  return {
    step: held.map((r) => r.step),
    wall: held.map((r) => wallAtStep(r.step)),
    accuracy: held.map((r) => r.accuracy),
  };
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

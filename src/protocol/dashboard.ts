// Messages between the dashboard panel's host (src/host/panels/dashboardPanel.ts) and its page (webview/dashboard).
// Metrics travel as columns (parallel arrays, one entry per optimizer step): what the charts draw, with no
// per-record objects to build or validate. Both sides validate what they receive with these schemas.
import { z } from 'zod';
import { ReadyMessageSchema, RunStatusMessageSchema, SHOWN_RUN_FIELDS } from './panelMessages';

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

/** A rule's reward series is keyed `rewards.<rule>` (RULE_SERIES_PREFIX + rule name). */
export const RULE_SERIES_PREFIX = 'rewards.';

/**
 * Another tool's metric that means none of ours (an imported TensorBoard tag, a TRL or verl key) is keyed
 * `extra.<name>`, the name as that tool logged it; the page draws each such series as a chart of its own.
 */
export const EXTRA_SERIES_PREFIX = 'extra.';

/**
 * A column of finite numbers (`nullable`: or null), checked in one loop over the array as it is. The same check as
 * z.array(z.number()), at a fraction of its cost on a million-entry payload (it neither copies the array nor
 * parses each entry as a schema): the dashboard's first draw waited on it.
 */
function numbers<Nullable extends boolean>(nullable: Nullable) {
  return z.custom<Nullable extends true ? (number | null)[] : number[]>(
    (value) => {
      if (!Array.isArray(value)) return false;
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (!(typeof v === 'number' ? Number.isFinite(v) : nullable && v === null)) return false;
      }
      return true;
    },
    { message: nullable ? 'expected an array of numbers or nulls' : 'expected an array of numbers' },
  );
}

const column = numbers(true);

/** Rows of one run's metrics.jsonl as columns: `step[i]`, `wall[i]` and `series[key][i]` describe one step. */
export const MetricColumnsSchema = z
  .object({
    step: numbers(false),
    wall: numbers(false),
    /** When each step finished, seconds since the epoch (the absolute-time axis). */
    time: numbers(false).optional(),
    series: z.record(z.string(), column),
  })
  .refine(
    (c) =>
      c.wall.length === c.step.length &&
      (c.time === undefined || c.time.length === c.step.length) &&
      Object.values(c.series).every((s) => s.length === c.step.length),
    {
      message: 'every column must have one entry per step',
    },
  );
export type MetricColumns = z.infer<typeof MetricColumnsSchema>;

/** Held-out evaluations (eval.jsonl) as columns; step 0 is the SFT base. */
export const HeldOutColumnsSchema = z
  .object({ step: numbers(false), wall: numbers(false), accuracy: numbers(false) })
  .refine((c) => c.wall.length === c.step.length && c.accuracy.length === c.step.length, {
    message: 'every column must have one entry per evaluation',
  });
export type HeldOutColumns = z.infer<typeof HeldOutColumnsSchema>;

/** One shown run's data, inside `runs`. */
export const DashboardRunSchema = z.object({
  ...SHOWN_RUN_FIELDS,
  metrics: MetricColumnsSchema,
  heldOut: HeldOutColumnsSchema,
  /** The trained model in one line (run.json's modelInfo), when the run records it. */
  model: z.string().max(500).optional(),
});
export type DashboardRun = z.infer<typeof DashboardRunSchema>;

/** Longest group label Compare takes. */
export const GROUP_LABEL_MAX = 200;

/** Runs compared as one: Compare draws their mean per step with a ±1 standard deviation band (e.g. one estimator over seeds). */
export const CompareGroupSchema = z.object({
  label: z.string().min(1).max(GROUP_LABEL_MAX),
  runIds: z.array(z.string().min(1)).min(1),
});
export type CompareGroup = z.infer<typeof CompareGroupSchema>;

/** Host → webview: the complete data of the shown runs; replaces whatever the page had (first draw, new selection). */
export const DashboardRunsMessageSchema = z.object({
  type: z.literal('runs'),
  runs: z.array(DashboardRunSchema),
  /** Grouped Compare: one mean line and band per group instead of one line per run. */
  groups: z.array(CompareGroupSchema).optional(),
});

/** Host → webview: rows appended to one run's files since the last message; the page extends its charts. */
export const DashboardAppendMessageSchema = z.object({
  type: z.literal('append'),
  id: z.string().min(1),
  metrics: MetricColumnsSchema,
  heldOut: HeldOutColumnsSchema,
});

/** Everything the host sends the dashboard page (a shown run's status change included). */
export const HostToDashboardSchema = z.discriminatedUnion('type', [
  DashboardRunsMessageSchema,
  DashboardAppendMessageSchema,
  RunStatusMessageSchema,
]);
export type HostToDashboard = z.infer<typeof HostToDashboardSchema>;

/** Webview → host: the user asked to export the shown runs' metrics as CSV. */
export const DashboardExportCsvSchema = z.object({ type: z.literal('exportCsv') });
/** Webview → host: the user asked to add runs to the comparison. */
export const DashboardCompareSchema = z.object({ type: z.literal('compare') });

/** Webview → host: save one chart's rows (or its zoomed window) as CSV; the host asks where. */
export const DashboardSaveChartCsvSchema = z.object({
  type: z.literal('saveChartCsv'),
  /** The suggested file name: a chart id and window, nothing that could name a folder. */
  name: z.string().regex(/^[\w.-]{1,120}\.csv$/),
  csv: z.string().max(256 * 1024 * 1024),
});

/** Everything the dashboard page sends its host; after `ready` the host answers with `runs`. */
export const DashboardToHostSchema = z.discriminatedUnion('type', [
  ReadyMessageSchema,
  DashboardExportCsvSchema,
  DashboardCompareSchema,
  DashboardSaveChartCsvSchema,
]);
export type DashboardToHost = z.infer<typeof DashboardToHostSchema>;

/** What the page persists with setState (view state only; data always comes from the host). */
export const DashboardViewStateSchema = z.object({
  runIds: z.array(z.string()),
  smoothing: z.number().min(0).max(0.999).default(0.6),
  logScale: z.boolean().default(false),
  /** step, relative (training) time, or absolute (clock) time. */
  xAxis: z.enum(['step', 'wall', 'time']).default('step'),
  /** Charts drawn on a log y axis. */
  logCharts: z.array(z.string()).optional(),
  /** Charts the user hid, and the user's chart order (ids; charts not named keep their place after these). */
  hidden: z.array(z.string()).optional(),
  order: z.array(z.string()).optional(),
  /** Charts drawn across the whole width. */
  wide: z.array(z.string()).optional(),
  /** The groups of a grouped Compare, so a reload shows the same bands. */
  groups: z.array(CompareGroupSchema).optional(),
});
export type DashboardViewState = z.infer<typeof DashboardViewStateSchema>;

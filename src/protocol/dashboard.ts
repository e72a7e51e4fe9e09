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

const column = z.array(z.number().nullable());

/** Rows of one run's metrics.jsonl as columns: `step[i]`, `wall[i]` and `series[key][i]` describe one step. */
export const MetricColumnsSchema = z
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
export type MetricColumns = z.infer<typeof MetricColumnsSchema>;

/** Held-out evaluations (eval.jsonl) as columns; step 0 is the SFT base. */
export const HeldOutColumnsSchema = z
  .object({ step: z.array(z.number()), wall: z.array(z.number()), accuracy: z.array(z.number()) })
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

/** Host → webview: the complete data of the shown runs; replaces whatever the page had (first draw, new selection). */
export const DashboardRunsMessageSchema = z.object({
  type: z.literal('runs'),
  runs: z.array(DashboardRunSchema),
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

/** Everything the dashboard page sends its host; after `ready` the host answers with `runs`. */
export const DashboardToHostSchema = z.discriminatedUnion('type', [
  ReadyMessageSchema,
  DashboardExportCsvSchema,
  DashboardCompareSchema,
]);
export type DashboardToHost = z.infer<typeof DashboardToHostSchema>;

/** What the page persists with setState (view state only; data always comes from the host). */
export const DashboardViewStateSchema = z.object({
  runIds: z.array(z.string()),
  smoothing: z.number().min(0).max(0.999).default(0.6),
  logScale: z.boolean().default(false),
  xAxis: z.enum(['step', 'wall']).default('step'),
});
export type DashboardViewState = z.infer<typeof DashboardViewStateSchema>;

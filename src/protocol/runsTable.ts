// Messages between the runs table's host (src/host/panels/runsTablePanel.ts) and its page (webview/runsTable). The
// host sends what it knows of each followed run (its run.json as read, and the last reward and held-out accuracy);
// the page derives the columns, sorts, filters, groups and colours itself.
import { z } from 'zod';
import { CompareGroupSchema } from './dashboard';
import { ReadyMessageSchema } from './panelMessages';
import { RUN_STATUSES, RunInfoSchema } from './runDir';

export { RUNS_TABLE_VIEW_TYPE } from './viewTypes';

/** One followed run, as the table needs it. */
export const RunsTableRunSchema = z.object({
  id: z.string().min(1),
  dir: z.string(),
  status: z.enum(RUN_STATUSES),
  /** run.json; null while it is missing or unreadable (then `problem` says why). */
  info: RunInfoSchema.nullable(),
  problem: z.string().nullable(),
  /** Mean reward of the last metrics record; null before the first step. */
  lastReward: z.number().nullable(),
  /** Accuracy of the last held-out evaluation; null before the first. */
  lastAccuracy: z.number().nullable(),
});
export type RunsTableRun = z.infer<typeof RunsTableRunSchema>;

/** Host → webview: every followed run; replaces what the page had. */
export const RunsTableRunsMessageSchema = z.object({
  type: z.literal('runs'),
  runs: z.array(RunsTableRunSchema),
});

/** Host → webview: one run appeared or changed (a step, a status). */
export const RunsTableRunMessageSchema = z.object({ type: z.literal('run'), run: RunsTableRunSchema });

/** Host → webview: a run folder went away. */
export const RunsTableRemovedMessageSchema = z.object({ type: z.literal('removed'), id: z.string().min(1) });

export const HostToRunsTableSchema = z.discriminatedUnion('type', [
  RunsTableRunsMessageSchema,
  RunsTableRunMessageSchema,
  RunsTableRemovedMessageSchema,
]);
export type HostToRunsTable = z.infer<typeof HostToRunsTableSchema>;

/** Webview → host: overlay these runs on the dashboard; with groups, one band per group. */
export const RunsTableCompareMessageSchema = z.object({
  type: z.literal('compare'),
  runIds: z.array(z.string().min(1)).min(1),
  groups: z.array(CompareGroupSchema).optional(),
});

/** Webview → host: open one run's dashboard (a row activated). */
export const RunsTableOpenMessageSchema = z.object({ type: z.literal('open'), runId: z.string().min(1) });

export const RunsTableToHostSchema = z.discriminatedUnion('type', [
  ReadyMessageSchema,
  RunsTableCompareMessageSchema,
  RunsTableOpenMessageSchema,
]);
export type RunsTableToHost = z.infer<typeof RunsTableToHostSchema>;

/** The table's columns, in order; the view state names them. */
export const RUNS_TABLE_COLUMNS = [
  'run',
  'status',
  'estimator',
  'data',
  'model',
  'groupSize',
  'lr',
  'seed',
  'steps',
  'backend',
  'reward',
  'accuracy',
  'created',
] as const;
export type RunsTableColumn = (typeof RUNS_TABLE_COLUMNS)[number];

/** View state the page persists: sort, filters, colour and grouping, the selected runs. */
export const RunsTableViewStateSchema = z.object({
  sort: z
    .object({ column: z.enum(RUNS_TABLE_COLUMNS), direction: z.enum(['ascending', 'descending']) })
    .default({ column: 'created', direction: 'descending' }),
  text: z.string().default(''),
  columnFilters: z.partialRecord(z.enum(RUNS_TABLE_COLUMNS), z.string()).default({}),
  colourBy: z.enum(RUNS_TABLE_COLUMNS).nullable().default(null),
  groupBy: z.enum(RUNS_TABLE_COLUMNS).nullable().default(null),
  selected: z.array(z.string()).default([]),
});
export type RunsTableViewState = z.infer<typeof RunsTableViewStateSchema>;

// Messages between the samples panel's host (src/host/panels/samplesPanel.ts) and its page (webview/samples).
// The page receives samples.jsonl records as the trainer wrote them (already validated by the host's reader,
// validated again on arrival) and does its filtering locally. A run's samples can be GBs: the host sends the list
// of sampled steps and one step's records at a time, read from disk when the page asks for that step.
import { z } from 'zod';
import { CompletionRecordSchema, SamplesRecordSchema } from './runDir';
import { ReadyMessageSchema, RunStatusMessageSchema, SHOWN_RUN_FIELDS } from './panelMessages';

export { SAMPLES_VIEW_TYPE } from './viewTypes';

/**
 * Marks a later reader (e.g. a reward audit) may put on a sampled group or on one completion: `flags` names what
 * was found; the boolean `flagged` or `audit` mean "flagged by the audit". All optional; the page's "Flagged"
 * filter is generic over them (webview/samples/model.ts flagsOf).
 */
const SAMPLE_FLAG_FIELDS = {
  flags: z.array(z.string().min(1)).optional(),
  flagged: z.boolean().optional(),
  audit: z.boolean().optional(),
};

/** One sampled group as the page gets it: the samples.jsonl record, with the optional flags. */
export const SampleGroupSchema = SamplesRecordSchema.extend({
  ...SAMPLE_FLAG_FIELDS,
  completions: z.array(CompletionRecordSchema.extend(SAMPLE_FLAG_FIELDS)),
});
export type SampleGroup = z.infer<typeof SampleGroupSchema>;

/** Host → webview: one run's sampled groups (of the newest step when `steps` is given); replaces what the page had. */
export const SamplesRunMessageSchema = z.object({
  type: z.literal('run'),
  ...SHOWN_RUN_FIELDS,
  records: z.array(SampleGroupSchema),
  steps: z
    .array(z.number().int().positive())
    .optional()
    .describe(
      'Every step with sampled groups; the page asks for the records of one it lacks (`requestStep`).',
    ),
  show: z
    .literal('flagged')
    .optional()
    .describe("Open on the completions the audit flagged (the run's audit notification asked for them)."),
});

/** Host → webview: all sampled groups of one step (asked for, or grown); replaces the page's records of it. */
export const SamplesStepMessageSchema = z.object({
  type: z.literal('step'),
  id: z.string().min(1),
  step: z.number().int().positive(),
  records: z.array(SampleGroupSchema),
});

/** Host → webview: groups sampled since the last message. */
export const SamplesAppendMessageSchema = z.object({
  type: z.literal('append'),
  id: z.string().min(1),
  records: z.array(SampleGroupSchema),
});

/** Everything the host sends the samples page (a shown run's status change included). */
export const HostToSamplesSchema = z.discriminatedUnion('type', [
  SamplesRunMessageSchema,
  SamplesAppendMessageSchema,
  SamplesStepMessageSchema,
  RunStatusMessageSchema,
]);
export type HostToSamples = z.infer<typeof HostToSamplesSchema>;

/** Webview → host: send the sampled groups of this step (answered with `step`). */
export const SamplesRequestStepSchema = z.object({
  type: z.literal('requestStep'),
  step: z.number().int().positive(),
});

/** Everything the samples page sends its host: `ready` (answered with `run`) and `requestStep`. */
export const SamplesToHostSchema = z.discriminatedUnion('type', [
  ReadyMessageSchema,
  SamplesRequestStepSchema,
]);
export type SamplesToHost = z.infer<typeof SamplesToHostSchema>;

export const SAMPLE_ORDERS = ['prompt', 'advantage'] as const;

/** The page's two views: one step's groups, or every completion of every step in one searchable table. */
export const SAMPLE_VIEWS = ['step', 'table'] as const;
export const ADVANTAGE_FILTERS = ['any', 'positive', 'negative', 'zero'] as const;
export const TABLE_SORT_KEYS = ['step', 'advantage', 'tokens', 'length'] as const;

/** The completions table's search, filters and sort (what "Clear filters" resets). */
export const CompletionQuerySchema = z.object({
  text: z.string().default(''),
  /** `<rule>:1` (the rule rewarded it) or `<rule>:0` (it did not); null: any. */
  ruleResult: z.string().nullable().default(null),
  advantage: z.enum(ADVANTAGE_FILTERS).default('any'),
  /** A flag name, '*' for any flag; null: flagged or not. */
  flag: z.string().nullable().default(null),
  sort: z.enum(TABLE_SORT_KEYS).default('step'),
  descending: z.boolean().default(false),
});
export type CompletionQuery = z.infer<typeof CompletionQuerySchema>;

/** View state the page persists: run, step (null: newest), filters, and the table's query. */
export const SamplesViewStateSchema = z.object({
  runId: z.string().min(1),
  step: z.number().int().positive().nullable().default(null),
  zeroVarianceOnly: z.boolean().default(false),
  order: z.enum(SAMPLE_ORDERS).default('prompt'),
  failedRule: z.string().nullable().default(null),
  view: z.enum(SAMPLE_VIEWS).default('step'),
  query: CompletionQuerySchema.prefault({}),
});
export type SamplesViewState = z.infer<typeof SamplesViewStateSchema>;

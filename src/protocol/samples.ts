// Messages between the samples panel's host (src/host/panels/samplesPanel.ts) and its page (webview/samples).
// The page receives samples.jsonl records as the trainer wrote them (already validated by the host's reader,
// validated again on arrival) and does its filtering locally.
import { z } from 'zod';
import { SamplesRecordSchema } from './runDir';
import { ReadyMessageSchema, RunStatusMessageSchema, SHOWN_RUN_FIELDS } from './panelMessages';

export { SAMPLES_VIEW_TYPE } from './viewTypes';

/** Host → webview: every sampled group of one run; replaces what the page had. */
export const SamplesRunMessageSchema = z.object({
  type: z.literal('run'),
  ...SHOWN_RUN_FIELDS,
  records: z.array(SamplesRecordSchema),
});

/** Host → webview: groups sampled since the last message. */
export const SamplesAppendMessageSchema = z.object({
  type: z.literal('append'),
  id: z.string().min(1),
  records: z.array(SamplesRecordSchema),
});

/** Everything the host sends the samples page (a shown run's status change included). */
export const HostToSamplesSchema = z.discriminatedUnion('type', [
  SamplesRunMessageSchema,
  SamplesAppendMessageSchema,
  RunStatusMessageSchema,
]);
export type HostToSamples = z.infer<typeof HostToSamplesSchema>;

/** Everything the samples page sends its host: only `ready`, answered with `run`. */
export const SamplesToHostSchema = z.discriminatedUnion('type', [ReadyMessageSchema]);
export type SamplesToHost = z.infer<typeof SamplesToHostSchema>;

export const SAMPLE_ORDERS = ['prompt', 'advantage'] as const;

/** View state the page persists: run, step (null: newest), filters. */
export const SamplesViewStateSchema = z.object({
  runId: z.string().min(1),
  step: z.number().int().positive().nullable().default(null),
  zeroVarianceOnly: z.boolean().default(false),
  order: z.enum(SAMPLE_ORDERS).default('prompt'),
  failedRule: z.string().nullable().default(null),
});
export type SamplesViewState = z.infer<typeof SamplesViewStateSchema>;

// Messages between the samples panel's host (src/host/panels/samplesPanel.ts) and its page (webview/samples).
// The page receives samples.jsonl records as the trainer wrote them (already validated by the host's reader,
// validated again on arrival) and does its filtering locally.
import { z } from 'zod';
import { RUN_STATUSES, SamplesRecordSchema } from './runDir';

export { SAMPLES_VIEW_TYPE } from './viewTypes';

/** Host → webview: every sampled group of one run; replaces what the page had. */
export const SamplesRunMessage = z.object({
  type: z.literal('run'),
  id: z.string().min(1),
  label: z.string(),
  status: z.enum(RUN_STATUSES),
  rules: z.array(z.string()),
  records: z.array(SamplesRecordSchema),
});

/** Host → webview: groups sampled since the last message. */
export const SamplesAppendMessage = z.object({
  type: z.literal('append'),
  id: z.string().min(1),
  records: z.array(SamplesRecordSchema),
});

/** Host → webview: the run's status changed. */
export const SamplesStatusMessage = z.object({
  type: z.literal('status'),
  id: z.string().min(1),
  status: z.enum(RUN_STATUSES),
});

export const HostToSamples = z.discriminatedUnion('type', [
  SamplesRunMessage,
  SamplesAppendMessage,
  SamplesStatusMessage,
]);
export type HostToSamples = z.infer<typeof HostToSamples>;

/** Webview → host: the page is listening; the host answers with `run`. */
export const SamplesReady = z.object({ type: z.literal('ready') });
export const SamplesToHost = z.discriminatedUnion('type', [SamplesReady]);
export type SamplesToHost = z.infer<typeof SamplesToHost>;

export const SAMPLE_ORDERS = ['prompt', 'advantage'] as const;

/** View state the page persists: run, step (null: newest), filters. */
export const SamplesViewState = z.object({
  runId: z.string().min(1),
  step: z.number().int().positive().nullable().default(null),
  zeroVarianceOnly: z.boolean().default(false),
  order: z.enum(SAMPLE_ORDERS).default('prompt'),
  failedRule: z.string().nullable().default(null),
});
export type SamplesViewState = z.infer<typeof SamplesViewState>;

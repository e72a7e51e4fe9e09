// Messages between the samples panel's host (src/host/panels/samplesPanel.ts) and its page (webview/samples).
// The page receives samples.jsonl records as the trainer wrote them (already validated by the host's reader,
// validated again on arrival) and does its filtering locally. A run's samples can be GBs: the host sends the list
// of sampled steps and one step's records at a time, read from disk when the page asks for that step.
import { z } from 'zod';
import { SamplesRecordSchema } from './runDir';
import { ReadyMessageSchema, RunStatusMessageSchema, SHOWN_RUN_FIELDS } from './panelMessages';

export { SAMPLES_VIEW_TYPE } from './viewTypes';

/** Host → webview: one run's sampled groups (of the newest step when `steps` is given); replaces what the page had. */
export const SamplesRunMessageSchema = z.object({
  type: z.literal('run'),
  ...SHOWN_RUN_FIELDS,
  records: z.array(SamplesRecordSchema),
  steps: z
    .array(z.number().int().positive())
    .optional()
    .describe(
      'Every step with sampled groups; the page asks for the records of one it lacks (`requestStep`).',
    ),
});

/** Host → webview: all sampled groups of one step (asked for, or grown); replaces the page's records of it. */
export const SamplesStepMessageSchema = z.object({
  type: z.literal('step'),
  id: z.string().min(1),
  step: z.number().int().positive(),
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

/** View state the page persists: run, step (null: newest), filters. */
export const SamplesViewStateSchema = z.object({
  runId: z.string().min(1),
  step: z.number().int().positive().nullable().default(null),
  zeroVarianceOnly: z.boolean().default(false),
  order: z.enum(SAMPLE_ORDERS).default('prompt'),
  failedRule: z.string().nullable().default(null),
});
export type SamplesViewState = z.infer<typeof SamplesViewStateSchema>;

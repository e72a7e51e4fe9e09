// Messages between the Beta-fit panel's host (src/host/panels/betaFitPanel.ts) and its page (webview/betaFit).
// The page gets each step's fit (from metrics.jsonl) and each step's p̂ per prompt group (from groups.jsonl), and
// computes the densities and weights itself with the same core functions the trainer uses.
import { z } from 'zod';
import { BetaFitSchema } from './runDir';
import { ReadyMessageSchema, RunStatusMessageSchema, SHOWN_RUN_FIELDS } from './panelMessages';

export { BETA_FIT_VIEW_TYPE } from './viewTypes';

/** One step: the per-rule fit the trainer recorded, and the p̂ of every prompt group per rule. */
export const BetaFitStepSchema = z.object({
  step: z.number().int().positive(),
  estimator: z.string(),
  fits: z.record(z.string(), BetaFitSchema),
  /** p̂ per rule, one entry per prompt group (empty when groups.jsonl has no record for this step yet). */
  pHat: z.record(z.string(), z.array(z.number().min(0).max(1))),
  groupSize: z.number().int().positive(),
});
export type BetaFitStep = z.infer<typeof BetaFitStepSchema>;

/** Host → webview: everything of one run; replaces what the page had. */
export const BetaFitRunMessageSchema = z.object({
  type: z.literal('run'),
  ...SHOWN_RUN_FIELDS,
  steps: z.array(BetaFitStepSchema),
});

/** Host → webview: steps completed since the last message (or a step whose p̂ arrived later). */
export const BetaFitAppendMessageSchema = z.object({
  type: z.literal('append'),
  id: z.string().min(1),
  steps: z.array(BetaFitStepSchema),
});

/** Everything the host sends the Beta-fit page (a shown run's status change included). */
export const HostToBetaFitSchema = z.discriminatedUnion('type', [
  BetaFitRunMessageSchema,
  BetaFitAppendMessageSchema,
  RunStatusMessageSchema,
]);
export type HostToBetaFit = z.infer<typeof HostToBetaFitSchema>;

/** Everything the Beta-fit page sends its host: only `ready`, answered with `run`. */
export const BetaFitToHostSchema = z.discriminatedUnion('type', [ReadyMessageSchema]);
export type BetaFitToHost = z.infer<typeof BetaFitToHostSchema>;

/** View state the page persists: which run, and the step the user chose (null: follow the newest step). */
export const BetaFitViewStateSchema = z.object({
  runId: z.string().min(1),
  step: z.number().int().positive().nullable().default(null),
});
export type BetaFitViewState = z.infer<typeof BetaFitViewStateSchema>;

// Messages between the Beta-fit panel's host (src/host/panels/betaFitPanel.ts) and its page (webview/betaFit).
// The page gets each step's fit (from metrics.jsonl) and each step's p̂ per prompt group (from groups.jsonl), and
// computes the densities and weights itself with the same core functions the trainer uses.
import { z } from 'zod';
import { BetaFitSchema, RUN_STATUSES } from './runDir';

export { BETA_FIT_VIEW_TYPE } from './viewTypes';

/** One step: the per-rule fit the trainer recorded, and the p̂ of every prompt group per rule. */
export const BetaFitStep = z.object({
  step: z.number().int().positive(),
  estimator: z.string(),
  fits: z.record(z.string(), BetaFitSchema),
  /** p̂ per rule, one entry per prompt group (empty when groups.jsonl has no record for this step yet). */
  pHat: z.record(z.string(), z.array(z.number().min(0).max(1))),
  groupSize: z.number().int().positive(),
});
export type BetaFitStep = z.infer<typeof BetaFitStep>;

/** Host → webview: everything of one run; replaces what the page had. */
export const BetaFitRunMessage = z.object({
  type: z.literal('run'),
  id: z.string().min(1),
  label: z.string(),
  status: z.enum(RUN_STATUSES),
  rules: z.array(z.string()),
  steps: z.array(BetaFitStep),
});

/** Host → webview: steps completed since the last message (or a step whose p̂ arrived later). */
export const BetaFitAppendMessage = z.object({
  type: z.literal('append'),
  id: z.string().min(1),
  steps: z.array(BetaFitStep),
});

/** Host → webview: the run's status changed. */
export const BetaFitStatusMessage = z.object({
  type: z.literal('status'),
  id: z.string().min(1),
  status: z.enum(RUN_STATUSES),
});

export const HostToBetaFit = z.discriminatedUnion('type', [
  BetaFitRunMessage,
  BetaFitAppendMessage,
  BetaFitStatusMessage,
]);
export type HostToBetaFit = z.infer<typeof HostToBetaFit>;

/** Webview → host: the page is listening; the host answers with `run`. */
export const BetaFitReady = z.object({ type: z.literal('ready') });
export const BetaFitToHost = z.discriminatedUnion('type', [BetaFitReady]);
export type BetaFitToHost = z.infer<typeof BetaFitToHost>;

/** View state the page persists: which run, and the step the user chose (null: follow the newest step). */
export const BetaFitViewState = z.object({
  runId: z.string().min(1),
  step: z.number().int().positive().nullable().default(null),
});
export type BetaFitViewState = z.infer<typeof BetaFitViewState>;

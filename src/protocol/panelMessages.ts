// What the messages of every panel share: the page's `ready`, and for the run panels (dashboard, Beta fit,
// samples) the status change of a shown run and the fields that say which run a message is about.
import { z } from 'zod';
import { RUN_STATUSES } from './runDir';

/** Webview → host: the page has loaded and is listening; the host answers with everything the page shows. */
export const ReadyMessageSchema = z.object({ type: z.literal('ready') });
export type ReadyMessage = z.infer<typeof ReadyMessageSchema>;

/** Host → run panel page: a shown run's status changed (e.g. running → stopped). */
export const RunStatusMessageSchema = z.object({
  type: z.literal('status'),
  id: z.string().min(1),
  status: z.enum(RUN_STATUSES),
});
export type RunStatusMessage = z.infer<typeof RunStatusMessageSchema>;

/** The shown run, as a run panel's first message names it. */
export const SHOWN_RUN_FIELDS = {
  id: z.string().min(1),
  label: z.string(),
  status: z.enum(RUN_STATUSES),
  rules: z.array(z.string()),
};

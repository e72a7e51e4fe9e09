// Messages between the welcome panel's host (src/host/welcome) and its page (webview/welcome).
// Both sides validate what they receive with these schemas; nothing else names a message type.
import { z } from 'zod';
import { ReadyMessageSchema } from './panelMessages';
import { RUN_STATUSES } from './runDir';

/** The webview panel's view type (also its serializer's key and its `onWebviewPanel:` activation event). */
export const WELCOME_VIEW_TYPE = 'bnpo.welcome';

/** Webview → host: the user pressed an action's button; `id` must be one the last `state` offered (runs' too). */
export const WelcomeRunActionSchema = z.object({ type: z.literal('runAction'), id: z.string().min(1) });

/** Everything the welcome page sends its host; after `ready` the host answers with `state`. */
export const WelcomeToHostSchema = z.discriminatedUnion('type', [ReadyMessageSchema, WelcomeRunActionSchema]);
export type WelcomeToHost = z.infer<typeof WelcomeToHostSchema>;

/** One thing the page offers to do, run by the host when its button is pressed. */
export const WelcomeActionSchema = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
});
export type WelcomeAction = z.infer<typeof WelcomeActionSchema>;

/** One of the recent runs, with the actions its status allows. */
export const WelcomeRunSchema = z.object({
  id: z.string().min(1),
  label: z.string(),
  status: z.enum(RUN_STATUSES),
  detail: z.string(),
  actions: z.array(WelcomeActionSchema),
});
export type WelcomeRun = z.infer<typeof WelcomeRunSchema>;

/** Host → webview: everything the page shows; sent after `ready` and again whenever it changes. */
export const WelcomeStateSchema = z.object({
  type: z.literal('state'),
  version: z.string(),
  runsFolder: z.string(),
  /** The walkthrough and the first steps. */
  start: z.array(WelcomeActionSchema),
  /** All commands, settings. */
  more: z.array(WelcomeActionSchema),
  /** Newest first. */
  runs: z.array(WelcomeRunSchema),
});
export type WelcomeState = z.infer<typeof WelcomeStateSchema>;

/** What the page persists with setState: nothing; everything it shows comes from the host. */
export const WelcomeViewStateSchema = z.object({});
export type WelcomeViewState = z.infer<typeof WelcomeViewStateSchema>;

/** Everything the host sends the welcome page. */
export const HostToWelcomeSchema = z.discriminatedUnion('type', [WelcomeStateSchema]);
export type HostToWelcome = z.infer<typeof HostToWelcomeSchema>;

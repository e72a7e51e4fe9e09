// Messages between the welcome panel's host (src/host/welcome) and its page (webview/welcome).
// Both sides validate what they receive with these schemas; nothing else names a message type.
import { z } from 'zod';

/** The webview panel's view type (also its serializer's key and its `onWebviewPanel:` activation event). */
export const WELCOME_VIEW_TYPE = 'bnpo.welcome';

/** Webview → host: the page has loaded and is listening; the host answers with `state`. */
export const WelcomeReady = z.object({ type: z.literal('ready') });

/** Webview → host: the user pressed an action's button; `id` must be one the last `state` offered. */
export const WelcomeRunAction = z.object({ type: z.literal('runAction'), id: z.string().min(1) });

export const WelcomeToHost = z.discriminatedUnion('type', [WelcomeReady, WelcomeRunAction]);
export type WelcomeToHost = z.infer<typeof WelcomeToHost>;

/** One thing the page offers to do, run by the host when its button is pressed. */
export const WelcomeAction = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
});
export type WelcomeAction = z.infer<typeof WelcomeAction>;

/** Host → webview: everything the page shows; sent after `ready` and again whenever it changes. */
export const WelcomeState = z.object({
  type: z.literal('state'),
  version: z.string(),
  runsFolder: z.string(),
  actions: z.array(WelcomeAction),
});
export type WelcomeState = z.infer<typeof WelcomeState>;

/** What the page persists with setState: nothing; everything it shows comes from the host. */
export const WelcomeViewState = z.object({});
export type WelcomeViewState = z.infer<typeof WelcomeViewState>;

export const HostToWelcome = z.discriminatedUnion('type', [WelcomeState]);
export type HostToWelcome = z.infer<typeof HostToWelcome>;

// What activate() registers for the studio, and nothing heavier: the log channel, one handler per command and the
// panels' serializers. The studio itself (schemas, run following, panels) loads right after activation returns,
// through a dynamic import that the bundler turns into lazy initialisation, so activation stays fast.
import * as vscode from 'vscode';
import { BETA_FIT_VIEW_TYPE, DASHBOARD_VIEW_TYPE, SAMPLES_VIEW_TYPE } from '../../protocol/viewTypes';
import { STUDIO_COMMANDS } from './commandIds';
import type { StudioFeatures } from './studioFeatures';

export function registerStudio(context: vscode.ExtensionContext): vscode.Disposable[] {
  const log = vscode.window.createOutputChannel('BNPO Trainer', { log: true });
  let features: StudioFeatures | undefined;
  let disposed = false;
  let loading: Promise<StudioFeatures> | undefined;
  const load = (): Promise<StudioFeatures> =>
    (loading ??= import('./studioFeatures.js').then((m): StudioFeatures => {
      if (disposed) throw new Error('the extension is shutting down');
      const started = m.startStudio(context, log);
      features = started;
      return started;
    }));
  const timer = setTimeout(() => {
    load().catch((err: unknown) =>
      log.error(`the studio did not start: ${(err as Error).stack ?? String(err)}`),
    );
  }, 0);

  const disposables: vscode.Disposable[] = [
    log,
    {
      dispose: () => {
        disposed = true;
        clearTimeout(timer);
        features?.dispose();
      },
    },
  ];
  for (const id of Object.values(STUDIO_COMMANDS)) {
    disposables.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => (await load()).run(id, args)),
    );
  }
  for (const viewType of [DASHBOARD_VIEW_TYPE, BETA_FIT_VIEW_TYPE, SAMPLES_VIEW_TYPE]) {
    disposables.push(
      vscode.window.registerWebviewPanelSerializer(viewType, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          (await load()).revive(viewType, panel, state);
        },
      }),
    );
  }
  return disposables;
}

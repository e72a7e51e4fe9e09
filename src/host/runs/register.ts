// What the features' activation (../lazyFeatures.ts) sets up for the runs feature: a loader and the panels'
// serializers. The feature itself (run following, panels) starts on the next tick, through a dynamic import that the
// bundler turns into lazy initialisation; a command or a panel restored after a reload waits for it.
import type * as vscode from 'vscode';
import {
  BETA_FIT_VIEW_TYPE,
  DASHBOARD_VIEW_TYPE,
  RUNS_TABLE_VIEW_TYPE,
  SAMPLES_VIEW_TYPE,
} from '../../protocol/viewTypes';
import type { Registrar } from '../lazy';
import type { Supervisor } from '../process/supervisor';
import type { RunsFeature } from './runsFeature';

export interface RunsRegistration {
  /** The feature, loaded once. */
  readonly load: () => Promise<RunsFeature>;
  readonly disposables: vscode.Disposable[];
}

export function registerRuns(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  supervisor: Supervisor,
  registrar: Pick<Registrar, 'registerWebviewPanelSerializer'>,
): RunsRegistration {
  let feature: RunsFeature | undefined;
  let disposed = false;
  let loading: Promise<RunsFeature> | undefined;
  const load = (): Promise<RunsFeature> =>
    (loading ??= import('./runsFeature.js').then((m): RunsFeature => {
      if (disposed) throw new Error('the extension is shutting down');
      feature = new m.RunsFeature(context, log, supervisor);
      return feature;
    }));
  const timer = setTimeout(() => {
    load().catch((err: unknown) =>
      log.error(
        `the runs feature did not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      ),
    );
  }, 0);

  const disposables: vscode.Disposable[] = [
    {
      dispose: () => {
        disposed = true;
        clearTimeout(timer);
        feature?.dispose();
      },
    },
  ];
  for (const viewType of [DASHBOARD_VIEW_TYPE, BETA_FIT_VIEW_TYPE, SAMPLES_VIEW_TYPE, RUNS_TABLE_VIEW_TYPE]) {
    disposables.push(
      registrar.registerWebviewPanelSerializer(viewType, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          (await load()).revive(viewType, panel, state);
        },
      }),
    );
  }
  return { load, disposables };
}

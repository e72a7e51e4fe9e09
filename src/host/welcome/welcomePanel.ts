// The start page: one instance at a time, restored after a reload by its serializer (no retainContextWhenHidden:
// the page asks for its state again with `ready`, so the recent runs are read afresh each time it is shown). Its
// buttons open the walkthrough and run the extension's own commands, the recent runs' with the run as argument.
import * as vscode from 'vscode';
import { WELCOME_VIEW_TYPE, WelcomeToHostSchema, WelcomeViewStateSchema } from '../../protocol/welcome';
import type { HostToWelcome, WelcomeToHost } from '../../protocol/welcome';
import { definePanel } from '../panels/definePanel';
import type { PanelEnv } from '../panels/definePanel';
import type { Registrar } from '../lazy';
import { readConfig } from '../editorConfig';
import type { WelcomeActionSpec, WelcomeManifest } from './actions';
import { manifestActions, recentRuns } from './actions';
import { readRecentRuns } from './recentRuns';

export const OPEN_WELCOME_COMMAND = 'bnpo.openWelcome';

interface WelcomeEnv extends PanelEnv {
  readonly extension: vscode.Extension<unknown>;
}

const WelcomePanel = definePanel({
  viewType: WELCOME_VIEW_TYPE,
  title: 'BNPO Welcome',
  bundle: 'welcome',
  protocol: { toHost: WelcomeToHostSchema, viewState: WelcomeViewStateSchema },
  column: () => vscode.window.activeTextEditor?.viewColumn,
  restore: () => undefined,
  create: ({ extension, log }: WelcomeEnv, context) => {
    let actions: WelcomeActionSpec[] = [];
    const sendState = (): void => {
      const offered = manifestActions(extension.packageJSON as WelcomeManifest, extension.id);
      const runs = recentRuns(readRecentRuns(readConfig().runsFolder));
      actions = [...offered.start, ...offered.more, ...runs.flatMap((run) => run.actions)];
      const title = ({ id, title: text }: WelcomeActionSpec): { id: string; title: string } => ({
        id,
        title: text,
      });
      const state: HostToWelcome = {
        type: 'state',
        version: offered.version,
        runsFolder: vscode.workspace.getConfiguration('bnpo').get<string>('runsFolder') ?? '',
        start: offered.start.map(title),
        more: offered.more.map(title),
        runs: runs.map((run) => ({ ...run, actions: run.actions.map(title) })),
      };
      context.post(state);
    };
    context.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('bnpo.runsFolder')) sendState();
      }),
    );
    return {
      sendAll: sendState,
      onMessage: (message: WelcomeToHost) => {
        if (message.type !== 'runAction') return;
        // Only actions this host offered run: the page is not trusted to name arbitrary commands.
        const action = actions.find((a) => a.id === message.id);
        if (!action)
          return log.warn(`[${WELCOME_VIEW_TYPE}] the page asked for an unknown action: ${message.id}`);
        void vscode.commands
          .executeCommand(action.command, ...action.args)
          .then(undefined, (err: unknown) => {
            void vscode.window.showErrorMessage(`${action.title} failed: ${String(err)}`);
          });
      },
    };
  },
});

/** The command and the serializer; everything lands in the returned disposables. */
export function registerWelcome(context: vscode.ExtensionContext, registrar: Registrar): vscode.Disposable[] {
  const env: WelcomeEnv = {
    extension: context.extension,
    extensionUri: context.extension.extensionUri,
    log: { warn: (message) => console.error(message) },
  };
  return [
    registrar.registerCommand(OPEN_WELCOME_COMMAND, () => WelcomePanel.show(env, undefined)),
    registrar.registerWebviewPanelSerializer(
      WELCOME_VIEW_TYPE,
      WelcomePanel.serializer(() => env),
    ),
  ];
}

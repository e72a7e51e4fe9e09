// The studio's start page: a webview panel with one instance at a time, restored after a reload by its
// serializer (no retainContextWhenHidden: the page asks for its state again with `ready`).
import * as vscode from 'vscode';
import { HostToWelcome, WELCOME_VIEW_TYPE, WelcomeToHost } from '../../protocol/welcome';
import type { ContributedCommand, WelcomeActionSpec } from './actions';
import { hiddenCommands, welcomeActions } from './actions';
import { Disposable } from '../disposable';
import { webviewHtml } from '../webviewHtml';

export const OPEN_WELCOME_COMMAND = 'bnpo.openWelcome';
const TITLE = 'BNPO Welcome';

interface Manifest {
  version?: string;
  contributes?: { commands?: ContributedCommand[]; menus?: unknown };
}

export class WelcomePanel extends Disposable {
  private static current: WelcomePanel | undefined;
  private actions: WelcomeActionSpec[] = [];

  static createOrShow(extension: vscode.Extension<unknown>): void {
    const column = vscode.window.activeTextEditor?.viewColumn;
    if (WelcomePanel.current) {
      WelcomePanel.current.panel.reveal(column);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      WELCOME_VIEW_TYPE,
      TITLE,
      column ?? vscode.ViewColumn.One,
      {
        enableScripts: true,
        localResourceRoots: localResourceRoots(extension.extensionUri),
      },
    );
    WelcomePanel.current = new WelcomePanel(panel, extension);
  }

  static revive(panel: vscode.WebviewPanel, extension: vscode.Extension<unknown>): void {
    WelcomePanel.current?.dispose();
    WelcomePanel.current = new WelcomePanel(panel, extension);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extension: vscode.Extension<unknown>,
  ) {
    super();
    // A revived panel keeps the options it was saved with; set them again so they always match this version.
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: localResourceRoots(extension.extensionUri),
    };
    panel.webview.html = this.html(panel.webview);
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)));
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('bnpo.runsFolder')) this.sendState();
      }),
    );
  }

  override dispose(): void {
    if (WelcomePanel.current === this) WelcomePanel.current = undefined;
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }

  private receive(raw: unknown): void {
    const parsed = WelcomeToHost.safeParse(raw);
    if (!parsed.success) {
      console.error(`[bnpo.welcome] ignored a malformed message from the page: ${parsed.error.message}`);
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'ready':
        this.sendState();
        break;
      case 'runAction': {
        // Only actions this host offered run: the page is not trusted to name arbitrary commands.
        const action = this.actions.find((a) => a.id === message.id);
        if (!action) {
          console.error(`[bnpo.welcome] the page asked for an unknown action: ${message.id}`);
          return;
        }
        void vscode.commands
          .executeCommand(action.command, ...action.args)
          .then(undefined, (err: unknown) => {
            void vscode.window.showErrorMessage(`${action.title} failed: ${String(err)}`);
          });
        break;
      }
    }
  }

  private sendState(): void {
    const manifest = this.extension.packageJSON as Manifest;
    this.actions = welcomeActions(
      manifest.contributes?.commands ?? [],
      hiddenCommands(manifest.contributes?.menus),
      OPEN_WELCOME_COMMAND,
      this.extension.id,
    );
    this.post({
      type: 'state',
      version: manifest.version ?? '',
      runsFolder: vscode.workspace.getConfiguration('bnpo').get<string>('runsFolder') ?? '',
      actions: this.actions.map(({ id, title }) => ({ id, title })),
    });
  }

  private post(message: HostToWelcome): void {
    void this.panel.webview.postMessage(HostToWelcome.parse(message));
  }

  private html(webview: vscode.Webview): string {
    return webviewHtml({
      webview,
      extensionUri: this.extension.extensionUri,
      bundle: 'welcome',
      title: TITLE,
    });
  }
}

function localResourceRoots(root: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(root, 'dist', 'webview'), vscode.Uri.joinPath(root, 'media')];
}

/** The command and the serializer; everything lands in the returned disposables. */
export function registerWelcome(context: vscode.ExtensionContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(OPEN_WELCOME_COMMAND, () => WelcomePanel.createOrShow(context.extension)),
    vscode.window.registerWebviewPanelSerializer(WELCOME_VIEW_TYPE, {
      deserializeWebviewPanel: (panel: vscode.WebviewPanel) => {
        WelcomePanel.revive(panel, context.extension);
        return Promise.resolve();
      },
    }),
  ];
}

// What the three run panels share: a nonce CSP over local resources only, the page's bundle and stylesheet,
// messages validated on arrival, a "ready" handshake (the page asks; the host then sends everything, also after the
// page was hidden and rebuilt), and one instance per view type, revived by a serializer after a reload.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { z } from 'zod';
import { Disposable } from '../disposable';
import type { RunsEvent } from '../runs/runsModel';
import type { Studio } from '../runs/studio';

export interface PanelKind {
  readonly viewType: string;
  readonly title: string;
  /** dist/webview/<bundle>.js and media/<bundle>.css */
  readonly bundle: string;
  readonly icon: string;
}

export abstract class StudioPanel<ToHost extends { type: string }> extends Disposable {
  private ready = false;

  protected constructor(
    protected readonly panel: vscode.WebviewPanel,
    protected readonly studio: Studio,
    private readonly kind: PanelKind,
    private readonly toHost: z.ZodType<ToHost>,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(studio.extensionUri, 'media', 'icons', kind.icon);
    // A revived panel keeps the options it was saved with; set them again so they always match this version.
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: localResourceRoots(studio.extensionUri),
    };
    panel.webview.html = this.html(panel.webview);
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
    this._register(studio.model.onDidChange((event) => this.ready && this.onRunsEvent(event)));
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  /** Sends everything the page shows (after `ready`, or when what it shows changed). */
  protected abstract sendAll(): void;
  /** Sends what changed on disk for the runs the page shows. */
  protected abstract onRunsEvent(event: RunsEvent): void;
  /** Messages other than `ready`. */
  protected abstract onMessage(message: ToHost): void;

  protected post(message: unknown): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  /** Re-sends everything when the page is listening; otherwise its `ready` will ask. */
  protected refreshPage(): void {
    if (this.ready) this.sendAll();
  }

  private receive(raw: unknown): void {
    const parsed = this.toHost.safeParse(raw);
    if (!parsed.success) {
      this.studio.log.warn(
        `[${this.kind.viewType}] ignored a malformed message from the page: ${parsed.error.message}`,
      );
      return;
    }
    if (parsed.data.type === 'ready') {
      this.ready = true;
      this.sendAll();
      return;
    }
    this.onMessage(parsed.data);
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const root = this.studio.extensionUri;
    const script = webview.asWebviewUri(
      vscode.Uri.joinPath(root, 'dist', 'webview', `${this.kind.bundle}.js`),
    );
    const style = webview.asWebviewUri(vscode.Uri.joinPath(root, 'media', `${this.kind.bundle}.css`));
    const csp = [
      "default-src 'none'",
      // The page adds uPlot's stylesheet as a <style> carrying this nonce.
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${style.toString()}" nonce="${nonce}">
  <title>${this.kind.title}</title>
</head>
<body>
  <main id="app" aria-busy="true"><p class="placeholder">Loading…</p></main>
  <script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }
}

export function localResourceRoots(root: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(root, 'dist', 'webview'), vscode.Uri.joinPath(root, 'media')];
}

export function panelOptions(root: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: localResourceRoots(root) };
}

// What the three run panels share: a nonce CSP over local resources only, the page's bundle and stylesheet,
// messages validated on arrival, a "ready" handshake (the page asks; the host then sends everything, also after the
// page was hidden and rebuilt), and one instance per view type, revived by a serializer after a reload.
import * as vscode from 'vscode';
import type { z } from 'zod';
import { Disposable } from '../disposable';
import { webviewHtml } from '../webviewHtml';
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
    return webviewHtml({
      webview,
      extensionUri: this.studio.extensionUri,
      bundle: this.kind.bundle,
      title: this.kind.title,
      placeholder: 'Loading…',
      dataImages: true,
    });
  }
}

export function localResourceRoots(root: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(root, 'dist', 'webview'), vscode.Uri.joinPath(root, 'media')];
}

export function panelOptions(root: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: localResourceRoots(root) };
}

// A panel's page (pageHtml.ts) with this webview's nonce, CSP source and resource URIs.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { pageHtml } from './pageHtml';

export interface WebviewPage {
  readonly webview: vscode.Webview;
  readonly extensionUri: vscode.Uri;
  /** dist/webview/<bundle>.js and media/<bundle>.css */
  readonly bundle: string;
  readonly title: string;
  /** Text shown until the page's script draws (HTML-escaped). */
  readonly placeholder?: string;
  /** The page draws images as data: URLs (e.g. chart legends). */
  readonly dataImages?: boolean;
}

export function webviewHtml(page: WebviewPage): string {
  const { webview, extensionUri } = page;
  const uri = (...parts: string[]): string =>
    webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString();
  return pageHtml({
    nonce: randomBytes(16).toString('base64'),
    cspSource: webview.cspSource,
    scriptUri: uri('dist', 'webview', `${page.bundle}.js`),
    styleUri: uri('media', `${page.bundle}.css`),
    title: page.title,
    placeholder: page.placeholder,
    dataImages: page.dataImages,
  });
}

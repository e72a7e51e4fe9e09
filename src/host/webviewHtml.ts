// The one page shell every webview panel gets: a CSP that allows nothing by default, scripts only with this page's
// nonce, styles and fonts only from the extension's own files, and local resources only.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

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

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function webviewHtml(page: WebviewPage): string {
  const { webview, extensionUri } = page;
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(
    vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${page.bundle}.js`),
  );
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', `${page.bundle}.css`));
  const csp = [
    "default-src 'none'",
    // Pages may add a <style> (e.g. uPlot's stylesheet) carrying this nonce.
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource}${page.dataImages === true ? ' data:' : ''}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const placeholder =
    page.placeholder === undefined ? '' : `<p class="placeholder">${escapeHtml(page.placeholder)}</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${style.toString()}" nonce="${nonce}">
  <title>${escapeHtml(page.title)}</title>
</head>
<body>
  <main id="app" aria-busy="true">${placeholder}</main>
  <script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}

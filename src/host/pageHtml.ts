// The one page shell every webview panel gets, without VS Code (webviewHtml.ts gives it the webview's URIs, and a
// real browser tests it): a CSP that allows nothing by default, scripts only with this page's nonce, styles and
// fonts only from the extension's own files, and local resources only.
//
// A webview frame rebuilt by a move to another editor group can fail its first loads of the page's script and
// stylesheet (seen within milliseconds of the new frame, while the next try works). The first script, inline with
// the nonce, loads each failed one again, a few times, before the panel's ready-watch has to reload the page.

export interface PageShell {
  readonly nonce: string;
  /** the webview's cspSource: where styles, fonts and images may come from */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  readonly title: string;
  /** Text shown until the page's script draws (HTML-escaped). */
  readonly placeholder?: string;
  /** The page draws images as data: URLs (e.g. chart legends). */
  readonly dataImages?: boolean;
}

/** Tries per resource after the first, and the wait before each (times the try's number). */
export const RESOURCE_RETRIES = 5;
export const RESOURCE_RETRY_MS = 150;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Loads a failed page script or stylesheet again (a new element: a script element runs once). */
const RETRY_LOADER = `(() => {
  addEventListener('error', (e) => {
    const failed = e.target;
    const isScript = failed instanceof HTMLScriptElement;
    if (!isScript && !(failed instanceof HTMLLinkElement)) return;
    const tries = Number(failed.dataset.tries || '0') + 1;
    if (tries > ${RESOURCE_RETRIES}) return;
    setTimeout(() => {
      const again = document.createElement(isScript ? 'script' : 'link');
      again.nonce = failed.nonce;
      again.dataset.tries = String(tries);
      if (isScript) again.src = failed.src;
      else { again.rel = 'stylesheet'; again.href = failed.href; }
      failed.replaceWith(again);
    }, ${RESOURCE_RETRY_MS} * tries);
  }, true);
})();`;

export function pageHtml(shell: PageShell): string {
  const { nonce, cspSource } = shell;
  const csp = [
    "default-src 'none'",
    // Pages may add a <style> (e.g. uPlot's stylesheet) carrying this nonce.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}${shell.dataImages === true ? ' data:' : ''}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const placeholder =
    shell.placeholder === undefined ? '' : `<p class="placeholder">${escapeHtml(shell.placeholder)}</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <script nonce="${nonce}">${RETRY_LOADER}</script>
  <link rel="stylesheet" href="${escapeHtml(shell.styleUri)}" nonce="${nonce}">
  <title>${escapeHtml(shell.title)}</title>
</head>
<body>
  <main id="app" aria-busy="true">${placeholder}</main>
  <script nonce="${nonce}" src="${escapeHtml(shell.scriptUri)}"></script>
</body>
</html>`;
}

// Elements built from text, never from markup: what every page (the welcome page too) puts into its document;
// and the stylesheet retry every page runs first.
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attributes: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/**
 * A frame VS Code rebuilt (panel moved to another group) can fail to load the page's stylesheet while its script
 * runs: the page would draw unstyled. Scripts run after the stylesheets before them settled, so a link without a
 * sheet here failed: load it once more. (A script that fails to load sends no "ready"; the host reloads the page.)
 */
export function reloadFailedStylesheets(): void {
  for (const link of document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]')) {
    if (link.sheet !== null || link.dataset.retried === 'true') continue;
    const again = link.cloneNode() as HTMLLinkElement;
    again.nonce = link.nonce;
    again.dataset.retried = 'true';
    link.replaceWith(again);
  }
}

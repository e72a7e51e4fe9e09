// Keyboard and screen-reader helpers every page uses, after the workbench's own conventions: a page that redraws
// keeps the keyboard focus where it was, a chart is a Tab stop with a label and a table of its numbers, and
// every focusable element shows --vscode-focusBorder (media/focus.css).
//
// Using them on a page (the dashboard too):
//   - give each control that survives a redraw a stable `data-focus-key` (keyed(element, 'step-slider')) and wrap
//     the redraw: keepFocus(() => render());
//   - put each chart's container through accessibleChart(container, { label, table: () => dataTable(...) }) and
//     append the element it returns where the chart goes; a chart whose crosshair the keys move (the dashboard's)
//     says `keys: true` and tells what it shows through announce(text);
//   - @import url('./focus.css') in the page's stylesheet.
import { element } from './dom';

const FOCUS_KEY = 'focusKey';

/** Marks an element as "the same control" across redraws. */
export function keyed<T extends HTMLElement>(node: T, key: string): T {
  node.dataset[FOCUS_KEY] = key;
  return node;
}

/**
 * Runs a redraw that replaces the page's elements, then gives the keyboard focus back to the control with the
 * same focus key (a slider moved with the arrow keys stays under the keys).
 */
export function keepFocus(redraw: () => void): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement ? active.dataset[FOCUS_KEY] : undefined;
  // A text field being typed in keeps its caret too.
  const caret =
    active instanceof HTMLInputElement && active.type !== 'range'
      ? [active.selectionStart, active.selectionEnd]
      : undefined;
  redraw();
  if (key === undefined) return;
  const again = document.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`);
  if (!again || again === document.activeElement) return;
  again.focus({ preventScroll: true });
  if (caret && again instanceof HTMLInputElement) again.setSelectionRange(caret[0] ?? null, caret[1] ?? null);
}

/** A table of numbers built from text: the alternative to a chart, or a page's own table. */
export function dataTable(
  caption: string,
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): HTMLTableElement {
  const table = element('table', undefined, { class: 'numbers data-table' });
  table.append(element('caption', caption));
  const head = element('tr');
  for (const h of headers) head.append(element('th', h, { scope: 'col' }));
  table.append(element('thead'), element('tbody'));
  table.tHead!.append(head);
  for (const cells of rows) {
    const row = element('tr');
    cells.forEach((text, i) =>
      row.append(i === 0 ? element('th', text, { scope: 'row' }) : element('td', text)),
    );
    table.tBodies[0]!.append(row);
  }
  return table;
}

export interface ChartAccess {
  /** Stable across redraws ("rule:correct"): keeps the keyboard focus and an open table where they were. */
  readonly key: string;
  /** What the chart shows, read by screen readers when it has the focus ("α and β of correct over 40 steps"). */
  readonly label: string;
  /** Its numbers as a table; built when the user opens it. */
  readonly table: () => HTMLTableElement;
  /**
   * The chart handles arrow keys itself (a crosshair): a screen reader's browse mode must pass them to it
   * (role application, described as a chart) rather than read the page with them.
   */
  readonly keys?: boolean;
}

/** The charts whose data table is open, by key: a redraw (a live step arriving) keeps them open. */
const openTables = new Set<string>();

/**
 * Makes a chart's container a Tab stop (role img, labelled) and puts a "Data table" disclosure after it that
 * shows the chart's numbers. Returns the wrapper to place where the chart goes.
 */
export function accessibleChart(container: HTMLElement, access: ChartAccess): HTMLElement {
  keyed(container, `chart:${access.key}`);
  container.tabIndex = 0;
  container.setAttribute('role', access.keys ? 'application' : 'img');
  if (access.keys) container.setAttribute('aria-roledescription', 'chart');
  container.setAttribute('aria-label', access.label);
  container.classList.add('chart-focus');
  const details = element('details', undefined, { class: 'chart-table' });
  const summary = keyed(element('summary', 'Data table'), `table:${access.key}`);
  details.append(summary);
  details.addEventListener('toggle', () => {
    if (details.open) openTables.add(access.key);
    else openTables.delete(access.key);
    if (details.open && details.querySelector('table') === null) details.append(access.table());
  });
  if (openTables.has(access.key)) details.open = true;
  // Enter on the focused chart opens its table, as a disclosure would.
  container.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    details.open = !details.open;
    event.preventDefault();
  });
  const wrapper = element('div', undefined, { class: 'chart-access' });
  wrapper.append(container, details);
  return wrapper;
}

let announcer: HTMLElement | undefined;

/**
 * Says `text` to a screen reader through the page's one polite live region (made on first use, outside the
 * redrawn part of the page so a redraw does not cut it off). The UI tests read it as [data-testid="announcer"].
 */
export function announce(text: string): void {
  if (!announcer || !announcer.isConnected) {
    announcer = element('div', undefined, {
      class: 'visually-hidden',
      role: 'status',
      'aria-live': 'polite',
      'aria-atomic': 'true',
      'data-testid': 'announcer',
    });
    document.body.append(announcer);
  }
  announcer.textContent = text;
}

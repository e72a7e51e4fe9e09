// What the run panels' pages share: the VS Code API handle, elements built from text (never from markup), the
// theme's colours read from --vscode-* variables, and uPlot's stylesheet added under the page's CSP nonce.
import uplotCss from 'uplot/dist/uPlot.min.css';

export interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

export function vscodeApi<State>(): VsCodeApi<State> {
  return acquireVsCodeApi<State>();
}

/** What every page starts with: the API handle, its root element, a typed send, and the view state it saved. */
export interface Page<State, ToHost> {
  readonly vscode: VsCodeApi<State>;
  readonly app: HTMLElement;
  readonly send: (message: ToHost) => void;
  /** The state the page persisted before a reload, when it still passes the page's schema. */
  readonly saved: State | undefined;
}

/** Opens a page; `charts` adds uPlot's stylesheet. The saved state is validated, never trusted. */
export function openPage<State, ToHost>(
  stateSchema: { safeParse(value: unknown): { success: true; data: State } | { success: false } },
  options: { charts: boolean },
): Page<State, ToHost> {
  const vscode = vscodeApi<State>();
  const app = document.getElementById('app')!;
  reloadFailedStylesheets();
  if (options.charts) addChartStyles();
  const saved = stateSchema.safeParse(vscode.getState() ?? {});
  return {
    vscode,
    app,
    send: (message) => vscode.postMessage(message),
    saved: saved.success ? saved.data : undefined,
  };
}

import { element, reloadFailedStylesheets } from './dom';

export { element };

/** Adds uPlot's stylesheet once; CSP allows it through the nonce the host gave this page's script. */
export function addChartStyles(): void {
  if (document.getElementById('uplot-css')) return;
  const style = document.createElement('style');
  style.id = 'uplot-css';
  style.nonce = document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce ?? '';
  style.textContent = uplotCss;
  document.head.prepend(style);
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

export interface ThemeColours {
  readonly foreground: string;
  readonly muted: string;
  readonly grid: string;
  readonly background: string;
  readonly series: readonly string[];
  readonly highContrast: boolean;
}

/** The chart colours of the current theme; read again when the theme changes (see onThemeChange). */
export function themeColours(): ThemeColours {
  const highContrast =
    document.body.classList.contains('vscode-high-contrast') ||
    document.body.classList.contains('vscode-high-contrast-light');
  return {
    foreground: cssVar('--vscode-foreground', '#cccccc'),
    muted: cssVar('--vscode-descriptionForeground', '#999999'),
    grid: highContrast
      ? cssVar('--vscode-contrastBorder', '#6fc3df')
      : cssVar('--vscode-editorWidget-border', cssVar('--vscode-panel-border', '#80808059')),
    background: cssVar('--vscode-editor-background', '#1e1e1e'),
    series: [
      cssVar('--vscode-charts-blue', '#3794ff'),
      cssVar('--vscode-charts-orange', '#d18616'),
      cssVar('--vscode-charts-green', '#89d185'),
      cssVar('--vscode-charts-purple', '#b180d7'),
      cssVar('--vscode-charts-red', '#f14c4c'),
      cssVar('--vscode-charts-yellow', '#cca700'),
    ],
    highContrast,
  };
}

/** Calls `redraw` when VS Code switches theme (it changes the body's classes and variables). */
export function onThemeChange(redraw: () => void): void {
  let last = document.body.className;
  new MutationObserver(() => {
    if (document.body.className === last) return;
    last = document.body.className;
    redraw();
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}

export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (value !== 0 && (Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3)) return value.toExponential(2);
  return String(Number(value.toPrecision(digits)));
}

export function showError(app: HTMLElement, text: string): void {
  app.replaceChildren(element('p', text, { class: 'error', role: 'alert' }));
}

// The dashboard page: one chart per metric (chart.ts), every shown run overlaid, or in a grouped Compare one mean
// line and ±std band per group. Each series is drawn twice: the raw values faint, their EMA on top. Appended rows
// extend the existing arrays (the EMA continues from its state) and the charts take them with setData; a chart is
// rebuilt only when what it shows changes shape (runs, its log scale, x axis, theme). The first paint draws the
// charts in view; the rest are drawn as they scroll into view.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { DashboardViewStateSchema, HostToDashboardSchema } from '../../src/protocol/dashboard';
import type {
  CompareGroup,
  DashboardRun,
  DashboardToHost,
  DashboardViewState,
} from '../../src/protocol/dashboard';
import { keepFocus } from '../shared/a11y';
import { openPage, element, onThemeChange, showError, themeColours } from '../shared/page';
import type { ThemeColours } from '../shared/page';
import { DashboardChart, lineSwatch } from './chart';
import type { SeriesStyle } from './chart';
import {
  chartsFor,
  DEFAULT_VIEW_STATE,
  appendColumns,
  chartCsv,
  chartData,
  chartLines,
  countPoints,
  formatWall,
  groupChartData,
  logScaleNotice,
  lowerBound,
  shortLabels,
  toRunData,
  xColumn,
} from './model';
import type { AlignedColumns, ChartDef, RunData } from './model';
import { renderAudit } from './audit';
import { auditCharts } from './auditModel';

const { vscode, app, send, saved } = openPage<DashboardViewState, DashboardToHost>(DashboardViewStateSchema, {
  charts: true,
});

let view: DashboardViewState = saved ?? { ...DEFAULT_VIEW_STATE };
let runs: RunData[] = [];
let groups: CompareGroup[] | undefined;
let labels = new Map<string, string>();
let colours: ThemeColours = themeColours();
let search = '';

const DASHES: (number[] | undefined)[] = [undefined, [6, 3], [2, 3], [8, 3, 2, 3], [12, 4]];
const PLOT_HEIGHT = 210;

interface Card {
  def: ChartDef;
  chart: DashboardChart;
  /** Labels of the chart's lines, for the metric search and the CSV header. */
  names: string[];
  /** Non-null points of its table (the page's counter for the benchmark). */
  points: number;
  /** Not drawn when the smoothing changed: its table is made again when it is drawn. */
  stale?: boolean;
}
let cards: Card[] = [];
/** The one x window every chart shows (null: each chart's whole range). */
let zoom: [number, number] | null = null;

// ---- what each chart draws ----------------------------------------------------------------------------------

const has = (list: readonly string[] | undefined, id: string): boolean => list?.includes(id) ?? false;

/** A chart's table and legend styles: colour = run (or group) whenever several are shown, the dash = the line. */
function chartContent(def: ChartDef): { full: AlignedColumns; styles: SeriesStyle[]; raw: AlignedColumns } {
  const log = has(view.logCharts, def.id);
  const chartView = { smoothing: view.smoothing, logScale: log, xAxis: view.xAxis };
  const palette = colours.series;
  if (groups && groups.length > 0) {
    const { lines, table } = groupChartData(def, runs, groups, chartView);
    const keys = [...new Set(lines.map((l) => l.line.key))];
    const styles = lines.map((l) => ({
      label: keys.length > 1 ? `${l.group.label} · ${l.line.label}` : l.group.label,
      title: `${l.group.label}: mean ± std of ${l.runs} run${l.runs === 1 ? '' : 's'} (${l.group.runIds.join(', ')})`,
      colour: palette[l.groupIndex % palette.length]!,
      dash: DASHES[keys.indexOf(l.line.key) % DASHES.length],
      points: false,
      faintRaw: false,
    }));
    const raw = log ? groupChartData(def, runs, groups, { ...chartView, logScale: false }).table : table;
    return { full: table, styles, raw };
  }
  const lines = chartLines(def, runs);
  const several = runs.length > 1;
  const keys = [...new Set(lines.map((l) => l.line.key))];
  const styles = lines.map(({ run, line }) => {
    const k = keys.indexOf(line.key);
    const r = runs.indexOf(run);
    const label = labels.get(run.id) ?? run.label;
    return {
      label: several ? (keys.length > 1 ? `${label} · ${line.label}` : label) : line.label,
      title: several ? `${run.label} · ${line.label}` : line.label,
      colour: palette[(several ? r : k) % palette.length]!,
      dash: several ? DASHES[k % DASHES.length] : undefined,
      points: line.points === true,
      faintRaw: view.smoothing > 0 && line.source !== 'heldOut',
    };
  });
  const full = chartData(lines, chartView);
  return { full, styles, raw: log ? chartData(lines, { ...chartView, logScale: false }) : full };
}

/** The legend's first line: the step, the training time and the clock time of the first run's row at x. */
function describeX(x: number): string {
  const run = runs[0];
  if (!run || run.metrics.step.length === 0) return String(x);
  const xs = xColumn(run, 'metrics', view.xAxis);
  const i = Math.min(xs.length - 1, lowerBound(xs, x));
  const step = view.xAxis === 'step' ? x : run.metrics.step[i]!;
  const parts = [`step ${step}`, formatWall(run.metrics.wall[i] ?? 0)];
  const time = run.metrics.time?.[i];
  if (time !== undefined) parts.push(new Date(time * 1000).toLocaleString('en-GB'));
  return parts.join(' · ');
}

/** An empty chart says why (another tool's log lacks the metric, a run has not logged its first step). */
function noValuesNotice(): string {
  const yet = runs.some((r) => r.status === 'running') ? ' yet' : '';
  return `${runs.length > 1 ? 'None of these runs has' : 'This run has'} no values for this chart${yet}.`;
}

function refreshChart(card: Card, rebuild: boolean): void {
  const { full, styles, raw } = chartContent(card.def);
  const log = has(view.logCharts, card.def.id);
  const { chart } = card;
  chart.spec = {
    ...chart.spec,
    full,
    styles,
    log,
    xAxis: view.xAxis,
    colours,
    highContrast: colours.highContrast,
  };
  card.names = styles.map((s) => s.label);
  const counted = countPoints(full);
  card.points = counted.points;
  chart.card.dataset.rows = String(counted.rows);
  chart.card.dataset.log = String(log);
  if (counted.points === 0) chart.setNotice(noValuesNotice(), true);
  else chart.setNotice(log ? logScaleNotice(raw) : null);
  chart.zoom = zoom;
  if (!chart.plot) return;
  if (rebuild) chart.draw(chart.plot.width, chart.plot.height);
  else {
    chart.apply();
    chart.renderLegend();
  }
}

// ---- chart cards ----------------------------------------------------------------------------------------------

function persist(): void {
  view = { ...view, runIds: runs.map((r) => r.id), ...(groups ? { groups } : {}) };
  if (!groups) delete view.groups;
  vscode.setState(view);
}

function toggle(list: 'logCharts' | 'hidden' | 'wide', id: string): void {
  const current = view[list] ?? [];
  view[list] = current.includes(id) ? current.filter((c) => c !== id) : [...current, id];
  persist();
}

function cardButton(text: string, label: string, testid: string, onClick: () => void): HTMLButtonElement {
  const b = element('button', text, {
    class: 'card-button',
    title: label,
    'aria-label': label,
    'data-testid': testid,
  });
  b.addEventListener('click', onClick);
  return b;
}

function saveCsv(card: Card): void {
  const xName =
    view.xAxis === 'step' ? 'step' : view.xAxis === 'wall' ? 'training time (s)' : 'time (s since epoch)';
  const from = zoom?.[0];
  const to = zoom?.[1];
  const csv = chartCsv(xName, card.names, card.chart.spec.full, from, to);
  const name = `${card.def.id}${zoom ? `-${Math.round(zoom[0])}-${Math.round(zoom[1])}` : ''}.csv`;
  send({ type: 'saveChartCsv', name, csv });
}

function cardHeader(card: Card): HTMLElement {
  const { def } = card;
  const head = element('div', undefined, { class: 'card-head' });
  const log = cardButton('log', 'Logarithmic y axis', 'chart-log', () => {
    const started = performance.now();
    toggle('logCharts', def.id);
    refreshChart(card, true);
    reportDrawTime(started);
    log.setAttribute('aria-pressed', String(has(view.logCharts, def.id)));
  });
  log.setAttribute('aria-pressed', String(has(view.logCharts, def.id)));
  const move = (by: number) => () => moveChart(def.id, by);
  head.append(
    element('h2', def.title),
    log,
    cardButton('CSV', 'Save this chart as CSV (the zoomed window when zoomed)', 'chart-csv', () =>
      saveCsv(card),
    ),
    cardButton('↑', 'Move earlier', 'chart-up', move(-1)),
    cardButton('↓', 'Move later', 'chart-down', move(1)),
    cardButton('⇔', 'Full width', 'chart-wide', () => {
      toggle('wide', def.id);
      card.chart.card.classList.toggle('wide', has(view.wide, def.id));
    }),
    cardButton('⤢', 'Full screen (Escape to leave)', 'chart-fullscreen', () => fullScreen(card)),
    cardButton('✕', 'Hide this chart', 'chart-hide', () => {
      toggle('hidden', def.id);
      layoutCards();
    }),
  );
  return head;
}

function fullScreen(card: Card): void {
  const el = card.chart.card;
  const on = !el.classList.contains('fullscreen');
  for (const c of cards) c.chart.card.classList.remove('fullscreen');
  el.classList.toggle('fullscreen', on);
  document.body.classList.toggle('has-fullscreen', on);
  sizeChart(card);
}

/** Our charts, one per metric another tool logged, and the Audit section's charts when the runs have an audit. */
function chartDefs(): ChartDef[] {
  return [...chartsFor(runs), ...auditCharts(runs)];
}

function orderedDefs(): ChartDef[] {
  const order = view.order ?? [];
  const defs = chartDefs();
  const rank = (def: ChartDef): number => {
    const i = order.indexOf(def.id);
    return i < 0 ? order.length + defs.findIndex((d) => d.id === def.id) : i;
  };
  return defs.sort((a, b) => rank(a) - rank(b));
}

function moveChart(id: string, by: number): void {
  const ids = orderedDefs().map((d) => d.id);
  const i = ids.indexOf(id);
  const j = Math.max(0, Math.min(ids.length - 1, i + by));
  ids.splice(i, 1);
  ids.splice(j, 0, id);
  view.order = ids;
  persist();
  layoutCards();
}

function matches(card: Card): boolean {
  if (search === '') return true;
  const needle = search.toLowerCase();
  return [card.def.title, ...card.names].some((t) => t.toLowerCase().includes(needle));
}

/** Puts the cards in the user's order, hides hidden and unmatched ones, lists the hidden ones to show again. */
function layoutCards(): void {
  if (!grid) return;
  const byId = new Map(cards.map((c) => [c.def.id, c]));
  const shown: HTMLElement[] = [];
  for (const def of orderedDefs()) {
    const card = byId.get(def.id);
    if (!card) continue;
    card.chart.card.hidden = has(view.hidden, def.id) || !matches(card);
    card.chart.card.classList.toggle('wide', has(view.wide, def.id));
    shown.push(card.chart.card);
  }
  grid.replaceChildren(...shown);
  renderAudit(grid, runs);
  renderHiddenList();
  for (const card of cards) if (!card.chart.card.hidden) observer.observe(card.chart.card);
}

function renderHiddenList(): void {
  if (!hiddenList) return;
  const hidden = cards.filter((c) => has(view.hidden, c.def.id));
  hiddenList.replaceChildren();
  hiddenList.hidden = hidden.length === 0;
  if (hidden.length === 0) return;
  hiddenList.append(element('span', 'Hidden:', { class: 'muted' }));
  for (const card of hidden) {
    hiddenList.append(
      cardButton(`${card.def.title} ＋`, `Show ${card.def.title} again`, 'chart-unhide', () => {
        toggle('hidden', card.def.id);
        layoutCards();
      }),
    );
  }
}

function sizeChart(card: Card): void {
  const { chart } = card;
  if (!chart.plot) return;
  const full = chart.card.classList.contains('fullscreen');
  const width = Math.max(280, chart.body.clientWidth);
  const height = full
    ? Math.max(PLOT_HEIGHT, window.innerHeight - 160)
    : Math.max(120, chart.body.clientHeight);
  if (Math.abs(chart.plot.width - width) > 4 || Math.abs(chart.plot.height - height) > 4) {
    chart.plot.setSize({ width, height });
    chart.apply();
  }
}

/** Draws a chart the first time it comes into view (the first paint draws only the charts in view). */
const observer = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    const card = cards.find((c) => c.chart.card === entry.target);
    observer.unobserve(entry.target);
    if (card && !card.chart.plot) drawCard(card);
  }
});

function drawCard(card: Card, width = card.chart.body.clientWidth): void {
  const started = performance.now();
  if (card.stale) refreshChart(card, false);
  card.stale = false;
  card.chart.zoom = zoom;
  card.chart.draw(Math.max(280, width), PLOT_HEIGHT);
  resizer.observe(card.chart.body);
  app.dataset.lazyDrawMs = (performance.now() - started).toFixed(1);
  updateCounts();
}

const resizer = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const card = cards.find((c) => c.chart.body === entry.target);
    if (card) sizeChart(card);
  }
});

function updateCounts(): void {
  let points = 0;
  let drawn = 0;
  for (const card of cards) {
    points += card.points;
    if (card.chart.plot) drawn++;
  }
  app.dataset.points = String(points);
  app.dataset.chartsDrawn = String(drawn);
}

/** Every chart's zoom: one exact x window for all (a drag on any chart), or null (a double-click: all of it). */
function setZoom(range: [number, number] | null): void {
  zoom = range;
  app.dataset.zoom = range ? `${range[0]},${range[1]}` : '';
  for (const card of cards) {
    card.chart.zoom = range;
    card.chart.apply();
  }
}

/** The keyboard's crosshair: one x on every chart, so each legend names the same step (see chart.ts). */
function cursorTo(x: number | null): void {
  for (const card of cards) card.chart.showX(x);
}

function pointerMoved(): void {
  for (const card of cards) card.chart.releaseCursor();
}

// ---- page ---------------------------------------------------------------------------------------------------

let grid: HTMLElement | undefined;
let header: HTMLElement | undefined;
let hiddenList: HTMLElement | undefined;

function renderHeader(): void {
  if (!header) return;
  const title = element('h1', groups ? 'Compare groups' : runs.length > 1 ? 'Compare runs' : 'Dashboard');
  const list = element('ul', undefined, { class: 'runs' });
  const entries = groups
    ? groups.map((g) => ({ id: g.label, label: g.label, title: g.runIds.join(', '), run: undefined }))
    : runs.map((run) => ({ id: run.id, label: labels.get(run.id) ?? run.label, title: run.label, run }));
  entries.forEach((entry, i) => {
    const item = element('li', undefined, { 'data-run': entry.id, title: entry.title });
    const colour = colours.series[i % colours.series.length]!;
    item.append(lineSwatch({ colour, dash: undefined }, groups !== undefined));
    item.append(element('span', entry.label, { class: 'label' }));
    if (entry.run) {
      const { run } = entry;
      const last = run.metrics.step.length > 0 ? run.metrics.step[run.metrics.step.length - 1]! : 0;
      item.append(
        element('span', run.status, { class: `status status-${run.status}`, 'data-testid': 'run-status' }),
        element('span', `step ${last}`, { class: 'step', 'data-testid': 'run-step' }),
        ...(run.model ? [element('span', run.model, { class: 'model', 'data-testid': 'run-model' })] : []),
      );
    } else {
      const n = groups?.[i]?.runIds.length ?? 0;
      item.append(element('span', `${n} run${n === 1 ? '' : 's'}`, { class: 'step' }));
    }
    list.append(item);
  });
  header.replaceChildren(title, list);
}

/** `started`: when the data arrived (the first draw's figure counts its decoding and validation too). */
function rebuildCharts(started = performance.now()): void {
  const begun = performance.now();
  colours = themeColours();
  for (const card of cards) card.chart.destroy();
  observer.disconnect();
  resizer.disconnect();
  cards = [];
  zoom = null;
  if (!grid) return;
  grid.replaceChildren();
  if (runs.length === 0) {
    grid.append(
      element('p', 'No run is selected. Run “BNPO: Open Dashboard” or “BNPO: Compare Runs”.', {
        class: 'placeholder',
      }),
    );
    return;
  }
  for (const def of chartDefs()) {
    const el = element('section', undefined, {
      class: 'chart',
      'data-chart': def.id,
      'aria-label': def.title,
    });
    const card: Card = {
      def,
      names: [],
      points: 0,
      chart: new DashboardChart(
        {
          def,
          grouped: groups !== undefined && groups.length > 0,
          styles: [],
          full: [[]],
          log: false,
          xAxis: view.xAxis,
          highContrast: colours.highContrast,
          colours,
        },
        el,
        { zoomed: setZoom, describeX, cursorTo, pointerMoved },
      ),
    };
    el.prepend(cardHeader(card));
    refreshChart(card, false);
    cards.push(card);
  }
  app.dataset.prepareMs = (performance.now() - begun).toFixed(1);
  layoutCards();
  // The charts in view now, before the first paint; the others when they scroll into view (the observer).
  // Positions and widths are read once, before any chart is drawn: reading them between draws lays out each time.
  const height = window.innerHeight;
  const placed = cards.map((card) => ({
    card,
    top: card.chart.card.hidden ? Infinity : card.chart.card.getBoundingClientRect().top,
    width: card.chart.body.clientWidth,
  }));
  const drawing = performance.now();
  for (const { card, top, width } of placed) if (top < height) drawCard(card, width);
  // Decimation and uPlot for the charts in view, for the benchmark's breakdown of the first draw.
  app.dataset.chartsMs = (performance.now() - drawing).toFixed(1);
  reportDrawTime(started);
}

/** The time from data to painted frame, kept on the page for the benchmark. */
function reportDrawTime(started: number): void {
  updateCounts();
  requestAnimationFrame(() => {
    app.dataset.drawMs = (performance.now() - started).toFixed(1);
  });
}

let pendingFrame = 0;
let pendingRebuild = false;
let pendingAll = false;
/**
 * Redraws on the next frame. `all`: every chart takes the new rows (appended rows: every chart's row count is
 * shown); otherwise (smoothing) only the drawn charts, the others when they are drawn (stale).
 */
function scheduleUpdate(rebuild: boolean, all: boolean): void {
  pendingRebuild ||= rebuild;
  pendingAll ||= all;
  if (pendingFrame !== 0) return;
  const started = performance.now();
  pendingFrame = requestAnimationFrame(() => {
    pendingFrame = 0;
    for (const card of cards) {
      if (pendingAll || card.chart.plot) refreshChart(card, pendingRebuild);
      else card.stale = true;
    }
    pendingRebuild = pendingAll = false;
    updateCounts();
    renderHeader();
    // The audit's first record came after the charts were built: build them again with its charts.
    if (grid && renderAudit(grid, runs)) rebuildCharts();
    reportDrawTime(started);
  });
}

function toolbar(): HTMLElement {
  const bar = element('div', undefined, { class: 'toolbar', role: 'toolbar' });

  const smoothLabel = element('label', undefined, { class: 'smoothing' });
  const smoothValue = element('span', view.smoothing.toFixed(2), {
    class: 'value',
    'data-testid': 'smoothing-value',
  });
  const range = element('input', undefined, {
    type: 'range',
    min: '0',
    max: '0.99',
    step: '0.01',
    value: String(view.smoothing),
    'aria-label': 'EMA smoothing',
    'data-testid': 'smoothing',
  });
  range.addEventListener('input', () => {
    const before = view.smoothing;
    view.smoothing = Number(range.value);
    smoothValue.textContent = view.smoothing.toFixed(2);
    for (const run of runs) run.smooth.clear();
    // The faint raw lines come and go with smoothing 0: only then do the series change.
    scheduleUpdate((before === 0) !== (view.smoothing === 0), false);
    persist();
  });
  smoothLabel.append(element('span', 'Smoothing'), range, smoothValue);

  const find = element('input', undefined, {
    type: 'search',
    placeholder: 'Search metrics',
    'aria-label': 'Search metrics',
    'data-testid': 'metric-search',
    class: 'search',
  });
  find.addEventListener('input', () => {
    search = find.value.trim();
    layoutCards();
  });

  const xLabel = element('label', 'X axis', { class: 'x-axis' });
  const x = document.createElement('vscode-single-select');
  x.dataset.testid = 'x-axis';
  for (const [value, text] of [
    ['step', 'Step'],
    ['wall', 'Relative time'],
    ['time', 'Absolute time'],
  ] as const) {
    const option = document.createElement('vscode-option');
    option.value = value;
    option.textContent = text;
    option.selected = view.xAxis === value;
    x.append(option);
  }
  x.addEventListener('change', () => {
    view.xAxis = x.value === 'wall' || x.value === 'time' ? x.value : 'step';
    rebuildCharts();
    persist();
  });
  xLabel.append(x);

  const compare = document.createElement('vscode-button');
  compare.textContent = 'Compare Runs…';
  compare.secondary = true;
  compare.dataset.testid = 'compare';
  compare.addEventListener('click', () => send({ type: 'compare' }));

  const csv = document.createElement('vscode-button');
  csv.textContent = 'Export CSV';
  csv.secondary = true;
  csv.dataset.testid = 'export-csv';
  csv.addEventListener('click', () => send({ type: 'exportCsv' }));

  bar.append(smoothLabel, find, xLabel, compare, csv);
  return bar;
}

function layout(): void {
  header = element('header');
  grid = element('div', undefined, { class: 'grid' });
  hiddenList = element('div', undefined, { class: 'hidden-charts', 'data-testid': 'hidden-charts' });
  app.replaceChildren(header, toolbar(), hiddenList, grid);
  app.setAttribute('aria-busy', 'false');
}

function onRuns(data: DashboardRun[], grouped: CompareGroup[] | undefined, received: number): void {
  runs = data.map(toRunData);
  groups = grouped && grouped.length > 0 ? grouped : undefined;
  const short = shortLabels(runs.map((r) => r.label));
  labels = new Map(runs.map((r, i) => [r.id, short[i]!]));
  persist();
  if (!grid) layout();
  renderHeader();
  keepFocus(() => rebuildCharts(received));
}

document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  const open = cards.find((c) => c.chart.card.classList.contains('fullscreen'));
  if (open) fullScreen(open);
});

onThemeChange(() => {
  renderHeader();
  // A focused chart keeps the keyboard (its key survives the rebuild).
  keepFocus(rebuildCharts);
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const received = performance.now();
  // The browser decodes a message when its data is first read: a million values take a while (timed apart).
  const data: unknown = event.data;
  const decoded = performance.now();
  const parsed = HostToDashboardSchema.safeParse(data);
  app.dataset.decodeMs = (decoded - received).toFixed(1);
  app.dataset.validateMs = (performance.now() - decoded).toFixed(1);
  if (!parsed.success) {
    showError(app, `The dashboard received a message it does not understand: ${parsed.error.message}`);
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'runs':
      onRuns(message.runs, message.groups, received);
      break;
    case 'append': {
      const run = runs.find((r) => r.id === message.id);
      if (!run) return;
      appendColumns(run, message.metrics, message.heldOut);
      scheduleUpdate(false, true);
      break;
    }
    case 'status': {
      const run = runs.find((r) => r.id === message.id);
      if (!run) return;
      run.status = message.status;
      renderHeader();
      break;
    }
  }
});

send({ type: 'ready' });

// The dashboard page: one uPlot chart per metric, every shown run overlaid. Each series is drawn twice: the raw
// values faint, their EMA on top. Appended rows extend the existing arrays (the EMA continues from its state) and
// the charts take them with setData: nothing is rebuilt or re-sent. A chart is rebuilt only when what it shows
// changes shape (runs, log scale, x axis, theme).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import uPlot from 'uplot';
import { DashboardViewStateSchema, HostToDashboardSchema } from '../../src/protocol/dashboard';
import type { DashboardRun, DashboardToHost, DashboardViewState } from '../../src/protocol/dashboard';
import { openPage, element, formatNumber, onThemeChange, showError, themeColours } from '../shared/page';
import type { ThemeColours } from '../shared/page';
import {
  chartsFor,
  DEFAULT_VIEW_STATE,
  appendColumns,
  chartData,
  chartLines,
  countPoints,
  decimateRows,
  formatWall,
  rowsForView,
  toRunData,
} from './model';
import type { AlignedColumns, ChartDef, ChartLine, RunData } from './model';

const { vscode, app, send, saved } = openPage<DashboardViewState, DashboardToHost>(DashboardViewStateSchema, {
  charts: true,
});

let view: DashboardViewState = saved ?? { ...DEFAULT_VIEW_STATE };
let runs: RunData[] = [];

// ---- charts -------------------------------------------------------------------------------------------------

interface Chart {
  def: ChartDef;
  card: HTMLElement;
  plot: uPlot;
  lines: ChartLine[];
  /** Every row; the plot holds the rows its width can show (decimateRows), chosen again on zoom. */
  full: AlignedColumns;
}

let charts: Chart[] = [];
let colours: ThemeColours = themeColours();

const DASHES: (number[] | undefined)[] = [undefined, [6, 3], [2, 3], [8, 3, 2, 3]];

function seriesOptions(lines: Chart['lines']): uPlot.Series[] {
  const series: uPlot.Series[] = [
    {
      label: view.xAxis === 'step' ? 'step' : 'wall time',
      value: (_u, v) => (v === null ? '–' : view.xAxis === 'step' ? String(v) : formatWall(v)),
    },
  ];
  const several = runs.length > 1;
  const lineKeys = [...new Set(lines.map((l) => l.line.key))];
  const width = colours.highContrast ? 2.5 : 1.75;
  for (const { run, line } of lines) {
    const runIndex = runs.indexOf(run);
    // One line per run: a colour per run. Several lines per run: a colour per line, a dash per run.
    const colour =
      lineKeys.length === 1
        ? colours.series[runIndex % colours.series.length]!
        : colours.series[lineKeys.indexOf(line.key) % colours.series.length]!;
    const dash = lineKeys.length === 1 ? undefined : DASHES[runIndex % DASHES.length];
    const label = several ? `${run.label} · ${line.label}` : line.label;
    // Off the chart, the legend shows each series' newest value rather than a dash.
    const value = (u: uPlot, v: number | null, seriesIdx: number, idx: number | null): string =>
      formatNumber(idx === null ? lastValue(u.data[seriesIdx]) : v);
    series.push({
      label: `${label} (raw)`,
      stroke: colour,
      width: 1,
      alpha: view.smoothing > 0 && line.source !== 'heldOut' ? 0.28 : 0,
      dash,
      spanGaps: true,
      points: { show: false },
      value,
    });
    series.push({
      label,
      stroke: colour,
      width,
      dash,
      spanGaps: true,
      points: { show: line.points === true, size: 5, fill: colour, stroke: colour },
      value,
    });
  }
  return series;
}

function lastValue(values: uPlot.AlignedData[number] | undefined): number | null {
  if (!values) return null;
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

/** uPlot pads a flat series to 0–100; a flat line is drawn mid-height instead, and shares keep their 0–1 axis. */
function yRange(def: ChartDef): uPlot.Scale.Range {
  return (_u, min, max) => {
    if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
    if (def.share && min >= 0 && max <= 1) return [0, 1];
    if (min === max) {
      const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
      return [min - pad, max + pad];
    }
    return uPlot.rangeNum(min, max, 0.1, true);
  };
}

function makeChart(
  def: ChartDef,
  card: HTMLElement,
  body: HTMLElement,
  lines: Chart['lines'],
  data: AlignedColumns,
  width: number,
): Chart {
  const grid = { stroke: colours.grid, width: 1 };
  const ticks = { stroke: colours.grid, width: 1 };
  const axisFont = `${getComputedStyle(document.body).getPropertyValue('--vscode-font-size').trim() || '12px'} ${getComputedStyle(document.body).getPropertyValue('--vscode-font-family').trim() || 'sans-serif'}`;
  const opts: uPlot.Options = {
    width,
    height: 210,
    series: seriesOptions(lines),
    scales: {
      x: { time: false },
      y: view.logScale ? { distr: 3 } : { range: yRange(def) },
    },
    axes: [
      {
        stroke: colours.foreground,
        grid,
        ticks,
        font: axisFont,
        values: view.xAxis === 'wall' ? (_u, vals) => vals.map((v) => formatWall(v)) : undefined,
        // Steps are whole numbers: no 2.5 on a step axis.
        incrs:
          view.xAxis === 'step'
            ? [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000]
            : undefined,
      },
      {
        stroke: colours.foreground,
        grid,
        ticks,
        font: axisFont,
        // Wide enough for the longest tick label (about 7 px a character at the workbench's font size).
        size: (_u, values) => 18 + 7 * Math.max(3, ...(values ?? []).map((v) => v.length)),
        values: (_u, vals) => vals.map((v) => formatNumber(v, 6)),
      },
    ],
    cursor: { sync: { key: 'bnpo-dashboard' }, points: { size: 6 } },
    legend: { live: true },
  };
  // `shown`: the x range the plot's rows were chosen for (null: all of it).
  const self: { chart?: Chart; choosing: boolean; shown: [number, number] | null } = {
    choosing: false,
    shown: null,
  };
  opts.hooks = {
    // Zoomed in (drag) or out (double-click): draw the rows the new x range needs, at full detail inside it.
    setScale: [
      (u, key) => {
        const scale = u.scales.x;
        if (key !== 'x' || self.choosing || !self.chart || !scale) return;
        const { min, max } = scale;
        const xs = self.chart.full[0];
        if (min === undefined || max === undefined || xs.length === 0) return;
        const all = min <= xs[0]! && max >= xs[xs.length - 1]!;
        // Every draw sets the x scale; only a change of range needs other rows.
        if (all ? self.shown === null : self.shown?.[0] === min && self.shown[1] === max) return;
        self.shown = all ? null : [min, max];
        self.choosing = true;
        u.setData(
          all ? decimateRows(self.chart.full, u.width) : rowsForView(self.chart.full, u.width, min, max),
          false,
        );
        self.choosing = false;
      },
    ],
  };
  const plot = new uPlot(opts, decimateRows(data, width), body);
  // Mark the faint rows of the legend so the stylesheet can keep them small.
  plot.root.querySelectorAll('.u-legend .u-series').forEach((row, i) => {
    if (i > 0 && i % 2 === 1) row.classList.add('raw');
  });
  self.chart = { def, card, plot, lines, full: data };
  return self.chart;
}

function updateCounts(): number {
  let points = 0;
  for (const chart of charts) {
    const { rows, points: drawn } = countPoints(chart.full);
    chart.card.dataset.rows = String(rows);
    chart.card.dataset.points = String(drawn);
    points += drawn;
  }
  app.dataset.points = String(points);
  return points;
}

// ---- page ---------------------------------------------------------------------------------------------------

let grid: HTMLElement | undefined;
let header: HTMLElement | undefined;
let footer: HTMLElement | undefined;

function persist(): void {
  view = { ...view, runIds: runs.map((r) => r.id) };
  vscode.setState(view);
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
    view.smoothing = Number(range.value);
    smoothValue.textContent = view.smoothing.toFixed(2);
    for (const run of runs) run.smooth.clear();
    rebuildCharts();
    persist();
  });
  smoothLabel.append(element('span', 'Smoothing'), range, smoothValue);

  const log = document.createElement('vscode-checkbox');
  log.label = 'Log scale';
  log.checked = view.logScale;
  log.dataset.testid = 'log-scale';
  log.title = 'Logarithmic y axis (values ≤ 0 are not drawn)';
  log.addEventListener('change', () => {
    view.logScale = log.checked;
    rebuildCharts();
    persist();
  });

  const xLabel = element('label', 'X axis', { class: 'x-axis' });
  const x = document.createElement('vscode-single-select');
  x.dataset.testid = 'x-axis';
  for (const [value, text] of [
    ['step', 'Step'],
    ['wall', 'Wall time'],
  ] as const) {
    const option = document.createElement('vscode-option');
    option.value = value;
    option.textContent = text;
    option.selected = view.xAxis === value;
    x.append(option);
  }
  x.addEventListener('change', () => {
    view.xAxis = x.value === 'wall' ? 'wall' : 'step';
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

  bar.append(smoothLabel, log, xLabel, compare, csv);
  return bar;
}

function renderHeader(): void {
  if (!header) return;
  const title = element('h1', runs.length > 1 ? 'Compare runs' : 'Dashboard');
  const list = element('ul', undefined, { class: 'runs' });
  runs.forEach((run, i) => {
    const item = element('li', undefined, { 'data-run': run.id });
    const swatch = element('span', undefined, { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.background = colours.series[i % colours.series.length]!;
    const last = run.metrics.step.length > 0 ? run.metrics.step[run.metrics.step.length - 1]! : 0;
    item.append(
      swatch,
      element('span', run.label, { class: 'label' }),
      element('span', run.status, { class: `status status-${run.status}`, 'data-testid': 'run-status' }),
      element('span', `step ${last}`, { class: 'step', 'data-testid': 'run-step' }),
      ...(run.model ? [element('span', run.model, { class: 'model', 'data-testid': 'run-model' })] : []),
    );
    list.append(item);
  });
  header.replaceChildren(title, list);
}

function rebuildCharts(): void {
  const started = performance.now();
  colours = themeColours();
  for (const chart of charts) chart.plot.destroy();
  charts = [];
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
  const prepared = chartsFor(runs).map((def) => {
    const lines = chartLines(def, runs);
    return { def, lines, data: chartData(lines, view) };
  });
  app.dataset.prepareMs = (performance.now() - started).toFixed(1);
  // All cards first, then one layout to learn their width: reading it per chart would lay the page out 8 times.
  const cards = prepared.map(({ def }) => {
    const card = element('section', undefined, {
      class: 'chart',
      'data-chart': def.id,
      'aria-label': def.title,
    });
    const body = element('div', undefined, { class: 'plot' });
    card.append(element('h2', def.title), body);
    grid!.append(card);
    return { card, body };
  });
  const width = Math.max(280, cards[0]?.body.clientWidth ?? 280);
  prepared.forEach(({ def, lines, data }, i) => {
    const { card, body } = cards[i]!;
    charts.push(makeChart(def, card, body, lines, data, width));
  });
  reportDrawTime(started);
}

/** The time from data to painted frame, shown in the footer and kept on the page for the benchmark. */
function reportDrawTime(started: number): void {
  const points = updateCounts();
  requestAnimationFrame(() => {
    const ms = performance.now() - started;
    app.dataset.drawMs = ms.toFixed(1);
    if (footer) footer.textContent = `${points.toLocaleString('en')} points drawn in ${ms.toFixed(0)} ms`;
  });
}

let pendingFrame = 0;
function scheduleUpdate(): void {
  if (pendingFrame !== 0) return;
  pendingFrame = requestAnimationFrame(() => {
    pendingFrame = 0;
    for (const chart of charts) {
      chart.full = chartData(chart.lines, view);
      chart.plot.setData(decimateRows(chart.full, chart.plot.width));
    }
    updateCounts();
    renderHeader();
  });
}

function layout(): void {
  header = element('header');
  grid = element('div', undefined, { class: 'grid' });
  footer = element('footer', undefined, { class: 'footer', 'data-testid': 'draw-time' });
  app.replaceChildren(header, toolbar(), grid, footer);
  app.setAttribute('aria-busy', 'false');
}

function onRuns(data: DashboardRun[]): void {
  runs = data.map(toRunData);
  persist();
  if (!grid) layout();
  renderHeader();
  rebuildCharts();
}

new ResizeObserver(() => {
  for (const chart of charts) {
    const body = chart.card.querySelector<HTMLElement>('.plot');
    if (body && Math.abs(chart.plot.width - body.clientWidth) > 4)
      chart.plot.setSize({ width: Math.max(280, body.clientWidth), height: 210 });
  }
}).observe(app);

onThemeChange(() => {
  renderHeader();
  rebuildCharts();
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = HostToDashboardSchema.safeParse(event.data);
  if (!parsed.success) {
    showError(app, `The dashboard received a message it does not understand: ${parsed.error.message}`);
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'runs':
      onRuns(message.runs);
      break;
    case 'append': {
      const run = runs.find((r) => r.id === message.id);
      if (!run) return;
      appendColumns(run, message.metrics, message.heldOut);
      scheduleUpdate();
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

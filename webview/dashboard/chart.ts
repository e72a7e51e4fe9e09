// One dashboard chart in the page: its card (title, buttons, plot, legend, notice), the uPlot drawing the rows its
// width can show, and the zoom. The page owns the zoom: a drag on any chart sets one exact x window on every chart
// (uPlot's own synced selection would round it to each chart's pixels), and each chart then draws its rows of that
// window (rowsForView), with the x scale set in the same batch as the data so uPlot's row window matches the rows.
// The legend under the plot resolves the crosshair through the chart's whole table (rowAt), so under one synced
// crosshair every chart names the same step, and says raw and smoothed values.
// The plot is a Tab stop (shared/a11y.ts): the arrow keys move the crosshair row by row (cursorIndex), through the
// page, which puts every chart's crosshair on the same x (uPlot's own sync goes by pixels, and a pixel holds many
// steps of a long run); the focused chart announces the step and every line's value.
import uPlot from 'uplot';
import { accessibleChart, announce, dataTable } from '../shared/a11y';
import { element, formatNumber } from '../shared/page';
import type { ThemeColours } from '../shared/page';
import {
  cursorIndex,
  cursorReadout,
  decimateRows,
  formatLogTick,
  formatWall,
  legendAt,
  logSplits,
  rowAt,
  rowsForView,
  yRange,
} from './model';
import type { AlignedColumns, ChartDef, LegendValue, ReadoutLine, XAxis } from './model';

/** One legend entry: the series pair (raw + EMA) or triple (mean, mean − std, mean + std) it names. */
export interface SeriesStyle {
  label: string;
  /** The full name (a run's id) for the tooltip. */
  title: string;
  colour: string;
  dash: number[] | undefined;
  /** Sparse points (held-out evaluations). */
  points: boolean;
  /** The raw values faint behind the EMA (smoothing on, not a sparse line). */
  faintRaw: boolean;
}

export interface ChartSpec {
  def: ChartDef;
  /** Grouped Compare: series come in triples (mean, low, high) with a band; else in pairs (raw, EMA). */
  grouped: boolean;
  styles: SeriesStyle[];
  full: AlignedColumns;
  log: boolean;
  xAxis: XAxis;
  highContrast: boolean;
  colours: ThemeColours;
}

/** What the page does when a chart is zoomed by the user, and what it names a hovered row. */
export interface ChartHost {
  zoomed(range: [number, number] | null): void;
  /** The step, training time and clock time of the row at x, for the legend's first line. */
  describeX(x: number): string;
  /** The keyboard moved a chart's crosshair to x (null: Escape): every chart shows it there (showX). */
  cursorTo(x: number | null): void;
  /** The mouse is over a chart: it drives the crosshair again (releaseCursor on every chart). */
  pointerMoved(): void;
}

const SYNC_KEY = 'bnpo-dashboard';
/** The y axis is the same width in every chart, so their plots line up under the synced crosshair. */
const Y_AXIS_SIZE = 64;

function xLabel(axis: XAxis, v: number): string {
  if (axis === 'step') return String(Math.round(v));
  if (axis === 'wall') return formatWall(v);
  return new Date(v * 1000).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

/** A short line in the series' colour and dash, as an inline SVG (the legend's key to the line style). */
export function lineSwatch(style: Pick<SeriesStyle, 'colour' | 'dash'>, band = false): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', '22');
  svg.setAttribute('height', '10');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('swatch');
  if (band) {
    const rect = document.createElementNS(ns, 'rect');
    for (const [k, v] of [
      ['x', '0'],
      ['y', '1'],
      ['width', '22'],
      ['height', '8'],
      ['fill', style.colour],
      ['fill-opacity', '0.2'],
    ])
      rect.setAttribute(k!, v!);
    svg.append(rect);
  }
  const line = document.createElementNS(ns, 'line');
  for (const [k, v] of [
    ['x1', '0'],
    ['y1', '5'],
    ['x2', '22'],
    ['y2', '5'],
    ['stroke', style.colour],
    ['stroke-width', '2'],
  ])
    line.setAttribute(k!, v!);
  if (style.dash) line.setAttribute('stroke-dasharray', style.dash.join(' '));
  svg.append(line);
  return svg;
}

function uplotSeries(spec: ChartSpec): uPlot.Series[] {
  const width = spec.highContrast ? 2.5 : 1.75;
  const series: uPlot.Series[] = [{}];
  for (const style of spec.styles) {
    const base = { stroke: style.colour, dash: style.dash, spanGaps: true, points: { show: false } };
    if (spec.grouped) {
      series.push({ ...base, width });
      // The band's edges: not stroked, the band between them is filled (bands()).
      const edge = { ...base, stroke: withAlpha(style.colour, 0), width: 0 };
      series.push(edge, { ...edge });
      continue;
    }
    // The raw values faint behind the EMA; fainter than high contrast can show on black, so stronger there.
    series.push({ ...base, width: 1, alpha: style.faintRaw ? (spec.highContrast ? 0.5 : 0.28) : 0 });
    series.push({
      ...base,
      width,
      points: { show: style.points, size: 5, fill: style.colour, stroke: style.colour },
    });
  }
  return series;
}

/** A theme colour (#rgb, #rrggbb or rgb()) with an alpha, as the canvas understands it. */
export function withAlpha(colour: string, alpha: number): string {
  const c = colour.trim();
  const short = /^#([0-9a-f]{3}|[0-9a-f]{6})([0-9a-f]{2})?$/i.exec(c)?.[1];
  if (short !== undefined) {
    const hex = short.length === 3 ? [...short].map((d) => d + d).join('') : short;
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^,]+),([^,]+),([^,)]+)/.exec(c);
  return rgb ? `rgba(${rgb[1]}, ${rgb[2]}, ${rgb[3]}, ${alpha})` : c;
}

function bands(spec: ChartSpec): uPlot.Band[] {
  if (!spec.grouped) return [];
  return spec.styles.map((style, i) => ({
    series: [3 + 3 * i, 2 + 3 * i] as [number, number],
    fill: withAlpha(style.colour, 0.2),
  }));
}

function axes(spec: ChartSpec): uPlot.Axis[] {
  const { colours } = spec;
  const grid = { stroke: colours.grid, width: 1 };
  const ticks = { stroke: colours.grid, width: 1 };
  const body = getComputedStyle(document.body);
  const font = `${body.getPropertyValue('--vscode-font-size').trim() || '12px'} ${body.getPropertyValue('--vscode-font-family').trim() || 'sans-serif'}`;
  return [
    {
      stroke: colours.foreground,
      grid,
      ticks,
      font,
      space: 70,
      values: (_u, vals) => vals.map((v) => xLabel(spec.xAxis, v)),
      // Steps are whole numbers: no 2.5 on a step axis.
      incrs:
        spec.xAxis === 'step'
          ? [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000]
          : undefined,
    },
    {
      stroke: colours.foreground,
      grid,
      ticks,
      font,
      size: Y_AXIS_SIZE,
      // Four or five grid lines at most: one every 40 px of a 210 px plot.
      space: 40,
      ...(spec.log
        ? {
            splits: (u: uPlot) => logSplits(u.scales.y!.min ?? 1, u.scales.y!.max ?? 10),
            values: (_u: uPlot, vals: number[]) => vals.map(formatLogTick),
          }
        : { values: (_u: uPlot, vals: number[]) => vals.map((v) => formatNumber(v, 4)) }),
    },
  ];
}

export class DashboardChart {
  readonly card: HTMLElement;
  readonly body: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly tip: HTMLElement;
  plot: uPlot | undefined;
  zoom: [number, number] | null = null;
  private applying = false;
  private row = -1;
  /** The x the keyboard put the crosshair on (the page's, on every chart), until the mouse moves or Escape. */
  private keyX: number | null = null;

  constructor(
    public spec: ChartSpec,
    card: HTMLElement,
    private readonly host: ChartHost,
  ) {
    this.card = card;
    this.body = element('div', undefined, { class: 'plot' });
    this.notice = element('p', undefined, { class: 'notice', 'data-testid': 'chart-notice', role: 'note' });
    this.notice.hidden = true;
    this.legend = element('div', undefined, { class: 'legend', 'data-testid': 'legend' });
    this.tip = element('div', undefined, {
      class: 'legend tooltip',
      'data-testid': 'tooltip',
      role: 'tooltip',
    });
    this.tip.hidden = true;
    const access = accessibleChart(this.body, {
      key: spec.def.id,
      label: `${spec.def.title} chart. Arrow keys move the crosshair one step, Page Up and Page Down a tenth, Home and End to the ends, Escape leaves; Enter opens the data table.`,
      table: () => this.table(),
      keys: true,
    });
    card.append(this.notice, access, this.legend);
    this.body.addEventListener('keydown', (event) => this.onKey(event));
    // Capture: before uPlot's own handler reads the crosshair, so that read is the mouse's.
    this.body.addEventListener('mousemove', () => this.keyX !== null && this.host.pointerMoved(), {
      capture: true,
    });
  }

  private onKey(event: KeyboardEvent): void {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const xs = this.spec.full[0];
    const index = this.keyX === null ? -1 : rowAt(xs, this.keyX);
    const next = cursorIndex(xs, index, event.key, this.zoom);
    if (next === undefined) return;
    event.preventDefault();
    event.stopPropagation();
    const x = next < 0 ? null : xs[next]!;
    this.host.cursorTo(x);
    announce(x === null ? `${this.spec.def.title}: crosshair off` : this.readout(next));
  }

  /** Puts this chart's crosshair on x without publishing it (the page does that for every chart). */
  showX(x: number | null): void {
    this.keyX = x;
    this.placeCursor();
  }

  /** The mouse drives the crosshair again: the keyboard's x is forgotten, the crosshair stays where it is. */
  releaseCursor(): void {
    this.keyX = null;
  }

  private placeCursor(): void {
    const plot = this.plot;
    if (!plot) return;
    const x = this.keyX;
    const left = x === null ? -10 : plot.valToPos(x, 'x');
    // Fired (the legend follows) but not published: uPlot's sync would move the others by pixel.
    plot.setCursor({ left, top: x === null ? -10 : plot.over.clientHeight / 2 }, true);
  }

  /** The announced line: the chart, the step and times of `row`, and every line's value there. */
  private readout(row: number): string {
    const x = this.spec.full[0][row];
    const lines: ReadoutLine[] = this.spec.grouped
      ? this.spec.styles.map((style, i) => {
          const { mean, high } = this.groupValue(i, row);
          return {
            label: style.label,
            value: formatNumber(mean),
            ...(mean !== null && high !== null ? { detail: `± ${formatNumber(high - mean)}` } : {}),
          };
        })
      : this.lineValues(row).map(({ style, value }) => {
          const details = [
            ...(style.faintRaw ? [`smoothed ${formatNumber(value.smoothed)}`] : []),
            ...(value.heldFrom !== undefined ? [`from ${xLabel(this.spec.xAxis, value.heldFrom)}`] : []),
          ];
          return {
            label: style.label,
            value: formatNumber(value.raw),
            ...(details.length > 0 ? { detail: details.join(', ') } : {}),
          };
        });
    return cursorReadout(this.spec.def.title, x === undefined ? '' : this.host.describeX(x), lines);
  }

  /** The chart's numbers as the table alternative: the rows it draws (every row of a narrow enough zoom). */
  private table(): HTMLTableElement {
    const { spec } = this;
    const rows = this.rows(this.plot?.width ?? 600);
    const per = spec.grouped ? 3 : 2;
    const headers = [
      spec.xAxis === 'step' ? 'step' : 'time',
      ...spec.styles.flatMap((s) => (spec.grouped ? [`${s.label} mean`, `${s.label} ± std`] : [s.label])),
    ];
    const cells = rows[0].map((x, r) => [
      xLabel(spec.xAxis, x),
      ...spec.styles.flatMap((_s, i) => {
        const main = rows[1 + per * i]![r] ?? null;
        if (!spec.grouped) return [formatNumber(main)];
        const high = rows[3 + per * i]![r] ?? null;
        return [formatNumber(main), main === null || high === null ? '' : formatNumber(high - main)];
      }),
    ]);
    const all = spec.full[0].length;
    const caption =
      rows[0].length >= all
        ? `${spec.def.title}: every row`
        : `${spec.def.title}: the ${rows[0].length} rows drawn of ${all} (zoom in for every row)`;
    return dataTable(caption, headers, cells);
  }

  /** Draws the chart (the first time it is seen). */
  draw(width: number, height: number): void {
    this.plot?.destroy();
    const { spec } = this;
    const opts: uPlot.Options = {
      width,
      height,
      series: uplotSeries(spec),
      bands: bands(spec),
      scales: {
        x: { time: false },
        y: spec.log ? { distr: 3, log: 10 } : { range: (_u, min, max) => yRange(spec.def, min, max) },
      },
      axes: axes(spec),
      legend: { show: false },
      cursor: {
        // Only the x crosshair: a horizontal line at the mouse's height means nothing in the other charts.
        y: false,
        points: { size: 6 },
        sync: {
          key: SYNC_KEY,
          // The crosshair is shared; a zoom is the page's (see zoomed), not uPlot's per-chart selection.
          filters: { pub: (type) => type !== 'mousedown' && type !== 'mouseup' && type !== 'dblclick' },
        },
      },
      hooks: {
        setScale: [(u, key) => this.onScale(u, key)],
        setCursor: [(u) => this.onCursor(u)],
      },
    };
    const rows = this.rows(width);
    this.applying = true;
    this.plot = new uPlot(opts, rows, this.body);
    this.body.append(this.tip);
    this.applying = false;
    this.apply(rows);
    this.renderLegend();
  }

  /** The rows the plot draws for its width and the zoom. */
  private rows(width: number): AlignedColumns {
    const { full } = this.spec;
    return this.zoom ? rowsForView(full, width, this.zoom[0], this.zoom[1]) : decimateRows(full, width);
  }

  /** Sets the plot's rows and x scale together (new data, zoom, width); `drawn`: the rows it was just built with. */
  apply(drawn?: AlignedColumns): void {
    const plot = this.plot;
    if (!plot) return;
    const xs = this.spec.full[0];
    const range = this.zoom ?? (xs.length > 0 ? [xs[0]!, xs[xs.length - 1]!] : null);
    const rows = drawn ?? this.rows(plot.width);
    this.applying = true;
    plot.batch(() => {
      if (!drawn) plot.setData(rows, range === null);
      // Just built on its rows, the plot already spans them: only a zoom needs the scale set.
      if (range && (!drawn || this.zoom))
        plot.setScale('x', { min: range[0], max: range[1] === range[0] ? range[0] + 1 : range[1] });
    });
    this.applying = false;
    this.report(rows, range);
    // New rows or a new window move the keyboard's x on the plot: put the crosshair back on it.
    if (this.keyX !== null) this.placeCursor();
  }

  /** What the UI tests read: the x window, and the first and last drawn rows inside it and their count. */
  private report(rows: AlignedColumns, range: [number, number] | null): void {
    const d = this.card.dataset;
    if (!range) return;
    const xs = rows[0];
    let first = -1;
    let last = -1;
    let count = 0;
    for (let i = 0; i < xs.length; i++) {
      if (xs[i]! < range[0] || xs[i]! > range[1]) continue;
      if (first < 0) first = i;
      last = i;
      count++;
    }
    d.xMin = String(range[0]);
    d.xMax = String(range[1]);
    d.drawnFirst = first < 0 ? '' : String(xs[first]);
    d.drawnLast = last < 0 ? '' : String(xs[last]);
    d.drawnInWindow = String(count);
  }

  private onScale(u: uPlot, key: string): void {
    if (key !== 'x' || this.applying || !this.plot) return;
    const { min, max } = u.scales.x!;
    if (min === undefined || max === undefined || min === null || max === null) return;
    const xs = this.spec.full[0];
    const all = xs.length === 0 || (min <= xs[0]! && max >= xs[xs.length - 1]!);
    // Outside the hook: uPlot is still inside its own commit.
    queueMicrotask(() => this.host.zoomed(all ? null : [min, max]));
  }

  private onCursor(u: uPlot): void {
    const left = u.cursor.left;
    const xs = this.spec.full[0];
    const row =
      this.keyX !== null
        ? rowAt(xs, this.keyX)
        : left === undefined || left < 0
          ? -1
          : rowAt(xs, u.posToVal(left, 'x'));
    if (row !== this.row) {
      this.row = row;
      this.renderLegend();
    }
    this.placeTip(u, row);
  }

  /** The tooltip beside the mouse, on the chart under it only: the legend's rows (step, times, raw and smoothed). */
  private placeTip(u: uPlot, row: number): void {
    const hovered = row >= 0 && this.body.matches(':hover');
    this.tip.hidden = !hovered;
    if (!hovered) return;
    const rows = [...this.legend.children].map((c) => c.cloneNode(true) as HTMLElement);
    for (const r of rows)
      for (const t of [r, ...r.querySelectorAll('[data-testid]')]) t.removeAttribute('data-testid');
    this.tip.replaceChildren(...rows);
    const over = u.over.getBoundingClientRect();
    const body = this.body.getBoundingClientRect();
    const x = over.left - body.left + (u.cursor.left ?? 0);
    const y = over.top - body.top + (u.cursor.top ?? 0);
    const width = this.tip.offsetWidth;
    this.tip.style.left = `${x + 14 + width > body.width ? Math.max(0, x - 14 - width) : x + 14}px`;
    this.tip.style.top = `${Math.max(0, Math.min(y + 14, body.height - this.tip.offsetHeight))}px`;
  }

  /** The legend: the hovered row's x (step, times), then per line its colour and dash, label, raw and EMA values. */
  renderLegend(): void {
    const { spec, row } = this;
    const full = spec.full;
    const head = element('div', undefined, { class: 'legend-x' });
    const x = row >= 0 ? full[0][row] : full[0][full[0].length - 1];
    head.append(
      element('span', x === undefined ? '' : this.host.describeX(x), { 'data-testid': 'legend-step' }),
      element('span', row >= 0 ? '' : 'newest', { class: 'muted' }),
    );
    const rows = spec.grouped ? this.groupRows(row) : this.lineRows(row);
    this.legend.replaceChildren(head, ...rows);
  }

  /** Each line's style and its values at `row` (-1: the newest), for the legend and the readout. */
  private lineValues(row: number): { style: SeriesStyle; value: LegendValue }[] {
    const { spec } = this;
    const values = legendAt(
      spec.full,
      spec.styles.map((s) => s.points),
      row,
    );
    return spec.styles.map((style, i) => ({ style, value: values[i]! }));
  }

  /** Group `i`'s mean and mean + std at `row` (-1: its newest mean). */
  private groupValue(i: number, row: number): { mean: number | null; high: number | null } {
    const full = this.spec.full;
    let j = row >= 0 ? row : full[0].length - 1;
    const mean = full[1 + 3 * i]!;
    if (row < 0) while (j >= 0 && (mean[j] === null || mean[j] === undefined)) j--;
    return {
      mean: j >= 0 ? (mean[j] ?? null) : null,
      high: j >= 0 ? (full[3 + 3 * i]![j] ?? null) : null,
    };
  }

  private lineRows(row: number): HTMLElement[] {
    const { spec } = this;
    return this.lineValues(row).map(({ style, value: v }) => {
      const item = element('div', undefined, { class: 'legend-row', title: style.title });
      const smoothed = style.faintRaw ? formatNumber(v.smoothed) : '';
      item.append(
        lineSwatch(style),
        element('span', style.label, { class: 'label' }),
        element('span', formatNumber(v.raw), { class: 'raw', title: 'raw value' }),
        element('span', smoothed, { class: 'smoothed', title: 'smoothed (EMA)' }),
        element('span', v.heldFrom !== undefined ? `from ${xLabel(spec.xAxis, v.heldFrom)}` : '', {
          class: 'muted',
        }),
      );
      return item;
    });
  }

  private groupRows(row: number): HTMLElement[] {
    return this.spec.styles.map((style, i) => {
      const { mean: m, high: hi } = this.groupValue(i, row);
      const item = element('div', undefined, { class: 'legend-row', title: style.title });
      item.append(
        lineSwatch(style, true),
        element('span', style.label, { class: 'label' }),
        element('span', formatNumber(m), { class: 'raw', title: 'mean' }),
        element('span', m === null || hi === null ? '' : `± ${formatNumber(hi - m)}`, {
          class: 'smoothed',
          title: 'standard deviation over the group’s runs',
        }),
        element('span', '', { class: 'muted' }),
      );
      return item;
    });
  }

  /** A line above the plot: what it cannot draw (a warning), or `info` (why it is empty). */
  setNotice(text: string | null, info = false): void {
    this.notice.hidden = text === null;
    this.notice.textContent = text ?? '';
    this.notice.classList.toggle('info', info);
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
  }
}

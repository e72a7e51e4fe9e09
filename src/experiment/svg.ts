// The report's plots as plain SVG text: line charts with a band over seeds, and bar charts on a log axis with error
// bars. Standalone files (fixed light palette) so they read the same in a markdown preview, a browser or a repo.
import { ESTIMATORS, isEstimatorName } from '../core/estimators';

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly x: readonly number[];
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface BarGroup {
  /** One group of bars (e.g. an estimator); `bars[i]` belongs to `legend[i]`. */
  readonly name: string;
  readonly bars: readonly ({ value: number; std: number } | null)[];
}

/** An estimator's colour from the estimator table; other series (or unknown names) cycle a fallback palette. */
export function colorFor(name: string, index: number): string {
  if (isEstimatorName(name)) return ESTIMATORS[name].colour;
  const fallback = ['#17becf', '#bcbd22', '#7f7f7f', '#e377c2'];
  return fallback[index % fallback.length]!;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f = (x: number) => (Math.round(x * 100) / 100).toString();

/** About five round tick values; the first is at or below `lo` and the last at or above `hi`. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Dash patterns by series index, so lines drawn on top of each other stay distinguishable. */
const DASHES = ['', '7 4', '2 3', '10 3 2 3', '4 4', '1 4'];

const W = 640;
const H = 380;
const M = { left: 56, right: 140, top: 36, bottom: 44 };

function frame(title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="20" font-size="14" font-weight="bold" fill="#222">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Mean curves with a ±1 std band over seeds. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[]): string {
  const xs = series.flatMap((s) => s.x);
  const lows = series.flatMap((s) => s.mean.map((m, i) => m - (s.std[i] ?? 0)));
  const highs = series.flatMap((s) => s.mean.map((m, i) => m + (s.std[i] ?? 0)));
  const x0 = xs.length > 0 ? Math.min(...xs) : 0;
  const x1 = xs.length > 0 ? Math.max(...xs, x0 + 1) : 1;
  const yTicks = niceTicks(Math.max(0, Math.min(...lows, 1)), Math.min(1, Math.max(...highs, 0)));
  const y0 = Math.min(...yTicks);
  const y1 = Math.max(...yTicks, y0 + 0.01);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (x: number) => M.left + ((x - x0) / (x1 - x0)) * pw;
  const py = (y: number) => M.top + ph - ((Math.min(Math.max(y, y0), y1) - y0) / (y1 - y0)) * ph;
  const body: string[] = [];
  for (const t of yTicks) {
    body.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${f(py(t))}" y2="${f(py(t))}" stroke="#e4e4e4"/>`,
    );
    body.push(
      `<text x="${M.left - 6}" y="${f(py(t) + 4)}" text-anchor="end" fill="#444">${f(t * 100)}%</text>`,
    );
  }
  for (const t of niceTicks(x0, x1)) {
    body.push(
      `<line x1="${f(px(t))}" x2="${f(px(t))}" y1="${M.top + ph}" y2="${M.top + ph + 4}" stroke="#444"/>`,
    );
    body.push(`<text x="${f(px(t))}" y="${M.top + ph + 17}" text-anchor="middle" fill="#444">${t}</text>`);
  }
  body.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  body.push(
    `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle" fill="#222">${esc(xLabel)}</text>`,
  );
  body.push(
    `<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(yLabel)}</text>`,
  );
  series.forEach((s, k) => {
    if (s.x.length === 0) return;
    const upper = s.x.map((x, i) => `${f(px(x))},${f(py(s.mean[i]! + (s.std[i] ?? 0)))}`);
    const lower = s.x.map((x, i) => `${f(px(x))},${f(py(s.mean[i]! - (s.std[i] ?? 0)))}`).reverse();
    body.push(
      `<polygon points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`,
    );
    const line = s.x.map((x, i) => `${f(px(x))},${f(py(s.mean[i]!))}`).join(' ');
    const dash = DASHES[k % DASHES.length]!;
    const dashAttr = dash === '' ? '' : ` stroke-dasharray="${dash}"`;
    body.push(`<polyline points="${line}" fill="none" stroke="${s.color}" stroke-width="2"${dashAttr}/>`);
    const ly = M.top + 10 + 18 * k;
    body.push(
      `<line x1="${W - M.right + 12}" x2="${W - M.right + 32}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="3"${dashAttr}/>`,
    );
    body.push(`<text x="${W - M.right + 38}" y="${ly + 4}" fill="#222">${esc(s.name)}</text>`);
  });
  return frame(title, body);
}

/** Grouped bars on a log10 axis with ±1 std whiskers; `legend` names the bars within a group. */
export function logBarChart(
  title: string,
  yLabel: string,
  groups: readonly BarGroup[],
  legend: readonly { name: string; color: string }[],
): string {
  const values = groups.flatMap((g) =>
    g.bars.flatMap((b) =>
      b === null ? [] : [b.value, Math.max(b.value - b.std, b.value / 10), b.value + b.std],
    ),
  );
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const lo = positive.length > 0 ? Math.floor(Math.log10(Math.min(...positive))) : -1;
  const hi = positive.length > 0 ? Math.ceil(Math.log10(Math.max(...positive))) : 0;
  const l0 = lo;
  const l1 = hi > lo ? hi : lo + 1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const py = (v: number) => M.top + ph - ((Math.log10(Math.max(v, 10 ** l0)) - l0) / (l1 - l0)) * ph;
  const body: string[] = [];
  for (let e = l0; e <= l1; e++) {
    body.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${f(py(10 ** e))}" y2="${f(py(10 ** e))}" stroke="#e4e4e4"/>`,
    );
    body.push(
      `<text x="${M.left - 6}" y="${f(py(10 ** e) + 4)}" text-anchor="end" fill="#444">1e${e}</text>`,
    );
  }
  body.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  body.push(
    `<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(yLabel)}</text>`,
  );
  const slot = pw / Math.max(groups.length, 1);
  const nb = Math.max(1, ...groups.map((g) => g.bars.length));
  const bw = (slot * 0.7) / nb;
  groups.forEach((g, gi) => {
    const gx = M.left + gi * slot + slot * 0.15;
    g.bars.forEach((b, bi) => {
      if (b === null || !(b.value > 0)) return;
      const x = gx + bi * bw;
      const y = py(b.value);
      const color = legend[bi]?.color ?? '#888';
      body.push(
        `<rect x="${f(x)}" y="${f(y)}" width="${f(bw * 0.9)}" height="${f(M.top + ph - y)}" fill="${color}"/>`,
      );
      if (b.std > 0) {
        const cx = x + bw * 0.45;
        const top = py(b.value + b.std);
        const bottom = py(Math.max(b.value - b.std, 10 ** l0));
        body.push(`<line x1="${f(cx)}" x2="${f(cx)}" y1="${f(top)}" y2="${f(bottom)}" stroke="#222"/>`);
      }
    });
    body.push(
      `<text x="${f(M.left + gi * slot + slot / 2)}" y="${M.top + ph + 17}" text-anchor="middle" fill="#222">${esc(g.name)}</text>`,
    );
  });
  legend.forEach((l, k) => {
    const ly = M.top + 10 + 18 * k;
    body.push(`<rect x="${W - M.right + 12}" y="${ly - 6}" width="14" height="12" fill="${l.color}"/>`);
    body.push(`<text x="${W - M.right + 32}" y="${ly + 4}" fill="#222">${esc(l.name)}</text>`);
  });
  return frame(title, body);
}

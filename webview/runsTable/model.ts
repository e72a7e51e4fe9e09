// The runs table's logic, without the DOM: the columns of a run from its run.json, sorting, the text and
// per-column filters, grouping by a column (with each group's mean ± std) and the colour of each value of the
// colour-by column. main.ts only draws what these return.
import { builtinTaskOf } from '../../src/protocol/runConfig';
import { GROUP_LABEL_MAX } from '../../src/protocol/dashboard';
import { RUNS_TABLE_COLUMNS } from '../../src/protocol/runsTable';
import type { RunsTableColumn, RunsTableRun, RunsTableViewState } from '../../src/protocol/runsTable';

/** What a cell shows, and what it sorts, groups and compares by (null: nothing known, sorted last). */
export interface Cell {
  readonly text: string;
  readonly value: string | number | null;
  /** Shown on hover (e.g. the model folder). */
  readonly title?: string;
}

export interface TableRow {
  readonly id: string;
  readonly dir: string;
  readonly cells: Readonly<Record<RunsTableColumn, Cell>>;
}

export interface ColumnSpec {
  readonly label: string;
  /** Compared as numbers; its filter accepts `>`, `>=`, `<`, `<=`, `=` and `!=` before a number. */
  readonly numeric: boolean;
  readonly description: string;
}

export const COLUMNS: Readonly<Record<RunsTableColumn, ColumnSpec>> = {
  run: { label: 'Run', numeric: false, description: 'The run folder.' },
  status: { label: 'Status', numeric: false, description: 'running, completed, failed or stopped.' },
  estimator: { label: 'Estimator', numeric: false, description: 'The advantage estimator.' },
  data: { label: 'Task / dataset', numeric: false, description: 'Built-in task, or the training file.' },
  model: {
    label: 'Model',
    numeric: false,
    description: 'Architecture and parameters, or the built-in size.',
  },
  groupSize: { label: 'G', numeric: true, description: 'Completions sampled per prompt.' },
  lr: { label: 'lr', numeric: true, description: 'RL learning rate.' },
  seed: { label: 'Seed', numeric: true, description: 'Seed for data order, initialisation and sampling.' },
  steps: { label: 'Steps', numeric: true, description: 'Last completed RL step of the planned total.' },
  backend: {
    label: 'Backend',
    numeric: false,
    description: 'The compute backend (requested, until chosen).',
  },
  reward: { label: 'Reward', numeric: true, description: 'Mean reward of the last step.' },
  accuracy: {
    label: 'Held-out acc.',
    numeric: true,
    description: 'Final held-out accuracy, else the latest evaluation.',
  },
  created: { label: 'Created', numeric: false, description: 'When the run was created (UTC).' },
};

const UNKNOWN: Cell = { text: '–', value: null };

function numberCell(value: number | null | undefined, text: (v: number) => string): Cell {
  return value === null || value === undefined || !Number.isFinite(value)
    ? UNKNOWN
    : { text: text(value), value };
}

const fixed3 = (v: number): string => v.toFixed(3);

/** 5e-4, 1e-6, 0.001 → "5e-4", "1e-6", "1e-3": learning rates read best in one form. */
export function formatRate(value: number): string {
  if (value === 0) return '0';
  const [mantissa, exponent] = value.toExponential().split('e');
  return `${Number(Number(mantissa).toPrecision(3))}e${Number(exponent)}`;
}

/** 494_032_768 → "494M"; 1_500 → "1.5k". */
export function formatCount(value: number): string {
  const units: [number, string][] = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, unit] of units)
    if (value >= size) return `${Number((value / size).toPrecision(3))}${unit}`;
  return String(value);
}

function fileName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

function modelCell(run: RunsTableRun): Cell {
  const info = run.info!;
  const identity = info.modelInfo;
  if (identity) {
    return {
      text: `${identity.architecture} · ${formatCount(identity.parameters)}`,
      value: identity.parameters,
      ...(identity.path !== null ? { title: identity.path } : {}),
    };
  }
  const m = info.config.model;
  return { text: `built-in d${m.dModel}×${m.layers}`, value: `built-in d${m.dModel}×${m.layers}` };
}

function textCell(text: string): Cell {
  return { text, value: text };
}

/** One run's cells, from its run.json and its last reward and evaluation. */
export function tableRow(run: RunsTableRun): TableRow {
  const info = run.info;
  // The run's name (config.name, what the dashboard's legend shows) rides in the hover text, so the filter finds it.
  const name = info?.config.name;
  const common = {
    run: { text: run.id, value: run.id, title: run.problem ?? (name ? `${name}\n${run.dir}` : run.dir) },
    status: textCell(run.status),
    reward: numberCell(run.lastReward, fixed3),
  };
  if (!info) {
    const cells = Object.fromEntries(RUNS_TABLE_COLUMNS.map((c) => [c, UNKNOWN]));
    return { id: run.id, dir: run.dir, cells: { ...cells, ...common } as Record<RunsTableColumn, Cell> };
  }
  const c = info.config;
  const data = c.dataset
    ? { ...textCell(fileName(c.dataset.train)), title: c.dataset.train }
    : textCell(builtinTaskOf(c) ?? '–');
  const cells: Record<RunsTableColumn, Cell> = {
    ...common,
    estimator: textCell(c.estimator),
    data,
    model: modelCell(run),
    groupSize: numberCell(c.groupSize, String),
    lr: numberCell(c.lr, formatRate),
    seed: numberCell(c.seed, String),
    steps: { text: `${info.step}/${info.totalSteps}`, value: info.step },
    backend: textCell(info.backend?.name ?? c.backend),
    accuracy: numberCell(info.finalAccuracy ?? run.lastAccuracy, fixed3),
    created: { text: info.createdAt.slice(0, 10), value: info.createdAt, title: info.createdAt },
  };
  return { id: run.id, dir: run.dir, cells };
}

/** Numbers before text, nulls last (in both directions); equal values keep the run-id order. */
function compareValues(a: Cell['value'], b: Cell['value']): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

export function sortRows(rows: readonly TableRow[], sort: RunsTableViewState['sort']): TableRow[] {
  const sign = sort.direction === 'ascending' ? 1 : -1;
  return [...rows].sort((x, y) => {
    const a = x.cells[sort.column].value;
    const b = y.cells[sort.column].value;
    if (a === null || b === null) {
      if (a !== b) return a === null ? 1 : -1;
      return x.id.localeCompare(y.id);
    }
    return sign * compareValues(a, b) || x.id.localeCompare(y.id);
  });
}

const COMPARISON = /^\s*(>=|<=|!=|>|<|=)\s*(.+)$/;

/** Whether a cell passes its column's filter: a comparison on numeric columns, `=text` (exact) or a substring. */
export function cellMatches(cell: Cell, column: RunsTableColumn, filter: string): boolean {
  const wanted = filter.trim();
  if (wanted === '') return true;
  const comparison = COMPARISON.exec(wanted);
  if (comparison) {
    const [, op, operand] = comparison as unknown as [string, string, string];
    const number = Number(operand);
    if (COLUMNS[column].numeric && Number.isFinite(number)) {
      if (typeof cell.value !== 'number') return false;
      const v = cell.value;
      const results: Record<string, boolean> = {
        '>': v > number,
        '>=': v >= number,
        '<': v < number,
        '<=': v <= number,
        '=': v === number,
        '!=': v !== number,
      };
      return results[op] ?? false;
    }
    if (op === '=') return cell.text.toLowerCase() === operand.trim().toLowerCase();
    if (op === '!=') return cell.text.toLowerCase() !== operand.trim().toLowerCase();
  }
  return cell.text.toLowerCase().includes(wanted.toLowerCase());
}

/** The rows that pass the text filter (in any cell, the folder and hover texts too) and every column filter. */
export function filterRows(
  rows: readonly TableRow[],
  text: string,
  columnFilters: RunsTableViewState['columnFilters'],
): TableRow[] {
  const needle = text.trim().toLowerCase();
  const active = RUNS_TABLE_COLUMNS.filter((c) => (columnFilters[c] ?? '').trim() !== '');
  return rows.filter((row) => {
    if (needle !== '') {
      const haystack = [row.dir, ...Object.values(row.cells).flatMap((c) => [c.text, c.title ?? ''])];
      if (!haystack.some((t) => t.toLowerCase().includes(needle))) return false;
    }
    return active.every((c) => cellMatches(row.cells[c], c, columnFilters[c]!));
  });
}

/** Distinct values of a column, in the column's ascending order, each once (by its text). */
export function distinctValues(rows: readonly TableRow[], column: RunsTableColumn): Cell[] {
  const byText = new Map<string, Cell>();
  for (const row of rows)
    if (!byText.has(row.cells[column].text)) byText.set(row.cells[column].text, row.cells[column]);
  return [...byText.values()].sort((a, b) => {
    if (a.value === null || b.value === null) return a.value === b.value ? 0 : a.value === null ? 1 : -1;
    return compareValues(a.value, b.value);
  });
}

/**
 * The palette index of each value of the colour-by column (by its text), over all runs, not only the shown ones,
 * so filtering never changes a run's colour. Values past the palette's size reuse its colours in order.
 */
export function colourIndex(
  rows: readonly TableRow[],
  column: RunsTableColumn,
  paletteSize: number,
): Map<string, number> {
  return new Map(distinctValues(rows, column).map((cell, i) => [cell.text, i % Math.max(1, paletteSize)]));
}

/** Mean and sample standard deviation (null for fewer than two values). */
export interface Spread {
  readonly n: number;
  readonly mean: number | null;
  readonly std: number | null;
}

export function spread(values: readonly (number | null)[]): Spread {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length === 0) return { n: 0, mean: null, std: null };
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  if (xs.length < 2) return { n: xs.length, mean, std: null };
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  return { n: xs.length, mean, std: Math.sqrt(variance) };
}

export interface RowGroup {
  /** The grouping column's text for these rows. */
  readonly key: string;
  /** The rows in the order they came (sorted by the table's sort). */
  readonly rows: TableRow[];
  readonly reward: Spread;
  readonly accuracy: Spread;
}

/** Rows grouped by one column's value, groups in that column's ascending order. */
export function groupRows(rows: readonly TableRow[], column: RunsTableColumn): RowGroup[] {
  return distinctValues(rows, column).map(({ text }) => {
    const members = rows.filter((row) => row.cells[column].text === text);
    const numbers = (c: RunsTableColumn): (number | null)[] =>
      members.map((row) => {
        const v = row.cells[c].value;
        return typeof v === 'number' ? v : null;
      });
    return {
      key: text,
      rows: members,
      reward: spread(numbers('reward')),
      accuracy: spread(numbers('accuracy')),
    };
  });
}

export function formatSpread(s: Spread): string {
  if (s.mean === null) return '–';
  return s.std === null ? s.mean.toFixed(3) : `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`;
}

export interface CompareRequest {
  readonly runIds: string[];
  readonly groups?: { label: string; runIds: string[] }[];
}

/**
 * What Compare overlays: the selected runs among those shown (two at least); grouped, one band per group of the
 * selected runs, or of every shown run when none is selected (two runs at least). Undefined when there is nothing
 * to compare.
 */
export function compareRequest(
  shown: readonly TableRow[],
  selected: readonly string[],
  groupBy: RunsTableColumn | null,
): CompareRequest | undefined {
  const chosen = new Set(selected);
  const picked = shown.filter((row) => chosen.has(row.id));
  if (groupBy === null) return picked.length >= 2 ? { runIds: picked.map((r) => r.id) } : undefined;
  const rows = picked.length > 0 ? picked : shown;
  if (rows.length < 2) return undefined;
  const groups = groupRows(rows, groupBy).map((g) => ({
    label: `${COLUMNS[groupBy].label} ${g.key}`.slice(0, GROUP_LABEL_MAX),
    runIds: g.rows.map((r) => r.id),
  }));
  return { runIds: rows.map((r) => r.id), groups };
}

/** The rows a view shows, in order: filtered, then sorted. */
export function shownRows(rows: readonly TableRow[], state: RunsTableViewState): TableRow[] {
  return sortRows(filterRows(rows, state.text, state.columnFilters), state.sort);
}

/** Clicking a sorted column's header flips its direction; another column starts ascending (numbers: descending). */
export function nextSort(
  sort: RunsTableViewState['sort'],
  column: RunsTableColumn,
): RunsTableViewState['sort'] {
  if (sort.column === column)
    return { column, direction: sort.direction === 'ascending' ? 'descending' : 'ascending' };
  return { column, direction: COLUMNS[column].numeric ? 'descending' : 'ascending' };
}

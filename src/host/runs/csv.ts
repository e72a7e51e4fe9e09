// Metrics as CSV (RFC 4180): one row per run and step, the run's id first so several runs share one file.
// Columns are the union over the runs; a value a run does not have is an empty cell. Our runs' metrics records and
// another tool's imported records (TensorBoard, TRL, verl: src/protocol/importedRun.ts) are both rows here: the
// imported ones have no estimator or Beta fit, and their other scalars become `extra.<name>` columns.
import { EXTRA_SERIES_PREFIX, SCALAR_SERIES } from '../../protocol/dashboard';
import type { ImportedMetricsRecord } from '../../protocol/importedRun';
import type { EvalRecord, MetricsRecord } from '../../protocol/runDir';

export interface CsvRun {
  readonly id: string;
  readonly rules: readonly string[];
  /** In step order: a run's metrics.jsonl, or the records of another tool's log. */
  readonly metrics: readonly (MetricsRecord | ImportedMetricsRecord)[];
  readonly evals: readonly EvalRecord[];
}

/** The dashboard's series, with the step's time first and throughput and learning rate after. */
const SCALARS = ['wall', ...SCALAR_SERIES, 'tokensPerSecond', 'lr'] as const;

/**
 * A spreadsheet reads a text cell that starts with one of these as a formula (`=HYPERLINK(…)` from a run name):
 * such cells get a leading `'` and quotes, as OWASP advises. Numbers are written as numbers, so `-0.5` stays one.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = String(value);
  if (FORMULA_START.test(text)) return `"'${text.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const isImported = (m: MetricsRecord | ImportedMetricsRecord): m is ImportedMetricsRecord => 'extra' in m;

/**
 * The cells an imported record has in our columns: its wall is Unix seconds (or null), so `time` is that instant
 * and `wall` the seconds since the log's first one, as the dashboard's relative-time axis shows it.
 */
function importedTimes(m: ImportedMetricsRecord, firstWall: number | undefined): [string?, number?] {
  if (m.wall === null) return [];
  return [new Date(m.wall * 1000).toISOString(), m.wall - (firstWall ?? m.wall)];
}

export function metricsCsv(runs: readonly CsvRun[]): string {
  const rules: string[] = [];
  for (const run of runs) for (const rule of run.rules) if (!rules.includes(rule)) rules.push(rule);
  const extras: string[] = [];
  for (const run of runs)
    for (const m of run.metrics)
      if (isImported(m))
        for (const name of Object.keys(m.extra)) if (!extras.includes(name)) extras.push(name);
  const header = [
    'run',
    'step',
    'time',
    ...SCALARS,
    'heldOutAccuracy',
    'estimator',
    'skipped',
    ...rules.map((r) => `reward.${r}`),
    ...rules.flatMap((r) => [
      `beta.${r}.a`,
      `beta.${r}.b`,
      `beta.${r}.alpha`,
      `beta.${r}.beta`,
      `beta.${r}.guard`,
    ]),
    ...extras.map((name) => `${EXTRA_SERIES_PREFIX}${name}`),
  ];
  const rows = [header.map(cell).join(',')];
  for (const run of runs) {
    // The held-out accuracy measured after a step sits on that step's row (the final evaluation wins a tie).
    const heldOut = new Map<number, number>();
    for (const e of run.evals) if (e.step > 0) heldOut.set(e.step, e.accuracy);
    const firstWall = run.metrics.find((m) => m.wall !== null)?.wall ?? undefined;
    for (const m of run.metrics) {
      const imported = isImported(m) ? m : undefined;
      const own = isImported(m) ? undefined : m;
      const [time, wall] = imported ? importedTimes(imported, firstWall) : [own?.time, own?.wall];
      rows.push(
        [
          run.id,
          m.step,
          time,
          ...SCALARS.map((k) => (k === 'wall' ? wall : m[k])),
          heldOut.get(m.step),
          own?.estimator,
          own?.skipped,
          ...rules.map((r) => m.rewards[r]),
          ...rules.flatMap((r) => {
            const fit = own?.beta[r];
            return [fit?.a, fit?.b, fit?.alpha, fit?.beta, fit?.guard];
          }),
          ...extras.map((name) => imported?.extra[name]),
        ]
          .map(cell)
          .join(','),
      );
    }
  }
  return rows.join('\r\n') + '\r\n';
}

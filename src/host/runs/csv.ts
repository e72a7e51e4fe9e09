// Metrics as CSV (RFC 4180): one row per run and step, the run's id first so several runs share one file.
// Columns are the union over the runs; a value a run does not have is an empty cell.
import { SCALAR_SERIES } from '../../protocol/dashboard';
import type { EvalRecord, MetricsRecord } from '../../protocol/runDir';

export interface CsvRun {
  readonly id: string;
  readonly rules: readonly string[];
  readonly metrics: readonly MetricsRecord[];
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

export function metricsCsv(runs: readonly CsvRun[]): string {
  const rules: string[] = [];
  for (const run of runs) for (const rule of run.rules) if (!rules.includes(rule)) rules.push(rule);
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
  ];
  const rows = [header.map(cell).join(',')];
  for (const run of runs) {
    // The held-out accuracy measured after a step sits on that step's row (the final evaluation wins a tie).
    const heldOut = new Map<number, number>();
    for (const e of run.evals) if (e.step > 0) heldOut.set(e.step, e.accuracy);
    for (const m of run.metrics) {
      rows.push(
        [
          run.id,
          m.step,
          m.time,
          ...SCALARS.map((k) => m[k]),
          heldOut.get(m.step),
          m.estimator,
          m.skipped,
          ...rules.map((r) => m.rewards[r]),
          ...rules.flatMap((r) => {
            const fit = m.beta[r];
            return [fit?.a, fit?.b, fit?.alpha, fit?.beta, fit?.guard];
          }),
        ]
          .map(cell)
          .join(','),
      );
    }
  }
  return rows.join('\r\n') + '\r\n';
}

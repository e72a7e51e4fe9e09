// The dashboard's Audit section without a DOM: one chart per run-audit check (its value and its threshold, both
// series the host adds beside the metrics: src/host/audit/auditSeries.ts) and the table of each run's latest values
// against the thresholds. audit.ts draws the section; the unit tier tests this file.
import { AUDIT_CHECKS, AUDIT_SERIES_PREFIX, AUDIT_THRESHOLD_SUFFIX } from '../../src/protocol/audit';
import type { ChartDef, RunData } from './model';

export const AUDIT_CHART_PREFIX = 'audit-';

export function hasAudit(run: RunData): boolean {
  return AUDIT_SERIES_PREFIX + AUDIT_CHECKS[0].key in run.metrics.series;
}

/** One chart per check when a shown run has an audit, else none. */
export function auditCharts(runs: readonly RunData[]): readonly ChartDef[] {
  return runs.some(hasAudit) ? AUDIT_CHARTS : [];
}

const AUDIT_CHARTS: readonly ChartDef[] = AUDIT_CHECKS.map((check) => ({
  id: AUDIT_CHART_PREFIX + check.key,
  title: `Audit: ${check.label}`,
  share: check.share,
  lines: (run: RunData) =>
    hasAudit(run)
      ? [
          { key: AUDIT_SERIES_PREFIX + check.key, label: check.label, source: 'metrics' as const },
          {
            key: AUDIT_SERIES_PREFIX + check.key + AUDIT_THRESHOLD_SUFFIX,
            label: 'threshold',
            source: 'metrics' as const,
          },
        ]
      : [],
}));

export interface AuditRow {
  run: string;
  check: string;
  label: string;
  /** the newest value, null when the run has none yet */
  value: number | null;
  threshold: number | null;
  /** the first step whose value went above the threshold */
  crossedAt: number | null;
}

function last(values: readonly (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--)
    if (values[i] !== null && values[i] !== undefined) return values[i]!;
  return null;
}

/** Per run with an audit and per check: the newest value, the threshold, and where it was first crossed. */
export function auditRows(runs: readonly RunData[]): AuditRow[] {
  const rows: AuditRow[] = [];
  for (const run of runs.filter(hasAudit)) {
    for (const check of AUDIT_CHECKS) {
      const values = run.metrics.series[AUDIT_SERIES_PREFIX + check.key] ?? [];
      const limits = run.metrics.series[AUDIT_SERIES_PREFIX + check.key + AUDIT_THRESHOLD_SUFFIX] ?? [];
      const crossed = values.findIndex((v, i) => v !== null && limits[i] !== null && v > limits[i]!);
      rows.push({
        run: run.label,
        check: check.key,
        label: check.label,
        value: last(values),
        threshold: last(limits),
        crossedAt: crossed < 0 ? null : (run.metrics.step[crossed] ?? null),
      });
    }
  }
  return rows;
}

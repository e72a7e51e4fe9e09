// The run audit on the dashboard: audit.jsonl's checks joined to the metrics columns by step, as `audit.<check>`
// series with their thresholds beside them (`audit.<check>.threshold`), so the page draws them with its own charts.
import type { AuditRecord, AuditThresholds } from '../../protocol/audit';
import {
  AUDIT_CHECKS,
  AUDIT_SERIES_PREFIX,
  AUDIT_THRESHOLD_SUFFIX,
  auditCheckValues,
} from '../../protocol/audit';
import type { MetricColumns } from '../../protocol/dashboard';

export function withAuditSeries(
  columns: MetricColumns,
  audits: readonly AuditRecord[],
  thresholds: AuditThresholds,
): MetricColumns {
  if (audits.length === 0) return columns;
  const byStep = new Map(audits.map((a) => [a.step, auditCheckValues(a)]));
  const series = { ...columns.series };
  for (const check of AUDIT_CHECKS) {
    const key = AUDIT_SERIES_PREFIX + check.key;
    series[key] = columns.step.map((s) => byStep.get(s)?.[check.key] ?? null);
    series[key + AUDIT_THRESHOLD_SUFFIX] = columns.step.map(() => thresholds[check.key]);
  }
  return { ...columns, series };
}

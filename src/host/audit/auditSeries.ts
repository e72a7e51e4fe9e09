// The run audit on the dashboard: audit.jsonl's checks joined to the metrics columns by step, as `audit.<check>`
// series with their thresholds beside them (`audit.<check>.threshold`), so the page draws them with its own charts.
import type { AuditThresholds } from '../../protocol/audit';
import { AUDIT_CHECKS, AUDIT_SERIES_PREFIX, AUDIT_THRESHOLD_SUFFIX } from '../../protocol/audit';
import type { MetricColumns } from '../../protocol/dashboard';
import type { AuditTable } from '../../runDir/followColumns';

export function withAuditSeries(
  columns: MetricColumns,
  audits: AuditTable,
  thresholds: AuditThresholds,
): MetricColumns {
  if (audits.length === 0) return columns;
  const rows = columns.step.map((s) => audits.rowOf(s));
  const series = { ...columns.series };
  for (const check of AUDIT_CHECKS) {
    const key = AUDIT_SERIES_PREFIX + check.key;
    series[key] = rows.map((row) => audits.value(check.key, row));
    series[key + AUDIT_THRESHOLD_SUFFIX] = columns.step.map(() => thresholds[check.key]);
  }
  return { ...columns, series };
}

// Which audit thresholds a run's new audit records cross: pure, so the unit tier checks it; auditWatch.ts turns
// each first crossing of a run into a notification.
import type { AuditCheckKey, AuditRecord, AuditThresholds } from '../../protocol/audit';
import { AUDIT_CHECKS, auditCheckValues } from '../../protocol/audit';

export interface AuditCrossing {
  check: AuditCheckKey;
  label: string;
  step: number;
  value: number;
  threshold: number;
  /** completions the audit flagged at that step */
  flagged: number;
}

/** The first crossing (value > threshold) of each check not in `seen`, in record order; adds them to `seen`. */
export function newCrossings(
  records: readonly AuditRecord[],
  thresholds: AuditThresholds,
  seen: Set<AuditCheckKey>,
): AuditCrossing[] {
  const found: AuditCrossing[] = [];
  for (const r of records) {
    const values = auditCheckValues(r);
    for (const check of AUDIT_CHECKS) {
      const value = values[check.key];
      const threshold = thresholds[check.key];
      if (seen.has(check.key) || value === null || !(value > threshold)) continue;
      seen.add(check.key);
      found.push({
        check: check.key,
        label: check.label,
        step: r.step,
        value,
        threshold,
        flagged: r.flagged,
      });
    }
  }
  return found;
}

/** One line for a notification. */
export function crossingText(runLabel: string, crossings: readonly AuditCrossing[]): string {
  const what = crossings
    .map((c) => `${c.label} ${Number(c.value.toFixed(3))} > ${c.threshold} at step ${c.step}`)
    .join('; ');
  const flagged = crossings.reduce((n, c) => Math.max(n, c.flagged), 0);
  return `BNPO audit: run ${runLabel} may be gaming its rules: ${what}.${flagged > 0 ? ` ${flagged} completions flagged.` : ''}`;
}

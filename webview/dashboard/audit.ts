// The dashboard's Audit section: a heading and a table of each run's newest audit values against the thresholds
// (bnpo.audit.thresholds), above the audit charts that main.ts draws from AUDIT_CHARTS. Text only via textContent.
import { element, formatNumber } from '../shared/page';
import { AUDIT_CHART_PREFIX, auditRows } from './auditModel';
import type { RunData } from './model';

/**
 * Puts (or refreshes) the section's heading and table before the first audit chart of `grid`. Returns true when
 * the runs have an audit but the grid has no audit charts yet (the audit arrived after the charts were built).
 */
export function renderAudit(grid: HTMLElement, runs: readonly RunData[]): boolean {
  const rows = auditRows(runs);
  const firstChart = grid.querySelector(`[data-chart^="${AUDIT_CHART_PREFIX}"]`);
  const existing = grid.querySelector<HTMLElement>('[data-testid="audit-section"]');
  if (rows.length === 0 || firstChart === null) {
    existing?.remove();
    return rows.length > 0;
  }
  // updated in place on every append: the section stays the same element
  const section =
    existing ?? element('section', undefined, { class: 'audit', 'data-testid': 'audit-section' });
  section.style.gridColumn = '1 / -1';
  const table = element('table', undefined, { class: 'audit-table' });
  const head = element('tr');
  for (const h of ['Run', 'Check', 'Latest', 'Threshold', 'Crossed at']) head.append(element('th', h));
  table.append(head);
  for (const r of rows) {
    const tr = element('tr', undefined, {
      'data-check': r.check,
      class: r.crossedAt === null ? '' : 'crossed',
    });
    tr.append(
      element('td', r.run),
      element('td', r.label),
      element('td', formatNumber(r.value)),
      element('td', formatNumber(r.threshold)),
      element('td', r.crossedAt === null ? '–' : `step ${r.crossedAt}`),
    );
    table.append(tr);
  }
  const crossed = rows.filter((r) => r.crossedAt !== null).length;
  section.replaceChildren(
    element('h2', 'Audit'),
    element(
      'p',
      crossed === 0
        ? 'No audit check is above its threshold (set them in bnpo.audit.thresholds).'
        : `${crossed} ${crossed === 1 ? 'check went above its threshold' : 'checks went above their thresholds'}: the policy may be gaming its rules. See docs/reward-audit.md.`,
    ),
    table,
  );
  if (section.nextElementSibling !== firstChart) grid.insertBefore(section, firstChart);
  return false;
}

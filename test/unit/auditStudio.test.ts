import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crossingText, newCrossings } from '../../src/host/audit/auditCrossings';
import { withAuditSeries } from '../../src/host/audit/auditSeries';
import { configFrom } from '../../src/host/config';
import type { AuditCheckKey, AuditRecord } from '../../src/protocol/audit';
import { AuditRecordSchema, auditCheckValues, DEFAULT_AUDIT_THRESHOLDS } from '../../src/protocol/audit';
import { MetricColumnsSchema } from '../../src/protocol/dashboard';
import { AuditTable } from '../../src/runDir/followColumns';
import { auditCharts, auditRows } from '../../webview/dashboard/auditModel';
import { chartLines, toRunData } from '../../webview/dashboard/model';
import { auditRecord } from './studioFixtures';

const audits = [
  auditRecord(1, 0, 1),
  auditRecord(2, 0.25, 1.2),
  auditRecord(3, 0.75, 1.8),
  auditRecord(4, 0.875, 2),
];

/** The records as the follower keeps them: one column per check. */
function auditTable(records: readonly AuditRecord[]): AuditTable {
  const table = new AuditTable();
  for (const r of records) table.push(r);
  return table;
}

describe('run audit in the studio', () => {
  it('checks the duplicates that fail accuracy where the record has them, else every duplicate', () => {
    const converging = {
      ...auditRecord(5, 0.9, 1),
      duplicateFailingShare: 0.05,
      formatNotAccuracyRise: -0.2,
    };
    assert.equal(auditCheckValues(AuditRecordSchema.parse(converging)).duplicates, 0.05);
    assert.equal(auditCheckValues(AuditRecordSchema.parse(converging)).formatNotAccuracyRise, -0.2);
    assert.equal(auditCheckValues(auditRecord(5, 0.9, 1)).duplicates, 0.9, 'an older record');
  });

  it('reports each check the first time it goes above its threshold', () => {
    const seen = new Set<AuditCheckKey>();
    const first = newCrossings(audits.slice(0, 3), DEFAULT_AUDIT_THRESHOLDS, seen);
    assert.deepEqual(
      first.map((c) => [c.check, c.step, c.value, c.threshold]),
      [
        ['lengthDrift', 3, 1.8, 1.5],
        ['duplicates', 3, 0.75, 0.5],
      ],
    );
    assert.deepEqual(newCrossings(audits.slice(3), DEFAULT_AUDIT_THRESHOLDS, seen), []);
    assert.equal(
      crossingText('r1', first),
      'BNPO audit: run r1 may be gaming its rules: mean length / start 1.8 > 1.5 at step 3; duplicates failing accuracy 0.75 > 0.5 at step 3. 6 completions flagged.',
    );
    assert.deepEqual(
      newCrossings(audits, { ...DEFAULT_AUDIT_THRESHOLDS, duplicates: 0.9, lengthDrift: 5 }, new Set()),
      [],
    );
  });

  it('takes thresholds from the setting over the defaults, ignoring what is not a number', () => {
    const settings = {
      get: <T>(key: string, d: T): T =>
        key === 'audit.thresholds' ? ({ duplicates: 0.2, atCap: 'x' } as T) : d,
    };
    const { auditThresholds } = configFrom(settings, undefined);
    assert.deepEqual(auditThresholds, { ...DEFAULT_AUDIT_THRESHOLDS, duplicates: 0.2 });
  });

  it('joins audit checks to the metrics columns by step and draws them with thresholds', () => {
    const columns = { step: [1, 2, 3, 5], wall: [1, 2, 3, 5], series: { reward: [0, 0.1, 0.2, 0.3] } };
    const joined = MetricColumnsSchema.parse(
      withAuditSeries(columns, auditTable(audits), DEFAULT_AUDIT_THRESHOLDS),
    );
    assert.deepEqual(joined.series['audit.duplicates'], [0, 0.25, 0.75, null]);
    assert.deepEqual(joined.series['audit.duplicates.threshold'], [0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual(joined.series['audit.formatNotAccuracyRise'], [null, null, null, null]);
    assert.deepEqual(withAuditSeries(columns, auditTable([]), DEFAULT_AUDIT_THRESHOLDS), columns);

    const run = toRunData({
      id: 'r',
      label: 'r1',
      status: 'running',
      rules: [],
      metrics: joined,
      heldOut: { step: [], wall: [], accuracy: [] },
    });
    const plain = toRunData({
      id: 'p',
      label: 'p',
      status: 'completed',
      rules: [],
      metrics: columns,
      heldOut: { step: [], wall: [], accuracy: [] },
    });
    assert.deepEqual(auditCharts([plain]), []);
    const charts = auditCharts([run, plain]);
    assert.equal(charts.length, 7);
    const dup = charts.find((c) => c.id === 'audit-duplicates')!;
    assert.deepEqual(
      chartLines(dup, [run, plain]).map((l) => [l.run.id, l.line.key]),
      [
        ['r', 'audit.duplicates'],
        ['r', 'audit.duplicates.threshold'],
      ],
    );
    const rows = auditRows([run, plain]);
    assert.equal(rows.length, 7);
    assert.deepEqual(
      rows.find((r) => r.check === 'duplicates'),
      {
        run: 'r1',
        check: 'duplicates',
        label: 'duplicates failing accuracy',
        value: 0.75,
        threshold: 0.5,
        crossedAt: 3,
      },
    );
    assert.equal(rows.find((r) => r.check === 'atCap')?.crossedAt, null);
  });
});

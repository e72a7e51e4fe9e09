// A followed run's metrics as typed columns: one Float64Array per series (NaN where a step has no value), so
// 100,000 steps of a run cost about 100 bytes a step instead of a parsed record's kilobytes. What the dashboard
// draws comes from here; a record's other fields (Beta fits, timings) are read from the file when asked for. The
// run audit's checks (audit.jsonl) are kept the same way, one column per check, beside the metrics.
import { AUDIT_CHECKS, auditCheckValues } from '../protocol/audit';
import type { AuditCheckKey, AuditRecord } from '../protocol/audit';
import { RULE_SERIES_PREFIX, SCALAR_SERIES } from '../protocol/dashboard';
import type { MetricColumns } from '../protocol/dashboard';
import type { MetricsRecord } from '../protocol/runDir';

/** A growing column of numbers in one typed array (doubling), so a million entries stay a few MB. */
export class Column {
  private data: Float64Array;
  length = 0;

  constructor(capacity = 64) {
    this.data = new Float64Array(capacity);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  at(i: number): number {
    return this.data[i]!;
  }

  get bytes(): number {
    return this.data.byteLength;
  }
}

/** The series of a metrics record kept as columns, besides step, wall and time (seconds since the epoch). */
const KEPT = [...SCALAR_SERIES, 'tokensPerSecond', 'lr'] as const;
type Kept = (typeof KEPT)[number];

export class MetricTable {
  private readonly columns = new Map<string, Column>();
  private rows = 0;
  /** The audit checks of the same run, joined to these rows by step when drawn (audit.jsonl is its own stream). */
  readonly audit = new AuditTable();

  constructor() {
    for (const key of ['step', 'wall', 'time', ...KEPT]) this.columns.set(key, new Column());
  }

  get length(): number {
    return this.rows;
  }

  push(record: MetricsRecord): void {
    this.column('step').push(record.step);
    this.column('wall').push(record.wall);
    this.column('time').push(Date.parse(record.time) / 1000);
    for (const key of KEPT) this.column(key).push(record[key] ?? NaN);
    for (const [rule, value] of Object.entries(record.rewards)) {
      const key = RULE_SERIES_PREFIX + rule;
      if (!this.columns.has(key)) {
        // A rule that appears later (rules changed between resumes) had no value before.
        const column = new Column();
        for (let i = 0; i < this.rows; i++) column.push(NaN);
        this.columns.set(key, column);
      }
      this.column(key).push(value);
    }
    this.rows++;
    for (const column of this.columns.values()) if (column.length < this.rows) column.push(NaN);
  }

  /** The value of `key` (`reward`, `rewards.<rule>`, …) at row `i`; null where the step had none. */
  value(key: Kept | 'step' | 'wall' | `${typeof RULE_SERIES_PREFIX}${string}`, i: number): number | null {
    const column = this.columns.get(key);
    if (column === undefined || i < 0 || i >= this.rows) return null;
    const v = column.at(i);
    return Number.isNaN(v) ? null : v;
  }

  /** Rows `from` on as the dashboard's columns: the scalar series and the rules' rewards. */
  toColumns(rules: readonly string[], from = 0): MetricColumns {
    const range = (key: string): (number | null)[] => {
      const out: (number | null)[] = [];
      const column = this.columns.get(key);
      for (let i = from; i < this.rows; i++) {
        const v = column === undefined ? NaN : column.at(i);
        out.push(Number.isNaN(v) ? null : v);
      }
      return out;
    };
    const series: Record<string, (number | null)[]> = {};
    for (const key of SCALAR_SERIES) series[key] = range(key);
    for (const rule of rules) series[RULE_SERIES_PREFIX + rule] = range(RULE_SERIES_PREFIX + rule);
    const step = range('step') as number[];
    const wall = range('wall') as number[];
    const time = range('time');
    // A record whose time does not parse leaves the absolute-time axis out rather than drawing it at 1970.
    return time.every((t) => t !== null) ? { step, wall, time: time, series } : { step, wall, series };
  }

  /** The wall time of the row with this step (for placing held-out evaluations), 0 when there is none. */
  wallAt(step: number): number {
    const steps = this.column('step');
    let lo = 0;
    let hi = this.rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (steps.at(mid) < step) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.rows && steps.at(lo) === step ? this.column('wall').at(lo) : 0;
  }

  get bytes(): number {
    let n = this.audit.bytes;
    for (const column of this.columns.values()) n += column.bytes;
    return n;
  }

  private column(key: string): Column {
    return this.columns.get(key)!;
  }
}

/** audit.jsonl's checks as columns (about 64 bytes a step instead of a parsed record's kilobyte), found by step. */
export class AuditTable {
  private readonly steps = new Column();
  private readonly checks = new Map<AuditCheckKey, Column>(AUDIT_CHECKS.map((c) => [c.key, new Column()]));
  /** Steps arrive ascending (the trainer's order); if one ever does not, lookups scan instead of bisecting. */
  private sorted = true;

  get length(): number {
    return this.steps.length;
  }

  push(record: AuditRecord): void {
    const n = this.steps.length;
    if (n > 0 && record.step < this.steps.at(n - 1)) this.sorted = false;
    this.steps.push(record.step);
    const values = auditCheckValues(record);
    for (const [key, column] of this.checks) column.push(values[key] ?? NaN);
  }

  /** The row of `step` (its last record, as a later line wins), -1 when the audit has none. */
  rowOf(step: number): number {
    const n = this.steps.length;
    if (!this.sorted) {
      for (let i = n - 1; i >= 0; i--) if (this.steps.at(i) === step) return i;
      return -1;
    }
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.steps.at(mid) <= step) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && this.steps.at(lo - 1) === step ? lo - 1 : -1;
  }

  /** The value of `check` at `row` (from rowOf); null where there is none. */
  value(check: AuditCheckKey, row: number): number | null {
    if (row < 0 || row >= this.steps.length) return null;
    const v = this.checks.get(check)!.at(row);
    return Number.isNaN(v) ? null : v;
  }

  get bytes(): number {
    let n = this.steps.bytes;
    for (const column of this.checks.values()) n += column.bytes;
    return n;
  }
}

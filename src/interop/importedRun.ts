// Foreign scalar points → the project's imported run records (src/protocol/importedRun.ts): one record per step,
// each mapped name on its MetricsRecord field, per-rule rewards under `rewards`, the rest under `extra`.
import { RUN_DIR_VERSION } from '../protocol/runDir';
import type { ImportedMetricsRecord } from '../protocol/importedRun';
import type { MetricTarget } from './metricNames';
import { mapMetricName } from './metricNames';
import type { ScalarPoint } from './scalars';

export interface SeriesName {
  readonly tag: string;
  /** A record field (`loss`), `rewards.<rule>` or `extra.<name>`. */
  readonly as: string;
}

function targetPath(target: MetricTarget): string {
  if (target.kind === 'field') return target.field;
  return target.kind === 'rule' ? `rewards.${target.rule}` : `extra.${target.name}`;
}

/**
 * Accumulates points (in any order, possibly over several polls) into per-step records. A tag logged twice at the
 * same step keeps its last value: a resumed run re-logs the steps after its checkpoint.
 */
export class ImportedRunBuilder {
  private readonly byStep = new Map<number, ImportedMetricsRecord>();
  private readonly targets = new Map<string, MetricTarget>();
  private readonly ruleNames: string[] = [];

  add(points: readonly ScalarPoint[]): void {
    for (const point of points) this.addPoint(point);
  }

  private addPoint({ tag, step, value, wallTime }: ScalarPoint): void {
    // NaN and ±Infinity (a diverged loss) have no JSON form; the chart shows the gap as a missing value.
    if (!Number.isFinite(value)) return;
    let target = this.targets.get(tag);
    if (target === undefined) {
      target = mapMetricName(tag);
      this.targets.set(tag, target);
      if (target.kind === 'rule' && !this.ruleNames.includes(target.rule)) this.ruleNames.push(target.rule);
    }
    let record = this.byStep.get(step);
    if (record === undefined) {
      record = { v: RUN_DIR_VERSION, step, wall: null, rewards: {}, extra: {} };
      this.byStep.set(step, record);
    }
    if (wallTime !== undefined) record.wall = Math.max(record.wall ?? wallTime, wallTime);
    if (target.kind === 'field') record[target.field] = value;
    else if (target.kind === 'rule') record.rewards[target.rule] = value;
    else record.extra[target.name] = value;
  }

  /** Every record so far, in step order. */
  records(): ImportedMetricsRecord[] {
    return [...this.byStep.values()].sort((a, b) => a.step - b.step);
  }

  get rules(): readonly string[] {
    return this.ruleNames;
  }

  /** Every source name seen and what it became, in first-seen order. */
  series(): SeriesName[] {
    return [...this.targets].map(([tag, target]) => ({ tag, as: targetPath(target) }));
  }
}

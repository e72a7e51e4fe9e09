// Our run records → TensorBoard scalars. Tags are our own names (`reward`, `rewards/<rule>`, `loss`, …, and
// `eval/…` for held-out evaluations), so importing an export maps every series back onto the same field.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EvalRecord, MetricsRecord } from '../protocol/runDir';
import { MAPPED_FIELDS, ruleRewardTag } from './metricNames';
import { EVENT_FILE_PREFIX, fileVersionRecord, scalarEventRecord } from './tensorboardEvents';

export interface TensorBoardStep {
  readonly step: number;
  /** Unix seconds. */
  readonly wallTime: number;
  readonly values: readonly { tag: string; value: number }[];
}

function wallOf(iso: string): number {
  return Date.parse(iso) / 1000;
}

/** The scalars of one metrics record; a value the step did not have (a skipped update's loss) is left out. */
export function metricsScalars(record: MetricsRecord): TensorBoardStep {
  const values: { tag: string; value: number }[] = [];
  for (const field of MAPPED_FIELDS) {
    const value = record[field];
    if (value !== null && Number.isFinite(value)) values.push({ tag: field, value });
  }
  for (const [rule, value] of Object.entries(record.rewards))
    values.push({ tag: ruleRewardTag(rule), value });
  for (const [rule, fit] of Object.entries(record.beta)) {
    values.push(
      { tag: `beta/${rule}/alpha`, value: fit.alpha },
      { tag: `beta/${rule}/beta`, value: fit.beta },
    );
  }
  for (const [part, ms] of Object.entries(record.timings))
    values.push({ tag: `timings/${part}_ms`, value: ms });
  values.push({ tag: 'skippedSteps', value: record.skippedSteps });
  return { step: record.step, wallTime: wallOf(record.time), values };
}

/** The scalars of one held-out evaluation, under `eval/`. */
export function evalScalars(record: EvalRecord): TensorBoardStep {
  const values = [{ tag: 'eval/accuracy', value: record.accuracy }];
  for (const [rule, value] of Object.entries(record.rewards))
    values.push({ tag: `eval/rewards/${rule}`, value });
  return { step: record.step, wallTime: wallOf(record.time), values };
}

/**
 * Writes one event file into `dir` (created if needed) holding `steps` in order, named the way TensorBoard names
 * its own (`events.out.tfevents.<seconds>.<host>`), and returns its path.
 */
export function writeEventFile(dir: string, steps: readonly TensorBoardStep[], suffix = '.bnpo'): string {
  fs.mkdirSync(dir, { recursive: true });
  const start = steps[0]?.wallTime ?? Date.now() / 1000;
  const file = path.join(dir, `${EVENT_FILE_PREFIX}${Math.floor(start)}.${os.hostname()}${suffix}`);
  const chunks = [fileVersionRecord(start)];
  for (const s of steps)
    if (s.values.length > 0) chunks.push(scalarEventRecord(s.step, s.wallTime, s.values));
  fs.writeFileSync(file, Buffer.concat(chunks));
  return file;
}

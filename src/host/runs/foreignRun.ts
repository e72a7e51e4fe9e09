// A run another tool logs (TensorBoard event files, TRL's trainer_state.json, verl's file-logger JSONL), followed
// like one of ours so the Runs view lists it and the run panels open it. Its points become imported records
// (src/interop/importedRun.ts) held in memory; nothing is written next to the user's logs. The other tool keeps no
// status: the run reads as running while its log grew in the last RUNNING_QUIET_MS, else as completed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ForeignLogFollower } from '../../interop/logFollowers';
import { ImportedRunBuilder } from '../../interop/importedRun';
import type { SeriesName } from '../../interop/importedRun';
import type { ImportSource, ImportedMetricsRecord } from '../../protocol/importedRun';
import type { EvalRecord, RunInfo, RunStatus } from '../../protocol/runDir';
import type { RunChange } from './runFollower';

/** How long a foreign log may stay unchanged and still read as running. */
export const RUNNING_QUIET_MS = 60_000;

export const SOURCE_LABELS: Readonly<Record<ImportSource, string>> = {
  tensorboard: 'TensorBoard',
  trl: 'TRL',
  verl: 'verl',
};

export class ForeignRun {
  readonly id: string;
  /** The folder the log is in (the followed folder for TensorBoard and TRL, the JSONL file's folder for verl). */
  readonly dir: string;
  readonly info: RunInfo | undefined = undefined;
  infoProblem: string | undefined;
  /** Held-out evaluations: a foreign log has none of ours. */
  readonly evals: readonly EvalRecord[] = [];
  /** One record per logged step, in step order. */
  imported: ImportedMetricsRecord[] = [];
  private readonly builder = new ImportedRunBuilder();
  private lastChange = 0;
  /** The status the last change reported: time alone turns a quiet log from running to completed. */
  private reported: RunStatus | undefined;

  constructor(
    private readonly log: ForeignLogFollower,
    private readonly now: () => number = Date.now,
  ) {
    const file = fs.statSync(log.path, { throwIfNoEntry: false })?.isFile() === true;
    this.dir = file ? path.dirname(log.path) : log.path;
    this.id =
      file && log.source === 'verl'
        ? `${path.basename(this.dir)}-${path.parse(log.path).name}`
        : path.basename(this.dir);
  }

  get source(): ImportSource {
    return this.log.source;
  }

  /** The file or folder being followed. */
  get logPath(): string {
    return this.log.path;
  }

  get label(): string {
    return this.id;
  }

  get rules(): string[] {
    return [...this.builder.rules];
  }

  get status(): RunStatus {
    return this.now() - this.lastChange < RUNNING_QUIET_MS ? 'running' : 'completed';
  }

  get failure(): string | undefined {
    return undefined;
  }

  /** The last logged step, or undefined before the first. */
  get lastStep(): number | undefined {
    return this.imported[this.imported.length - 1]?.step;
  }

  /** Every source name and the series it became. */
  series(): SeriesName[] {
    return this.builder.series();
  }

  lastLogLines(): string[] {
    return [];
  }

  /** Reads what the tool wrote since the last call; undefined when nothing changed. */
  poll(): RunChange | undefined {
    let points;
    try {
      points = this.log.poll();
      this.infoProblem = undefined;
    } catch (err) {
      // Corrupt input stops the reading of this log where it is: the problem is shown, what was read stays.
      const problem = (err as Error).message;
      const changed = problem !== this.infoProblem;
      this.infoProblem = problem;
      return changed ? change(true, false, []) : undefined;
    }
    if (points.length === 0) return this.statusChanged() ? change(true, false, []) : undefined;
    const before = this.lastStep;
    this.lastChange = Math.max(this.lastChange, Math.min(lastWrite(this.log.path) ?? this.now(), this.now()));
    const names = this.builder.series().length;
    this.builder.add(points);
    const records = this.builder.records();
    this.imported = records;
    // A point at a step already shown (a tag logged later for that step, a resume re-logging steps) or a new
    // series (a column the page's rows lack) changes what the page has: it takes everything again.
    const rewritten = before !== undefined && points.some((p) => p.step <= before);
    if (rewritten || (before !== undefined && this.builder.series().length !== names)) {
      this.statusChanged();
      return change(true, true, []);
    }
    const added = records.filter((r) => before === undefined || r.step > before);
    return change(this.statusChanged(), false, added);
  }

  private statusChanged(): boolean {
    const changed = this.reported !== this.status;
    this.reported = this.status;
    return changed;
  }
}

/** When the log was last written: the file's time, or a folder's newest entry's (event files, checkpoint-N/). */
function lastWrite(target: string): number | undefined {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (stat === undefined || stat.isFile()) return stat?.mtimeMs;
  let newest: number | undefined;
  for (const name of fs.readdirSync(target)) {
    const entry = fs.statSync(path.join(target, name), { throwIfNoEntry: false });
    if (entry !== undefined) newest = Math.max(newest ?? 0, entry.mtimeMs);
  }
  return newest;
}

function change(info: boolean, reset: boolean, imported: readonly ImportedMetricsRecord[]): RunChange {
  return { info, reset, metrics: [], groups: [], sampledSteps: [], evals: [], audits: [], imported };
}

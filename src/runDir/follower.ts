// Follows one run directory: run.json re-read when it changes, every JSONL stream read incrementally (a chunk at a
// time, records handed on as parsed; a first read skips, unparsed, what it would not keep), and only what the host
// shows kept: samples.jsonl as byte offsets by step (followIndex.ts) read again from disk on demand, the newest few
// metrics and groups records (a row's figures, joining a step's halves), the held-out evaluations (a few per run),
// and, only while a panel charts the run, its metrics and audit checks as typed columns (followColumns.ts: read from
// the files once when asked for, then extended as steps arrive). So the host's memory does not grow with a run's
// length, nor peak with its first read.
// No VS Code here, so unit tests drive it. A run whose run.json still says `running` while its trainer process is
// gone (killed with SIGKILL, machine reboot) is reported as failed: nothing else would ever update its status.
import * as os from 'node:os';
import * as path from 'node:path';
import type { AuditRecord } from '../protocol/audit';
import { AuditRecordSchema } from '../protocol/audit';
import type { ImportedMetricsRecord } from '../protocol/importedRun';
import type { JsonlProblem } from '../protocol/jsonl';
import {
  EvalRecordSchema,
  GroupsRecordSchema,
  MetricsRecordSchema,
  SamplesRecordSchema,
} from '../protocol/runDir';
import type {
  EvalRecord,
  GroupsRecord,
  MetricsRecord,
  RunInfo,
  RunStatus,
  SamplesRecord,
} from '../protocol/runDir';
import { JsonlFollower, lastLines } from './follow';
import { MetricTable } from './followColumns';
import { StepIndexFollower } from './followIndex';
import { readJsonlFile } from './jsonl';
import { runFile } from './layout';
import { isStale, processAlive, readLock } from './lock';
import { readRunInfoResult, runInfoStamp } from './runInfo';

/** Newest metrics and groups records kept whole: a step's fit and its p̂ are joined when the second arrives. */
const RECENT = 16;
/** Newest line problems kept: a broken writer must not grow them without bound. */
const PROBLEMS = 50;
/**
 * Most records of one stream a change carries. A poll that read more (the first read of a long run, a catch-up
 * after the host slept) carries none and says `reset`: its consumers take the run afresh from the columns, and no
 * one holds a long file's records at once.
 */
export const MAX_CHANGE_RECORDS = 1000;

export interface RunChange {
  /** run.json (or the derived status) changed. */
  readonly info: boolean;
  /** A stream was replaced, or more was read than a change carries: consumers take the run afresh. */
  readonly reset: boolean;
  readonly metrics: readonly MetricsRecord[];
  readonly groups: readonly GroupsRecord[];
  /** Steps whose sampled groups grew (read them with readSamples). */
  readonly sampledSteps: readonly number[];
  readonly evals: readonly EvalRecord[];
  /** audit.jsonl's records (none for runs written without the audit). */
  readonly audits: readonly AuditRecord[];
  /** Steps another tool logged since the last change (a followed foreign log; see src/host/runs/foreignRun.ts). */
  readonly imported?: readonly ImportedMetricsRecord[];
}

export class RunFollower {
  readonly id: string;
  info: RunInfo | undefined;
  /** Why run.json could not be used, when it could not. */
  infoProblem: string | undefined;
  /** Every step's scalar series while a panel charts the run (see columns()); undefined otherwise. */
  private table: MetricTable | undefined;
  /** The newest metrics and groups records (at most RECENT of each), whole. */
  readonly recentMetrics: MetricsRecord[] = [];
  readonly recentGroups: GroupsRecord[] = [];
  readonly evals: EvalRecord[] = [];
  readonly problems: JsonlProblem[] = [];
  private processGone = false;
  /** A live process on this machine holds run.lock: the run is being written, whatever run.json says yet. */
  private locked = false;
  private infoStamp = '';
  private streams: ReturnType<RunFollower['createStreams']>;
  /** The streams have been read once (their history skipped, see skipHistory). */
  private primed = false;

  constructor(
    readonly dir: string,
    private readonly isAlive: (pid: number) => boolean = processAlive,
  ) {
    this.id = path.basename(dir);
    this.streams = this.createStreams();
  }

  get logFile(): string {
    return runFile(this.dir, 'log');
  }

  /**
   * The status to show: `running` while a live trainer holds the lock (a resume from a terminal, before it rewrote
   * run.json); else run.json's, except `failed` for a `running` run whose trainer is gone.
   */
  get status(): RunStatus {
    if (this.locked) return 'running';
    const status = this.info?.status ?? 'failed';
    return status === 'running' && this.processGone ? 'failed' : status;
  }

  /** Why the run failed, in one line; undefined unless it did. */
  get failure(): string | undefined {
    if (this.status !== 'failed') return undefined;
    if (this.info?.error) return this.info.error.message;
    if (this.processGone)
      return `the trainer process (pid ${this.info?.pid ?? '?'}) ended without finishing the run`;
    return this.infoProblem ?? 'failed';
  }

  get label(): string {
    return this.info?.config.name ?? this.id;
  }

  get rules(): string[] {
    return this.info?.rules ?? [];
  }

  lastLogLines(count: number): string[] {
    return lastLines(this.logFile, count);
  }

  /** Reads what changed on disk since the last call; undefined when nothing did. */
  poll(): RunChange | undefined {
    const info = this.readInfo();
    let skipped = this.skipHistory();
    let read = this.readStreams();
    const replaced = Object.values(read).some((r) => r.reset);
    if (replaced) {
      // Take every stream afresh: appending to some and not others would mix two versions of the run.
      this.streams = this.createStreams();
      this.primed = false;
      this.table = undefined;
      this.recentMetrics.length = 0;
      this.recentGroups.length = 0;
      this.evals.length = 0;
      this.problems.length = 0;
      skipped = this.skipHistory();
      read = this.readStreams();
    }
    this.problems.push(
      ...read.metrics.problems,
      ...read.groups.problems,
      ...read.evals.problems,
      ...read.audits.problems,
    );
    if (this.problems.length > PROBLEMS) this.problems.splice(0, this.problems.length - PROBLEMS);
    const { metrics, groups, evals, audits } = read;
    const tooMany = [metrics, groups, evals, audits].some((r) => r.overflow);
    if (replaced || tooMany || skipped)
      return { info: true, reset: true, metrics: [], groups: [], sampledSteps: [], evals: [], audits: [] };
    const added =
      metrics.records.length +
      groups.records.length +
      read.samples.steps.length +
      evals.records.length +
      audits.records.length;
    if (!info && added === 0) return undefined;
    return {
      info,
      reset: false,
      metrics: metrics.records,
      groups: groups.records,
      sampledSteps: read.samples.steps,
      evals: evals.records,
      audits: audits.records,
    };
  }

  /** Every step's scalar series (and audit checks) as typed columns, read from the files on first use, then kept up to date. */
  columns(): MetricTable {
    if (!this.table) {
      const table = new MetricTable();
      // Up to where the streams have read: later records arrive through poll().
      new JsonlFollower(runFile(this.dir, 'metrics'), MetricsRecordSchema).readEach(
        (record) => table.push(record),
        this.streams.metrics.consumed,
      );
      new JsonlFollower(runFile(this.dir, 'audit'), AuditRecordSchema).readEach(
        (record) => table.audit.push(record),
        this.streams.audits.consumed,
      );
      this.table = table;
    }
    return this.table;
  }

  /** Drops the columns (no panel charts the run any more); columns() reads them again. */
  releaseColumns(): void {
    this.table = undefined;
  }

  /** The newest metrics record, undefined before the first. */
  get lastMetrics(): MetricsRecord | undefined {
    return this.recentMetrics[this.recentMetrics.length - 1];
  }

  /** Steps with sampled groups, ascending. */
  sampleSteps(): number[] {
    return this.streams.samples.index.stepList();
  }

  /** One step's sampled groups, read from samples.jsonl now. */
  readSamples(step: number): SamplesRecord[] {
    return this.streams.samples.readStep(step);
  }

  /** Every metrics and groups record, read from the files now (the Beta-fit page's first draw, CSV export). */
  readRecords(): { metrics: MetricsRecord[]; groups: GroupsRecord[] } {
    return {
      metrics: readJsonlFile(runFile(this.dir, 'metrics'), MetricsRecordSchema).records,
      groups: readJsonlFile(runFile(this.dir, 'groups'), GroupsRecordSchema).records,
    };
  }

  /** Bytes the follower holds for the run's series and indexes (for the memory benchmark). */
  get heldBytes(): number {
    return (this.table?.bytes ?? 0) + this.streams.samples.index.bytes;
  }

  private createStreams() {
    return {
      metrics: new JsonlFollower(runFile(this.dir, 'metrics'), MetricsRecordSchema),
      groups: new JsonlFollower(runFile(this.dir, 'groups'), GroupsRecordSchema),
      samples: new StepIndexFollower(runFile(this.dir, 'samples'), SamplesRecordSchema),
      evals: new JsonlFollower(runFile(this.dir, 'eval'), EvalRecordSchema),
      audits: new JsonlFollower(runFile(this.dir, 'audit'), AuditRecordSchema),
    };
  }

  /**
   * The first read of the streams (a run the host starts following, or a rewritten one) parses only what is kept
   * when no panel charts the run: the newest RECENT metrics and groups records, no audit records (the columns read
   * the files when a panel asks). Minutes of parsing for 20 runs of 100,000 steps become a scan for line ends.
   * True when lines were skipped: the poll then says reset, as its change does not carry them.
   */
  private skipHistory(): boolean {
    if (this.primed) return false;
    this.primed = true;
    if (this.table) return false;
    const { metrics, groups, audits } = this.streams;
    return metrics.skipAllBut(RECENT) + groups.skipAllBut(RECENT) + audits.skipAllBut(0) > 0;
  }

  /** Each stream's new records, handed to the columns (while kept) and the newest few as they are parsed. */
  private readStreams() {
    const table = this.table;
    return {
      metrics: readBounded(this.streams.metrics, (r) => {
        table?.push(r);
        keepNewest(this.recentMetrics, r);
      }),
      groups: readBounded(this.streams.groups, (r) => keepNewest(this.recentGroups, r)),
      samples: this.streams.samples.read(),
      evals: readBounded(this.streams.evals, (r) => this.evals.push(r)),
      audits: readBounded(this.streams.audits, (r) => table?.audit.push(r)),
    };
  }

  /** Re-reads run.json when its size or time changed, and re-checks the trainer process; true when the status changed. */
  private readInfo(): boolean {
    const before = `${this.info?.updatedAt ?? ''}|${this.status}|${this.infoProblem ?? ''}`;
    const stamp = runInfoStamp(this.dir);
    if (stamp !== this.infoStamp) {
      this.infoStamp = stamp;
      // A writer that does not replace the file atomically can be caught mid-write; the next change fixes it.
      const read = readRunInfoResult(this.dir);
      if ('info' in read) {
        this.info = read.info;
        this.infoProblem = undefined;
        this.processGone = false;
      } else {
        this.infoProblem = read.problem;
      }
    }
    this.checkTrainer();
    return before !== `${this.info?.updatedAt ?? ''}|${this.status}|${this.infoProblem ?? ''}`;
  }

  /**
   * Whether the run's trainer lives. The lock, where there is one, says (holder pid, host and start time, so a
   * reused pid is not taken for the trainer); without one, run.json's pid. A lock of another machine proves
   * nothing here either way, so run.json is believed.
   */
  private checkTrainer(): void {
    const lock = readLock(this.dir);
    const localLock = lock !== null && lock.host === os.hostname() ? lock : null;
    this.locked = localLock !== null && !isStale(localLock);
    if (this.locked) {
      this.processGone = false;
      return;
    }
    if (this.info?.status !== 'running' || this.processGone) return;
    if (localLock !== null) {
      this.processGone = true;
      return;
    }
    if (
      this.info.pid !== null &&
      // A run written on another machine (a verl driver on a Ray cluster, a shared folder) has a pid we cannot see.
      (this.info.host === undefined || this.info.host === os.hostname())
    ) {
      this.processGone = !this.isAlive(this.info.pid);
    }
  }
}

/** Appends `fresh` to `kept`, keeping its newest RECENT entries. */
function keepNewest<T>(kept: T[], fresh: T): void {
  kept.push(fresh);
  if (kept.length > RECENT) kept.shift();
}

/**
 * One stream's new records, each handed to `keep` as it is parsed; the change gets them too, unless there are more
 * than MAX_CHANGE_RECORDS (then `overflow`, and none).
 */
function readBounded<T>(
  stream: JsonlFollower<T>,
  keep: (record: T) => void,
): { records: T[]; problems: JsonlProblem[]; reset: boolean; overflow: boolean } {
  let records: T[] = [];
  let overflow = false;
  const { problems, reset } = stream.readEach((record) => {
    keep(record);
    if (overflow) return;
    records.push(record);
    if (records.length > MAX_CHANGE_RECORDS) {
      overflow = true;
      records = [];
    }
  });
  return { records, problems: problems.slice(-PROBLEMS), reset, overflow };
}

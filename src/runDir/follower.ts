// Follows one run directory: run.json re-read when it changes, every JSONL stream read incrementally. No VS Code
// here, so unit tests drive it directly. A run whose run.json still says `running` while its trainer process is
// gone (killed with SIGKILL, machine reboot) is reported as failed: nothing else would ever update its status.
import * as os from 'node:os';
import * as path from 'node:path';
import type { AuditRecord } from '../protocol/audit';
import { AuditRecordSchema } from '../protocol/audit';
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
import { runFile } from './layout';
import { isStale, processAlive, readLock } from './lock';
import { readRunInfoResult, runInfoStamp } from './runInfo';

const STREAMS = ['metrics', 'groups', 'samples', 'evals', 'audits'] as const;

export interface RunChange {
  /** run.json (or the derived status) changed. */
  readonly info: boolean;
  /** A stream was replaced: consumers must take the run's arrays afresh instead of appending. */
  readonly reset: boolean;
  readonly metrics: readonly MetricsRecord[];
  readonly groups: readonly GroupsRecord[];
  readonly samples: readonly SamplesRecord[];
  readonly evals: readonly EvalRecord[];
  /** audit.jsonl's records (none for runs written without the audit) */
  readonly audits: readonly AuditRecord[];
}

export class RunFollower {
  readonly id: string;
  info: RunInfo | undefined;
  /** Why run.json could not be used, when it could not. */
  infoProblem: string | undefined;
  readonly metrics: MetricsRecord[] = [];
  readonly groups: GroupsRecord[] = [];
  readonly samples: SamplesRecord[] = [];
  readonly evals: EvalRecord[] = [];
  readonly audits: AuditRecord[] = [];
  readonly problems: JsonlProblem[] = [];
  private processGone = false;
  /** A live process on this machine holds run.lock: the run is being written, whatever run.json says yet. */
  private locked = false;
  private infoStamp = '';
  private streams: ReturnType<RunFollower['createStreams']>;

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
    let read = this.readStreams();
    const reset = Object.values(read).some((r) => r.reset);
    if (reset) {
      // Take every stream afresh: appending to some and not others would mix two versions of the run.
      this.streams = this.createStreams();
      read = this.readStreams();
      for (const key of STREAMS) this[key].length = 0;
      this.problems.length = 0;
    }
    for (const key of STREAMS) (this[key] as unknown[]).push(...read[key].records);
    for (const r of Object.values(read)) this.problems.push(...r.problems);
    // Keep the newest few: a broken writer must not grow this without bound.
    if (this.problems.length > 50) this.problems.splice(0, this.problems.length - 50);
    if (reset)
      return { info: true, reset: true, metrics: [], groups: [], samples: [], evals: [], audits: [] };
    const added = STREAMS.reduce((n, key) => n + read[key].records.length, 0);
    if (!info && added === 0) return undefined;
    return {
      info,
      reset: false,
      metrics: read.metrics.records,
      groups: read.groups.records,
      samples: read.samples.records,
      evals: read.evals.records,
      audits: read.audits.records,
    };
  }

  private createStreams() {
    return {
      metrics: new JsonlFollower(runFile(this.dir, 'metrics'), MetricsRecordSchema),
      groups: new JsonlFollower(runFile(this.dir, 'groups'), GroupsRecordSchema),
      samples: new JsonlFollower(runFile(this.dir, 'samples'), SamplesRecordSchema),
      evals: new JsonlFollower(runFile(this.dir, 'eval'), EvalRecordSchema),
      audits: new JsonlFollower(runFile(this.dir, 'audit'), AuditRecordSchema),
    };
  }

  private readStreams() {
    return {
      metrics: this.streams.metrics.read(),
      groups: this.streams.groups.read(),
      samples: this.streams.samples.read(),
      evals: this.streams.evals.read(),
      audits: this.streams.audits.read(),
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

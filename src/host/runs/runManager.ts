// The built-in trainer's side of the supervisor: `node dist/cli.js train …` started from a LaunchSpec, its messages
// read (validated) so the RunsModel looks again sooner, and Stop / Checkpoint Now for any followed run. The run
// directory stays the source of truth: what we learn from the child (exit code, IPC) only speeds things up.
import type { HostToTrainer } from '../../protocol/trainerIpc';
import { TrainerToHostSchema } from '../../protocol/trainerIpc';
import type { StopResult, Supervised, Supervisor, SupervisorLog } from '../process/supervisor';
import type { LaunchRequest } from './launchPlan';
import { TRAINER_ENV, trainArgs } from './launchPlan';
import type { FollowedRun } from './runFollower';
import type { RunsModel } from './runsModel';

export const STOP_TIMEOUT_MS = 10_000;
const LINES_IN_START_FAILURE = 5;

export interface LaunchResult {
  readonly runDir: string;
}

export class RunManager {
  constructor(
    private readonly model: RunsModel,
    private readonly supervisor: Supervisor,
    private readonly log: SupervisorLog,
    private readonly cli: string,
    /** Where new runs are written (the runs folder setting, resolved when the launch happens). */
    private readonly runsFolder: () => string,
  ) {}

  /** Starts a trainer; resolves with its run folder once the trainer has created it (or rejects with why not). */
  launch(request: LaunchRequest, cwd: string): Promise<LaunchResult> {
    const child = this.supervisor.start({
      label: 'trainer',
      argv: trainArgs(this.cli, request, this.runsFolder()),
      runtime: 'node',
      env: TRAINER_ENV,
      cwd,
      stopTimeoutMs: STOP_TIMEOUT_MS,
      ...(request.kind === 'resume' ? { runDir: request.runDir } : {}),
    });
    return new Promise<LaunchResult>((resolve, reject) => {
      if (child.runDir !== undefined) {
        const runDir = child.runDir;
        setImmediate(() => resolve({ runDir }));
      }
      child.onMessage((raw) => this.onMessage(child, raw, resolve));
      void child.exit.then((exit) => {
        const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? '?'}`;
        if (exit.startError !== undefined) {
          reject(new Error(`the trainer could not start: ${exit.startError}`));
          return;
        }
        if (child.runDir === undefined) {
          // It died before creating a run folder (bad config, missing file): nothing else will report it.
          const last = exit.lastLines.slice(-LINES_IN_START_FAILURE);
          reject(
            new Error(
              `the trainer ended (${how}) before starting a run${last.length > 0 ? `: ${last.join(' ')}` : ''}`,
            ),
          );
          return;
        }
        this.look(child.runDir);
      });
    });
  }

  /** Whether this window started the trainer of `run` (and so holds its message channel). */
  isManaged(run: FollowedRun): boolean {
    return this.supervisor.startedHere(run.dir);
  }

  /** Asks the trainer to checkpoint and exit, killing its group after the timeout; never signals a stranger. */
  async stop(run: FollowedRun): Promise<StopResult> {
    const result = await this.supervisor.stopRun(run.dir, run.info?.pid);
    this.model.pollRun(run);
    return result;
  }

  /** Asks the trainer of `run` to write a checkpoint now; false when this window holds no channel to it. */
  checkpoint(run: FollowedRun): boolean {
    const message: HostToTrainer = { type: 'checkpoint' };
    const sent = this.supervisor.find(run.dir)?.send(message) ?? false;
    if (sent) this.log.info(`asked the trainer of ${run.id} to checkpoint now`);
    return sent;
  }

  private onMessage(child: Supervised, raw: unknown, resolve: (result: LaunchResult) => void): void {
    const parsed = TrainerToHostSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`ignored a malformed message from the trainer: ${parsed.error.message}`);
      return;
    }
    const message = parsed.data;
    if (message.type === 'started') {
      child.serve(message.runDir);
      this.log.info(`run ${message.runId} started on ${message.backend}: ${message.runDir}`);
      this.model.refresh();
      resolve({ runDir: message.runDir });
    } else if (message.type === 'finished' || message.type === 'checkpointed') {
      if (child.runDir !== undefined) this.look(child.runDir);
    }
  }

  /** Reads the run again now (its trainer said something, or ended). */
  private look(runDir: string): void {
    const run = this.model.byDir(runDir);
    if (run) this.model.pollRun(run);
    else this.model.refresh();
  }
}

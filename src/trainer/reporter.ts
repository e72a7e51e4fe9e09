// What a run tells the world as it goes. Every consumer — trainer.log, the terminal (progress.ts), the host over
// IPC — implements Reporter, and the trainer reports each event once to all of them.
import type { TrainerToHost } from '../protocol/trainerIpc';

export interface ProgressEvent {
  readonly phase: 'sft' | 'rl';
  readonly step: number;
  readonly total: number;
  readonly reward: number | null;
  readonly accuracy: number | null;
  readonly evalAccuracy: number | null;
  /** The step in one line, as trainer.log keeps it. */
  readonly line: string;
}

export type Finished = Extract<TrainerToHost, { type: 'finished' }>;

export interface Reporter {
  /** A line of narrative (what was chosen, dropped, evaluated). */
  log?(line: string): void;
  progress?(e: ProgressEvent): void;
  started?(runDir: string, runId: string, backend: string): void;
  checkpointed?(step: number, where: string): void;
  finished?(status: Finished['status'], error: string | null): void;
}

/** One Reporter that hands every event to each of `reporters`, in order. */
export function fanOut(reporters: readonly Reporter[]): Required<Reporter> {
  return {
    log: (line) => reporters.forEach((r) => r.log?.(line)),
    progress: (e) => reporters.forEach((r) => r.progress?.(e)),
    started: (dir, id, backend) => reporters.forEach((r) => r.started?.(dir, id, backend)),
    checkpointed: (step, where) => reporters.forEach((r) => r.checkpointed?.(step, where)),
    finished: (status, error) => reporters.forEach((r) => r.finished?.(status, error)),
  };
}

/** Reports to trainer.log: narrative lines, and each step's line. */
export function logReporter(write: (line: string) => void): Reporter {
  return {
    log: write,
    progress: (e) => write(e.line),
    checkpointed: (_step, where) => write(`checkpoint ${where}`),
  };
}

/**
 * Reports to the host over the fork channel, when there is one. The host may go away at any moment (a window
 * reload, a crashed extension host) and the run goes on without it: a write to a channel whose far end is gone
 * fails with EPIPE, which without a callback is an unhandled 'error' event that would end the trainer.
 */
export function ipcReporter(): Reporter {
  let hostGone = false;
  const send = (msg: TrainerToHost) => {
    if (hostGone || process.send === undefined || !process.connected) return;
    process.send(msg, undefined, undefined, (err: Error | null) => {
      if (err !== null) hostGone = true;
    });
  };
  return {
    started: (runDir, runId, backend) => send({ type: 'started', runDir, runId, backend }),
    progress: (e) =>
      send({
        type: 'progress',
        phase: e.phase,
        step: e.step,
        totalSteps: e.total,
        reward: e.reward,
        // During the warm start the only accuracy there is is the held-out one.
        accuracy: e.phase === 'sft' ? e.evalAccuracy : e.accuracy,
      }),
    checkpointed: (step, where) => send({ type: 'checkpointed', step, path: where }),
    finished: (status, error) => send({ type: 'finished', status, error }),
  };
}

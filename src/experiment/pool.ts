// A small scheduler for jobs with dependencies: at most `parallel` run at once, a job starts when every job it
// depends on succeeded, and a job whose dependency failed is skipped (reported, not run).

export interface Job {
  readonly id: string;
  readonly deps: readonly string[];
  run(): Promise<void>;
}

export type JobOutcome =
  { readonly status: 'done' } | { readonly status: 'failed' | 'skipped'; readonly reason: string };

export interface PoolOptions {
  readonly parallel: number;
  /** Checked before each start: when it returns true no new job starts (running ones finish). */
  readonly stopped?: () => boolean;
}

export async function runJobs(jobs: readonly Job[], options: PoolOptions): Promise<Map<string, JobOutcome>> {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  for (const j of jobs) {
    for (const d of j.deps) if (!byId.has(d)) throw new Error(`job ${j.id} depends on unknown job ${d}`);
  }
  const outcomes = new Map<string, JobOutcome>();
  const pending = [...jobs];
  const running = new Map<string, Promise<void>>();

  const settleSkips = (): void => {
    for (let changed = true; changed;) {
      changed = false;
      for (let i = pending.length - 1; i >= 0; i--) {
        const j = pending[i]!;
        const bad = j.deps.find((d) => {
          const o = outcomes.get(d);
          return o !== undefined && o.status !== 'done';
        });
        if (bad !== undefined) {
          outcomes.set(j.id, { status: 'skipped', reason: `${bad} did not finish` });
          pending.splice(i, 1);
          changed = true;
        }
      }
    }
  };

  for (;;) {
    settleSkips();
    if (options.stopped?.() === true) {
      for (const j of pending)
        outcomes.set(j.id, { status: 'skipped', reason: 'the experiment was stopped' });
      pending.length = 0;
    }
    while (running.size < options.parallel) {
      const i = pending.findIndex((j) => j.deps.every((d) => outcomes.get(d)?.status === 'done'));
      if (i < 0) break;
      const job = pending.splice(i, 1)[0]!;
      const p = job.run().then(
        () => {
          outcomes.set(job.id, { status: 'done' });
        },
        (err: unknown) => {
          outcomes.set(job.id, {
            status: 'failed',
            reason: err instanceof Error ? err.message : String(err),
          });
        },
      );
      running.set(
        job.id,
        p.finally(() => running.delete(job.id)),
      );
    }
    if (running.size === 0) {
      // Nothing runs and nothing can start: whatever is left waits on a job that never ran (a cycle).
      for (const j of pending)
        outcomes.set(j.id, { status: 'skipped', reason: 'its dependencies never ran' });
      return outcomes;
    }
    await Promise.race(running.values());
  }
}

// Kill points for the kill -9 soak test (test/unit/runDirSoak.test.ts): with BNPO_KILL_AT=POINT:N in the
// environment, the N-th time the writer reaches POINT the process SIGKILLs itself, exactly where a crash would be
// worst (a checkpoint half written, run.json's temp file written but not yet renamed). Unset, this does nothing.
const spec = /^([a-z-]+):(\d+)$/.exec(process.env.BNPO_KILL_AT ?? '');
const counts = new Map<string, number>();

export type FaultPoint = 'atomic-write' | 'checkpoint-write';

export function faultPoint(point: FaultPoint): void {
  if (spec === null || spec[1] !== point) return;
  const n = (counts.get(point) ?? 0) + 1;
  counts.set(point, n);
  if (n === Number(spec[2])) process.kill(process.pid, 'SIGKILL');
}

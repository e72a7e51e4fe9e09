// One writer per run folder. The trainer takes run.lock (created exclusively) before it writes anything and removes
// it when it ends. The lock names its holder (pid, host, and the process's start time as the kernel counts it), so
// a lock left by a killed trainer is recognised as stale — the pid is gone, or now belongs to a process that
// started at another time — and taken over; a live holder, or one on another machine, is refused.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { z } from 'zod';
import { RunDirError } from './errors';
import { runFile } from './layout';

export const RunLockSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  /** Start time of the process in clock ticks since boot (/proc/PID/stat field 22); null where unknown. */
  processStart: z.number().int().nonnegative().nullable(),
  since: z.string().describe('ISO time the lock was taken.'),
});
export type RunLock = z.infer<typeof RunLockSchema>;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses); field 3, the
 * state, is index 0. Undefined where there is no /proc or no such process. */
export function procStatFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  return text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
}

/** Start time of a process as the kernel records it (field 22, clock ticks after boot), or null. */
export function processStartTime(pid: number): number | null {
  const start = procStatFields(pid)?.[19];
  return start !== undefined && /^\d+$/.test(start) ? Number(start) : null;
}

/** Whether a process exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The run's lock as written, or null when there is none or it is unreadable (a torn lock holds nothing). */
export function readLock(dir: string): RunLock | null {
  try {
    const parsed = RunLockSchema.safeParse(JSON.parse(fs.readFileSync(runFile(dir, 'lock'), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Whether the holder of `lock` is certainly gone: same host, and its pid is dead or started at another time. */
export function isStale(lock: RunLock): boolean {
  if (lock.host !== os.hostname()) return false;
  if (!processAlive(lock.pid)) return true;
  if (lock.processStart === null) return false;
  const now = processStartTime(lock.pid);
  return now !== null && now !== lock.processStart;
}

/** Whether a live process holds the run (what the studio shows as running). */
export function isLocked(dir: string): boolean {
  const lock = readLock(dir);
  return lock !== null && !isStale(lock);
}

export function describeLock(lock: RunLock): string {
  return `pid ${lock.pid} on ${lock.host} since ${lock.since}`;
}

export interface HeldLock {
  readonly lock: RunLock;
  /** What the lock replaced, when a stale one was taken over. */
  readonly replaced: RunLock | null;
  release(): void;
}

function tryCreate(file: string, lock: RunLock): boolean {
  try {
    fs.writeFileSync(file, JSON.stringify(lock) + '\n', { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Takes the run's lock for this process; a RunDirError when another live process holds it. */
export function acquireLock(dir: string): HeldLock {
  const file = runFile(dir, 'lock');
  const lock: RunLock = {
    pid: process.pid,
    host: os.hostname(),
    processStart: processStartTime(process.pid),
    since: new Date().toISOString(),
  };
  let replaced: RunLock | null = null;
  if (!tryCreate(file, lock)) {
    const held = readLock(dir);
    if (held !== null && !isStale(held)) {
      const where =
        held.host === os.hostname() ? '' : ' (another machine: remove the lock by hand if it is gone)';
      throw new RunDirError(
        `${dir}: the run is locked by ${describeLock(held)}${where}; one trainer per run`,
      );
    }
    // Stale or torn: remove it and race for it again; whoever creates it first wins.
    replaced = held;
    fs.rmSync(file, { force: true });
    if (!tryCreate(file, lock)) {
      const winner = readLock(dir);
      throw new RunDirError(
        `${dir}: the run is locked by ${winner !== null ? describeLock(winner) : 'another process'}; one trainer per run`,
      );
    }
  }
  return {
    lock,
    replaced,
    release: () => {
      const now = readLock(dir);
      if (now !== null && now.pid === lock.pid && now.since === lock.since) fs.rmSync(file, { force: true });
    },
  };
}

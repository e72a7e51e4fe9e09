// Who a pid is. A pid alone names nobody for long: it is reused after its process ends, and a run folder cloned
// from another machine (or written by hand) can hold any number. A process is identified by (host, pid, start
// time), recorded when the supervisor starts it and compared before every signal, so Stop never reaches a stranger.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { processAlive, processStartTime as kernelStartTime, procStatFields } from '../../runDir/lock';

export { processAlive };

export interface ProcessIdentity {
  readonly pid: number;
  readonly host: string;
  /** Opaque, comparable only for equality: Linux /proc starttime ticks, or `ps` lstart elsewhere. */
  readonly startTime: string;
}

/**
 * When the process started, or undefined when it does not exist or the platform cannot say. Linux: field 22 of
 * /proc/<pid>/stat (clock ticks after boot, fixed for the life of the process); macOS and BSD: `ps -o lstart=`.
 */
export function processStartTime(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') {
    const ticks = kernelStartTime(pid);
    return ticks === null ? undefined : `linux:${ticks}`;
  }
  if (process.platform === 'win32') return undefined;
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 });
    return out.trim() === '' ? undefined : `ps:${out.trim()}`;
  } catch {
    return undefined;
  }
}

/** An exited child not yet reaped still answers kill(pid, 0); /proc says it is a zombie. */
export function isZombie(pid: number): boolean {
  return procStatFields(pid)?.[0] === 'Z';
}

/** The identity of a live process on this machine, read now (right after spawning it, for the record). */
export function identify(pid: number): ProcessIdentity | undefined {
  const startTime = processStartTime(pid);
  return startTime === undefined ? undefined : { pid, host: os.hostname(), startTime };
}

export type Proof =
  | { readonly kind: 'proven'; readonly identity: ProcessIdentity }
  | { readonly kind: 'gone' }
  | { readonly kind: 'unproven'; readonly reason: string };

/** What the proof reads from the machine; tests replace it. */
export interface ProcessProbe {
  readonly hostname: () => string;
  readonly startTime: (pid: number) => string | undefined;
  readonly alive: (pid: number) => boolean;
}

export const SYSTEM_PROBE: ProcessProbe = {
  hostname: () => os.hostname(),
  startTime: processStartTime,
  alive: processAlive,
};

/**
 * Whether `recorded` (what was written down when the process was started) is the process alive now under that
 * pid. `claimedPid` is the pid a run folder names, used only to say whether anything runs under it.
 */
export function prove(
  recorded: ProcessIdentity | undefined,
  claimedPid: number | null | undefined,
  probe: ProcessProbe = SYSTEM_PROBE,
): Proof {
  if (recorded === undefined) {
    if (claimedPid === null || claimedPid === undefined || !probe.alive(claimedPid)) return { kind: 'gone' };
    return {
      kind: 'unproven',
      reason: `pid ${claimedPid} is alive, but nothing recorded when its trainer started proves it is this run's trainer`,
    };
  }
  if (recorded.host !== probe.hostname()) {
    return { kind: 'unproven', reason: `its trainer runs on ${recorded.host}, not on this machine` };
  }
  if (!probe.alive(recorded.pid)) return { kind: 'gone' };
  const now = probe.startTime(recorded.pid);
  if (now === undefined) {
    return { kind: 'unproven', reason: `the start time of pid ${recorded.pid} cannot be read here` };
  }
  if (now !== recorded.startTime) {
    // The trainer ended and its pid now belongs to another process.
    return { kind: 'gone' };
  }
  return { kind: 'proven', identity: recorded };
}

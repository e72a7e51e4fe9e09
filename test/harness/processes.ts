// Process bookkeeping for the real-editor tiers. code-server keeps extension hosts and file watchers alive long
// after the browser leaves, and chromium's crash handler re-parents itself to init, so neither the process tree
// nor the process group is enough to find what a run started. Every process a run starts inherits one
// environment variable with a value unique to that run; `ps e` shows it, so a leftover is found wherever it ended up.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';

/** Environment variable whose value tags every process of one harness run (code-server, its hosts, chromium). */
export const RUN_TAG = 'BNPO_TEST_RUN';
/** Environment variable that tags every process of one `npm test` run, set by the orchestrator. */
export const SESSION_TAG = 'BNPO_TEST_SESSION';

export function newRunId(): string {
  return randomUUID();
}

export interface ProcessInfo {
  pid: number;
  command: string;
}

/** Processes whose initial environment holds `name=value`, found with `ps e` (other users' are invisible). */
export function processesTagged(name: string, value: string): ProcessInfo[] {
  const out = execFileSync('ps', ['axeww', '-o', 'pid=,args='], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const needle = `${name}=${value}`;
  const found: ProcessInfo[] = [];
  for (const line of out.split('\n')) {
    const match = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    const pid = Number(match[1]);
    // The environment follows the arguments; match a whole `NAME=value` word so a prefix of the id cannot match.
    if (pid === process.pid || !` ${match[2]} `.includes(` ${needle} `)) continue;
    found.push({ pid, command: commandOnly(match[2], needle) });
  }
  return found;
}

/** The command line without the environment `ps e` appends (cut at the first variable we know is there). */
function commandOnly(line: string, needle: string): string {
  const at = line.indexOf(` ${needle.split('=')[0]}=`);
  const withoutTag = at >= 0 ? line.slice(0, at) : line;
  const env = /\s[A-Z_][A-Z0-9_]*=/.exec(withoutTag);
  return (env ? withoutTag.slice(0, env.index) : withoutTag).slice(0, 200);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Ends a whole process group: SIGTERM, then SIGKILL if anything in it outlives `graceMs`. */
export async function stopGroup(pgid: number, graceMs = 5000): Promise<void> {
  if (!groupAlive(pgid)) return;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return;
    await sleep(100);
  }
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Gone between the check and the kill.
  }
  while (groupAlive(pgid)) await sleep(50);
}

/**
 * The teardown check: waits briefly for tagged processes to finish exiting, then kills any that remain and
 * returns them, so the caller fails the run while the machine is left clean for the next one.
 */
export async function reapLeftovers(name: string, value: string, waitMs = 3000): Promise<ProcessInfo[]> {
  const deadline = Date.now() + waitMs;
  let left = processesTagged(name, value);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = processesTagged(name, value);
  }
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return left;
}

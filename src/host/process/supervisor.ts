// The one process supervisor: the built-in trainer and verl are both started from a LaunchSpec (argv, an env
// allow-list, cwd, own process group, stop policy) and stopped the same way: the trainer's "stop" message over its
// channel when it has one, else SIGTERM to its process group, then SIGKILL to the group after the spec's timeout.
//
// Processes outlive the editor: each leads its own process group (a window reload ends the extension host's
// group) and writes stdout/stderr to a file, not a pipe (a pipe whose reader died would end it with EPIPE); the
// file is followed into the log channel while the process lives. Exits are reported to whoever started the
// process, with the last lines of its output; nothing is ever restarted.
//
// A process started here is recorded in the LaunchLedger with its start time, so that after a reload a stop can
// prove the run's pid is still that process; a run this supervisor never started is never signalled.
import type { ChildProcess } from 'node:child_process';
import { fork, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostToTrainer } from '../../protocol/trainerIpc';
import { readLock } from '../../runDir/lock';
import type { LaunchLedger, LedgerEntry } from './launchLedger';
import type { ProcessProbe } from './processIdentity';
import { identify, isZombie, prove, SYSTEM_PROBE } from './processIdentity';

/** Which of the editor's environment variables the process sees, and what is set on top. */
export interface EnvPolicy {
  readonly allow: RegExp;
  readonly set: Readonly<Record<string, string>>;
}

export interface LaunchSpec {
  /** Names the process in the log and in messages ("trainer", "verl run <id>"). */
  readonly label: string;
  /** The program and its arguments; for `runtime: 'node'` the first word is the script run by this Node. */
  readonly argv: readonly string[];
  /** `node`: forked with this Node and a message channel (the trainer); `exec`: any program, no channel. */
  readonly runtime: 'node' | 'exec';
  readonly env: EnvPolicy;
  readonly cwd: string;
  /** How long after SIGTERM (or the stop message) the group gets SIGKILL. */
  readonly stopTimeoutMs: number;
  /** The run folder the process writes, when known before it starts (resume, verl); else set by `serve`. */
  readonly runDir?: string;
  /** Where its output lines and lifecycle go (its own log channel); default: the supervisor's log. */
  readonly log?: SupervisorLog;
}

/** The slice of a LogOutputChannel the supervisor writes to. */
export interface SupervisorLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The process could not be started at all (no such program, …). */
  readonly startError: string | undefined;
  /** It ended because it was asked to stop. */
  readonly stopped: boolean;
  readonly lastLines: readonly string[];
}

export type StopOutcome = 'stopped' | 'killed' | 'not running' | 'not ours';
export interface StopResult {
  readonly outcome: StopOutcome;
  /** Why a process was not signalled ('not ours'). */
  readonly reason?: string;
}

const TAIL_LINES = 50;
/** The stop timeout of a process whose launch record predates it being kept. */
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const FLUSH_MS = 250;
const KILL_GRACE_MS = 2000;

/** The environment `policy` allows, built explicitly: the extension host's own variables stay behind. */
export function buildEnv(base: NodeJS.ProcessEnv, policy: EnvPolicy): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base))
    if (value !== undefined && policy.allow.test(name)) env[name] = value;
  return { ...env, ...policy.set };
}

/** SIGTERM or SIGKILL to a process, or to the group it leads; false when there was no one to signal. */
function signal(pid: number, group: boolean, name: NodeJS.Signals): boolean {
  try {
    process.kill(group && process.platform !== 'win32' ? -pid : pid, name);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/** One process started by the supervisor. */
export class Supervised {
  /** Resolves once, when the process has ended (or could not start). */
  readonly exit: Promise<ExitInfo>;
  private readonly tail: string[] = [];
  private readonly messageListeners = new Set<(message: unknown) => void>();
  private exited = false;
  private stopping = false;
  private runDirValue: string | undefined;

  constructor(
    readonly spec: LaunchSpec,
    private readonly child: ChildProcess,
    private readonly outFile: string,
    private readonly log: SupervisorLog,
    private readonly onRunDir: (supervised: Supervised) => void,
  ) {
    this.runDirValue = spec.runDir;
    const reader = new TextTail(outFile);
    const flush = (): void => {
      for (const line of reader.readLines()) this.line(line);
    };
    const timer = setInterval(flush, FLUSH_MS);
    this.detachOutput = () => clearInterval(timer);
    child.on('message', (raw: unknown) => {
      for (const listener of [...this.messageListeners]) listener(raw);
    });
    this.exit = new Promise<ExitInfo>((resolve) => {
      const finish = (code: number | null, sig: NodeJS.Signals | null, startError?: string): void => {
        if (this.exited) return;
        this.exited = true;
        flush();
        this.detachOutput();
        if (startError !== undefined) this.line(`cannot start ${spec.argv[0] ?? ''}: ${startError}`);
        this.log.info(`${this.name}: ended (${sig !== null ? `signal ${sig}` : `exit code ${code ?? '?'}`})`);
        resolve({ code, signal: sig, startError, stopped: this.stopping, lastLines: [...this.tail] });
      };
      child.on('error', (err) => finish(null, null, err.message));
      child.on('exit', (code, sig) => finish(code, sig));
    });
  }

  /** Stops following the output (the extension goes away); the process itself goes on. */
  readonly detachOutput: () => void;

  get pid(): number | undefined {
    return this.child.pid;
  }

  get runDir(): string | undefined {
    return this.runDirValue;
  }

  get hasExited(): boolean {
    return this.exited;
  }

  /** The process told us which run folder it writes (the trainer's `started` message). */
  serve(runDir: string): void {
    this.runDirValue = runDir;
    this.onRunDir(this);
  }

  onMessage(listener: (message: unknown) => void): { dispose(): void } {
    this.messageListeners.add(listener);
    return { dispose: () => this.messageListeners.delete(listener) };
  }

  /** Sends a message over the channel; false when there is none (an `exec` process, or it went away). */
  send(message: HostToTrainer): boolean {
    if (this.exited || !this.child.connected) return false;
    this.child.send(message);
    return true;
  }

  lastLines(count: number): string[] {
    return this.tail.slice(-count);
  }

  /** The stop policy: the stop message (or SIGTERM to the group), then SIGKILL to the group after the timeout. */
  async stop(): Promise<StopResult> {
    const pid = this.child.pid;
    if (this.exited || pid === undefined) return { outcome: 'not running' };
    this.stopping = true;
    if (this.send({ type: 'stop' })) this.log.info(`${this.name}: asked to stop (message)`);
    else if (signal(pid, this.group, 'SIGTERM')) this.log.info(`${this.name}: SIGTERM to its process group`);
    const ended = await waitUntil(() => this.exited, this.spec.stopTimeoutMs);
    if (ended) return { outcome: 'stopped' };
    this.log.warn(`${this.name}: did not stop within ${this.spec.stopTimeoutMs} ms: SIGKILL to its group`);
    signal(pid, this.group, 'SIGKILL');
    await waitUntil(() => this.exited, KILL_GRACE_MS);
    return { outcome: 'killed' };
  }

  /** Its output file, kept until the process ends (then the log channel holds it). */
  get outputFile(): string {
    return this.outFile;
  }

  private get group(): boolean {
    return process.platform !== 'win32';
  }

  private get name(): string {
    return `${this.spec.label} (pid ${this.child.pid ?? '?'})`;
  }

  private line(text: string): void {
    this.log.info(`[${this.runDir !== undefined ? path.basename(this.runDir) : this.spec.label}] ${text}`);
    this.tail.push(text);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }
}

export class Supervisor {
  private readonly children = new Set<Supervised>();

  constructor(
    private readonly log: SupervisorLog,
    /** Where each process's output file goes (the extension's log folder). */
    private readonly outputDir: string,
    private readonly ledger: LaunchLedger,
    private readonly probe: ProcessProbe = SYSTEM_PROBE,
  ) {}

  start(spec: LaunchSpec): Supervised {
    const [program, ...args] = spec.argv;
    if (program === undefined) throw new Error(`${spec.label}: empty command line`);
    fs.mkdirSync(this.outputDir, { recursive: true });
    const outFile = path.join(
      this.outputDir,
      `${spec.label.replace(/[^\w.-]+/g, '_')}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.out`,
    );
    const out = fs.openSync(outFile, 'a');
    (spec.log ?? this.log).info(`starting ${spec.label}: ${spec.argv.join(' ')} (cwd ${spec.cwd})`);
    let child: ChildProcess;
    try {
      const common = {
        cwd: spec.cwd,
        env: buildEnv(process.env, spec.env),
        detached: process.platform !== 'win32',
      };
      child =
        spec.runtime === 'node'
          ? fork(program, args, { ...common, stdio: ['ignore', out, out, 'ipc'], serialization: 'json' })
          : spawn(program, args, { ...common, stdio: ['ignore', out, out] });
    } finally {
      fs.closeSync(out);
    }
    const supervised = new Supervised(spec, child, outFile, spec.log ?? this.log, (s) => this.record(s));
    this.children.add(supervised);
    if (spec.runDir !== undefined) this.record(supervised);
    void supervised.exit.then(() => {
      this.children.delete(supervised);
      fs.rm(outFile, { force: true }, () => undefined);
    });
    return supervised;
  }

  /** The live process started here for `runDir`. */
  find(runDir: string): Supervised | undefined {
    const key = path.resolve(runDir);
    return [...this.children].find(
      (c) => !c.hasExited && c.runDir !== undefined && path.resolve(c.runDir) === key,
    );
  }

  /** Whether this supervisor (in this window) started the process that serves `runDir`. */
  startedHere(runDir: string): boolean {
    return this.find(runDir) !== undefined;
  }

  /**
   * Stops the process serving `runDir`: one started in this window through its handle; one started before a
   * reload only once its pid, host and start time match what was recorded at launch. `claimedPid` is the pid the
   * run folder names: it is never signalled on its own say-so.
   */
  async stopRun(runDir: string, claimedPid: number | null | undefined): Promise<StopResult> {
    const child = this.find(runDir);
    if (child !== undefined) return child.stop();
    const recorded = this.recordedTrainer(runDir);
    const proof = prove(recorded, claimedPid, this.probe);
    if (proof.kind === 'gone') return { outcome: 'not running' };
    if (proof.kind === 'unproven') {
      this.log.warn(`not signalling the trainer of ${runDir}: ${proof.reason}`);
      return { outcome: 'not ours', reason: proof.reason };
    }
    const { pid } = proof.identity;
    const group = recorded?.group ?? false;
    const stillOurs = (): boolean => prove(recorded, pid, this.probe).kind === 'proven';
    signal(pid, group, 'SIGTERM');
    this.log.info(`sent SIGTERM to the process group of pid ${pid} (${runDir})`);
    const gone = (): boolean => !stillOurs() || isZombie(pid);
    if (await waitUntil(gone, recorded?.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS))
      return { outcome: 'stopped' };
    // Proven again right before the kill: the pid must not have changed hands while we waited.
    if (stillOurs()) {
      this.log.warn(`pid ${pid} did not stop in time: SIGKILL to its group`);
      signal(pid, group, 'SIGKILL');
    }
    await waitUntil(gone, KILL_GRACE_MS);
    return { outcome: 'killed' };
  }

  /** Stops following output and closes channels; the processes themselves keep running (a reload resumes them). */
  dispose(): void {
    for (const child of this.children) child.detachOutput();
    this.children.clear();
  }

  /**
   * The one place that says which process is a run's trainer: what a launch from this workspace recorded, else
   * the holder named by the run's lock (a trainer started from a terminal writes its pid, host and start time
   * there). A launch record that no longer proves anything gives way to the lock: a later resume may hold it.
   */
  private recordedTrainer(runDir: string): LedgerEntry | undefined {
    const launched = this.ledger.lookup(runDir);
    if (launched !== undefined && prove(launched, launched.pid, this.probe).kind === 'proven')
      return launched;
    return lockHolder(runDir) ?? launched;
  }

  private record(supervised: Supervised): void {
    const pid = supervised.pid;
    const runDir = supervised.runDir;
    if (pid === undefined || runDir === undefined) return;
    const identity = identify(pid);
    if (identity === undefined) {
      this.log.warn(
        `${supervised.spec.label}: the start time of pid ${pid} cannot be read; after a reload it cannot be stopped from here`,
      );
      return;
    }
    this.ledger.record(runDir, identity, {
      group: process.platform !== 'win32',
      stopTimeoutMs: supervised.spec.stopTimeoutMs,
    });
  }
}

/**
 * The trainer that holds `runDir`'s lock, as a launch record: only where the lock carries a Linux start time (the
 * only kind `processStartTime` compares with it). It is signalled alone: a terminal's trainer need not lead its
 * process group, and the group may hold the user's shell job.
 */
function lockHolder(runDir: string): LedgerEntry | undefined {
  const lock = readLock(runDir);
  if (lock === null || lock.processStart === null) return undefined;
  return {
    runDir: path.resolve(runDir),
    pid: lock.pid,
    host: lock.host,
    startTime: `linux:${lock.processStart}`,
    group: false,
  };
}

/** New complete lines of a growing text file. */
class TextTail {
  private offset = 0;
  private pending = '';

  constructor(private readonly file: string) {}

  readLines(): string[] {
    let text: string;
    try {
      const buf = fs.readFileSync(this.file);
      if (buf.length <= this.offset) return [];
      text = buf.subarray(this.offset).toString('utf8');
      this.offset = buf.length;
    } catch {
      return [];
    }
    const all = (this.pending + text).split('\n');
    this.pending = all.pop() ?? '';
    // Progress lines redraw with \r on a terminal; keep the last state of each.
    return all.map((l) => l.split('\r').pop() ?? '').filter((l) => l.trim() !== '');
  }
}

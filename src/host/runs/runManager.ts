// Starts and supervises trainer processes (`node dist/cli.js train …`, forked with an explicit env and cwd), and
// stops any run, ours or not: over IPC for a trainer we started, with SIGTERM for one we did not (both mean
// "checkpoint and exit"), then SIGKILL when it has not ended after a timeout. The run directory stays the source of
// truth: what we learn from the child (exit code, IPC) only makes the RunsModel look again sooner.
//
// The child's stdout and stderr go to a file, not a pipe, so a trainer outlives an editor reload (a pipe whose
// reader died would kill it with EPIPE); the file is followed into the log channel while the child lives.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { HostToTrainer } from '../../protocol/trainerIpc';
import { TrainerToHostSchema } from '../../protocol/trainerIpc';
import { Disposable } from '../disposable';
import type { LaunchRequest } from './launchPlan';
import { trainArgs, trainEnv } from './launchPlan';
import type { RunFollower } from './runFollower';
import { processAlive } from './runFollower';
import type { RunsModel } from './runsModel';

export const STOP_TIMEOUT_MS = 10_000;

interface Child {
  readonly process: ChildProcess;
  readonly outFile: string;
  runDir: string | undefined;
  stopping: boolean;
  readonly scope: vscode.Disposable[];
}

export interface LaunchResult {
  readonly runDir: string;
}

export class RunManager extends Disposable {
  private readonly children = new Set<Child>();

  constructor(
    private readonly model: RunsModel,
    private readonly log: vscode.LogOutputChannel,
    private readonly cli: string,
    private readonly outputDir: string,
  ) {
    super();
  }

  /** Starts a trainer; resolves with its run folder once the trainer has created it (or rejects with why not). */
  launch(request: LaunchRequest, cwd: string): Promise<LaunchResult> {
    fs.mkdirSync(this.outputDir, { recursive: true });
    const outFile = path.join(
      this.outputDir,
      `trainer-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.out`,
    );
    const out = fs.openSync(outFile, 'a');
    const args = trainArgs(this.cli, request, this.model.runsFolder);
    this.log.info(`starting: ${process.execPath} ${args.join(' ')} (cwd ${cwd})`);
    let child: ChildProcess;
    try {
      // fork() runs the CLI bundle with process.execPath; args[0] is the module.
      child = fork(args[0]!, args.slice(1), {
        cwd,
        env: trainEnv(process.env),
        stdio: ['ignore', out, out, 'ipc'],
        serialization: 'json',
        // Its own process group: a run outlives the extension host (a window reload ends the host and may end
        // the host's group); the studio finds the run again through its folder and stops it by pid.
        detached: process.platform !== 'win32',
      });
    } finally {
      fs.closeSync(out);
    }
    const entry: Child = {
      process: child,
      outFile,
      runDir: request.kind === 'resume' ? request.runDir : undefined,
      stopping: false,
      scope: [],
    };
    this.children.add(entry);
    const tail = new TextTail(outFile);
    const flush = (): void => {
      for (const line of tail.readLines())
        this.log.info(`[${entry.runDir ? path.basename(entry.runDir) : `pid ${child.pid}`}] ${line}`);
    };
    const timer = setInterval(flush, 250);
    entry.scope.push({ dispose: () => clearInterval(timer) });

    return new Promise<LaunchResult>((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | undefined): void => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve({ runDir: entry.runDir! });
      };
      if (entry.runDir) setImmediate(() => settle(undefined));
      child.on('message', (raw: unknown) => {
        const parsed = TrainerToHostSchema.safeParse(raw);
        if (!parsed.success) {
          this.log.warn(`ignored a malformed message from the trainer: ${parsed.error.message}`);
          return;
        }
        const message = parsed.data;
        if (message.type === 'started') {
          entry.runDir = message.runDir;
          this.log.info(`run ${message.runId} started on ${message.backend}: ${message.runDir}`);
          this.model.refresh();
          settle(undefined);
        } else if (message.type === 'finished' || message.type === 'checkpointed') {
          const run = entry.runDir ? this.model.byDir(entry.runDir) : undefined;
          if (run) this.model.pollRun(run);
        }
      });
      child.on('error', (err) => {
        this.log.error(`trainer process error: ${err.message}`);
        settle(err);
      });
      child.on('exit', (code, signal) => {
        flush();
        for (const d of entry.scope.splice(0)) d.dispose();
        this.children.delete(entry);
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        this.log.info(`trainer pid ${child.pid} ended (${how})`);
        if (!entry.runDir) {
          // It died before creating a run folder (bad config, missing file): nothing else will report it.
          const last = lastOutputLines(outFile, 5);
          settle(
            new Error(
              `the trainer ended (${how}) before starting a run${last.length > 0 ? `: ${last.join(' ')}` : ''}`,
            ),
          );
          return;
        }
        settle(undefined);
        const run = this.model.byDir(entry.runDir);
        if (run) this.model.pollRun(run);
        else this.model.refresh();
      });
    });
  }

  isManaged(run: RunFollower): boolean {
    return [...this.children].some(
      (c) => c.runDir !== undefined && path.resolve(c.runDir) === path.resolve(run.dir),
    );
  }

  /** Asks the trainer to checkpoint and exit; kills it when it has not ended within `timeoutMs`. */
  async stop(run: RunFollower, timeoutMs = STOP_TIMEOUT_MS): Promise<'stopped' | 'killed' | 'not running'> {
    const child = [...this.children].find(
      (c) => c.runDir !== undefined && path.resolve(c.runDir) === path.resolve(run.dir),
    );
    const pid = child?.process.pid ?? run.info?.pid ?? undefined;
    if (pid === undefined || pid === null || !processAlive(pid)) return 'not running';
    if (child) child.stopping = true;
    const message: HostToTrainer = { type: 'stop' };
    if (child?.process.connected) {
      child.process.send(message);
      this.log.info(`asked trainer pid ${pid} to stop (IPC)`);
    } else {
      process.kill(pid, 'SIGTERM');
      this.log.info(`sent SIGTERM to trainer pid ${pid}`);
    }
    const ended = await waitForExit(pid, timeoutMs);
    if (!ended) {
      this.log.warn(`trainer pid ${pid} did not stop within ${timeoutMs} ms: SIGKILL`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Ended in between.
      }
      await waitForExit(pid, 2000);
    }
    this.model.pollRun(run);
    return ended ? 'stopped' : 'killed';
  }

  override dispose(): void {
    // Trainers keep running: a run survives the editor (reload, close); its folder says how it goes on.
    for (const child of this.children) {
      for (const d of child.scope.splice(0)) d.dispose();
      if (child.process.connected) child.process.disconnect();
    }
    this.children.clear();
    super.dispose();
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processAlive(pid) || isZombie(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !processAlive(pid) || isZombie(pid);
}

/** An exited child not yet reaped still answers kill(pid, 0); /proc says it is a zombie. */
function isZombie(pid: number): boolean {
  try {
    return /\)\s+Z\s/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function lastOutputLines(file: string, count: number): string[] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .slice(-count);
  } catch {
    return [];
  }
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

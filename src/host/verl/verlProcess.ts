// A verl run (or a `ray job submit`) started from the editor: a supervised child process with explicit env and
// cwd, its output in a log channel, a bounded stop (SIGTERM to its process group, SIGKILL after a timeout) and a
// crash report with the last lines of its output. Never restarted silently.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import { Disposable } from '../disposable';

export const VERL_STOP_TIMEOUT_MS = 15_000;
const TAIL_LINES = 20;

export interface VerlProcessOptions {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Shown in messages: "verl run <label>" or "ray job submit for <label>". */
  readonly label: string;
  readonly log: vscode.LogOutputChannel;
  /** Called once when the process has ended (any reason). */
  readonly onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export class VerlProcess extends Disposable {
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private stopping = false;
  private exited = false;

  constructor(private readonly options: VerlProcessOptions) {
    super();
    const [program, ...args] = options.argv;
    if (program === undefined) throw new Error('empty command line');
    options.log.info(`$ ${options.argv.join(' ')}`);
    // Own process group: verl starts Ray, and a stop must reach Ray's processes too.
    this.child = spawn(program, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8');
      let partial = '';
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.line(line);
      });
      stream?.on('end', () => {
        if (partial !== '') this.line(partial);
        partial = '';
      });
    }
    this.child.on('error', (err) => {
      this.line(`cannot start ${program}: ${err.message}`);
      this.finish(null, null, err.message);
    });
    this.child.on('exit', (code, signal) => this.finish(code, signal));
    this._register({ dispose: () => this.stop() });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private line(text: string): void {
    this.options.log.info(text);
    this.tail.push(text);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, startError?: string): void {
    if (this.exited) return;
    this.exited = true;
    this.options.onExit?.(code, signal);
    if (this.stopping || code === 0) {
      this.options.log.info(`${this.options.label}: ended (${signal ?? `exit ${code ?? '?'}`})`);
      return;
    }
    const why =
      startError ?? (signal !== null ? `was killed by ${signal}` : `exited with status ${code ?? '?'}`);
    this.options.log.error(`${this.options.label} ${why}`);
    const last = this.tail.slice(-5).join('\n');
    void vscode.window
      .showErrorMessage(`BNPO: ${this.options.label} ${why}.${last ? `\n${last}` : ''}`, 'Show Log')
      .then((choice) => {
        if (choice === 'Show Log') this.options.log.show(true);
      });
  }

  /** SIGTERM to the process group, then SIGKILL after VERL_STOP_TIMEOUT_MS. */
  stop(): void {
    if (this.exited || this.stopping) return;
    this.stopping = true;
    const signal = (name: NodeJS.Signals): void => {
      const pid = this.child.pid;
      if (pid === undefined) return;
      try {
        if (process.platform === 'win32') this.child.kill(name);
        else process.kill(-pid, name);
      } catch {
        // already gone
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => {
      if (!this.exited) signal('SIGKILL');
    }, VERL_STOP_TIMEOUT_MS);
    timer.unref();
  }
}

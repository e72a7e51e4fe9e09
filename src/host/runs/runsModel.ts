// Every run directory under the runs folder, followed: fs.watch on the folder and on each run (a change is read
// within a few tens of milliseconds) plus a slow timer that rescans, re-reads and re-checks trainer processes, so a
// missed watch event, a network file system or a killed trainer is still noticed within `pollMs`.
// No VS Code here: the extension adapts the events; unit tests call refresh() directly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunChange } from './runFollower';
import { RunFollower, listRunDirs, processAlive } from './runFollower';

export type RunsEvent =
  | { readonly kind: 'added'; readonly run: RunFollower }
  | { readonly kind: 'removed'; readonly run: RunFollower }
  | { readonly kind: 'changed'; readonly run: RunFollower; readonly change: RunChange };

export interface RunsModelOptions {
  /** Rescan and re-check interval; 0 disables the timer (tests). */
  readonly pollMs?: number;
  /** Watch the folders (default true). */
  readonly watch?: boolean;
  readonly isAlive?: (pid: number) => boolean;
}

export class RunsModel {
  private readonly runs = new Map<string, RunFollower>();
  private readonly listeners = new Set<(event: RunsEvent) => void>();
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private folder: string,
    private readonly options: RunsModelOptions = {},
  ) {}

  get runsFolder(): string {
    return this.folder;
  }

  /** Starts following; reads everything already there first. */
  start(): void {
    this.refresh();
    const pollMs = this.options.pollMs ?? 1000;
    if (pollMs > 0) this.timer = setInterval(() => this.refresh(), pollMs);
  }

  /** Follows another folder (the setting changed): runs of the old one are removed. */
  setFolder(folder: string): void {
    if (path.resolve(folder) === path.resolve(this.folder)) return;
    for (const run of [...this.runs.values()]) this.remove(run);
    this.closeWatcher(this.folder);
    this.folder = folder;
    this.refresh();
  }

  list(): RunFollower[] {
    return [...this.runs.values()];
  }

  get(id: string): RunFollower | undefined {
    return this.runs.get(id);
  }

  byDir(dir: string): RunFollower | undefined {
    return this.runs.get(path.basename(dir));
  }

  onDidChange(listener: (event: RunsEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Rescans the folder and reads every run's changes now. */
  refresh(): void {
    if (this.disposed) return;
    this.watchFolder();
    const dirs = new Set(listRunDirs(this.folder));
    for (const run of [...this.runs.values()]) if (!dirs.has(run.dir)) this.remove(run);
    for (const dir of dirs) {
      const id = path.basename(dir);
      let run = this.runs.get(id);
      if (!run) {
        run = new RunFollower(dir, this.options.isAlive ?? processAlive);
        this.runs.set(id, run);
        run.poll();
        this.watchRun(run);
        this.emit({ kind: 'added', run });
        continue;
      }
      this.pollRun(run);
    }
  }

  /** Reads one run's changes now (e.g. its trainer process just exited). */
  pollRun(run: RunFollower): void {
    let change: RunChange | undefined;
    try {
      change = run.poll();
    } catch (err) {
      run.infoProblem = `${run.dir}: ${(err as Error).message}`;
      return;
    }
    if (change) this.emit({ kind: 'changed', run, change });
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.listeners.clear();
  }

  private remove(run: RunFollower): void {
    this.runs.delete(run.id);
    this.closeWatcher(run.dir);
    this.emit({ kind: 'removed', run });
  }

  private emit(event: RunsEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        console.error(`[bnpo.runs] a listener failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
  }

  private watchFolder(): void {
    if (this.options.watch === false || this.watchers.has(this.folder)) return;
    this.watch(this.folder, () => this.schedule(''));
  }

  private watchRun(run: RunFollower): void {
    if (this.options.watch === false) return;
    this.watch(run.dir, () => this.schedule(run.id));
  }

  private watch(dir: string, onEvent: () => void): void {
    try {
      const watcher = fs.watch(dir, { persistent: false }, onEvent);
      watcher.on('error', () => this.closeWatcher(dir));
      this.watchers.set(dir, watcher);
    } catch {
      // Not there yet (or no watch support): the timer's rescan covers it.
    }
  }

  private closeWatcher(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  /** Coalesces bursts of watch events (a step appends to several files) into one read. '' = rescan the folder. */
  private schedule(id: string): void {
    this.dirty.add(id);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const ids = [...this.dirty];
      this.dirty.clear();
      if (this.disposed) return;
      if (ids.includes('')) {
        this.refresh();
        return;
      }
      for (const runId of ids) {
        const run = this.runs.get(runId);
        if (run) this.pollRun(run);
      }
    }, 40);
  }
}

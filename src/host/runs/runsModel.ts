// Every run directory under the followed root folders (the runs folder setting first, then folders added in this
// workspace, such as an experiment's runs), followed: fs.watch on each root and on each run (a change is read
// within a few tens of milliseconds) plus a slow timer that rescans, re-reads and re-checks trainer processes, so a
// missed watch event, a network file system or a killed trainer is still noticed within `pollMs`. Other tools' logs
// under the same roots (TensorBoard event folders, TRL output folders, verl JSONL files) are followed beside them.
// No VS Code here: the extension adapts the events; unit tests call refresh() directly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findForeignLogs } from '../../interop/detect';
import type { ForeignLogFollower } from '../../interop/logFollowers';
import { ForeignRun } from './foreignRun';
import type { FollowedRun, RunChange } from './runFollower';
import { RunFollower, listRunDirs, processAlive } from './runFollower';

export type RunsEvent =
  | { readonly kind: 'added'; readonly run: FollowedRun }
  | { readonly kind: 'removed'; readonly run: FollowedRun }
  | { readonly kind: 'changed'; readonly run: FollowedRun; readonly change: RunChange };

export interface RunsModelOptions {
  /** Rescan and re-check interval; 0 disables the timer (tests). */
  readonly pollMs?: number;
  /** Watch the folders (default true). */
  readonly watch?: boolean;
  readonly isAlive?: (pid: number) => boolean;
}

/** Root folders, each once (compared resolved), in order. */
function distinctRoots(roots: readonly string[]): string[] {
  const seen = new Set<string>();
  return roots.filter((root) => {
    const key = path.resolve(root);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export class RunsModel {
  /** By resolved run folder (or foreign log path): two roots may hold runs of the same name. */
  private readonly runs = new Map<string, FollowedRun>();
  private readonly listeners = new Set<(event: RunsEvent) => void>();
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  private rootFolders: string[];

  constructor(
    roots: readonly string[],
    private readonly options: RunsModelOptions = {},
  ) {
    this.rootFolders = distinctRoots(roots);
  }

  /** The followed root folders, in order. */
  get roots(): readonly string[] {
    return this.rootFolders;
  }

  /** Starts following; reads everything already there first. */
  start(): void {
    this.refresh();
    const pollMs = this.options.pollMs ?? 1000;
    if (pollMs > 0) this.timer = setInterval(() => this.refresh(), pollMs);
  }

  /** Follows these root folders instead (a setting changed, a folder was added): runs of dropped roots go. */
  setRoots(roots: readonly string[]): void {
    const next = distinctRoots(roots);
    const same =
      next.length === this.rootFolders.length &&
      next.every((root, i) => path.resolve(root) === path.resolve(this.rootFolders[i]!));
    if (same) return;
    const kept = new Set(next.map((root) => path.resolve(root)));
    for (const root of this.rootFolders) if (!kept.has(path.resolve(root))) this.closeWatcher(root);
    this.rootFolders = next;
    this.refresh();
  }

  list(): FollowedRun[] {
    return [...this.runs.values()];
  }

  /** The run with this id (its folder's name); the first root's wins when two roots hold one of that name. */
  get(id: string): FollowedRun | undefined {
    return this.list().find((run) => run.id === id);
  }

  /** The run in this folder, else the one with the folder's name (the same folder reached by another path). */
  byDir(dir: string): FollowedRun | undefined {
    return this.runs.get(path.resolve(dir)) ?? this.get(path.basename(dir));
  }

  onDidChange(listener: (event: RunsEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Rescans the roots and reads every run's changes now. */
  refresh(): void {
    if (this.disposed) return;
    for (const root of this.rootFolders) this.watchRoot(root);
    const found = this.scan();
    for (const [key, run] of [...this.runs]) if (!found.has(key)) this.remove(key, run);
    for (const [key, source] of found) {
      let run = this.runs.get(key);
      if (!run) {
        run =
          typeof source === 'string'
            ? new RunFollower(source, this.options.isAlive ?? processAlive)
            : new ForeignRun(source);
        this.runs.set(key, run);
        run.poll();
        this.watchRun(run);
        this.emit({ kind: 'added', run });
        continue;
      }
      this.pollRun(run);
    }
  }

  /** Run folders (as paths) and foreign logs (as followers) under the roots, by resolved path; the first root's win. */
  private scan(): Map<string, string | ForeignLogFollower> {
    const found = new Map<string, string | ForeignLogFollower>();
    for (const root of this.rootFolders) {
      for (const dir of listRunDirs(root))
        if (!found.has(path.resolve(dir))) found.set(path.resolve(dir), dir);
      for (const log of findForeignLogs(root)) {
        const key = path.resolve(log.path);
        if (!found.has(key)) found.set(key, log);
      }
    }
    return found;
  }

  /** Reads one run's changes now (e.g. its trainer process just exited). */
  pollRun(run: FollowedRun): void {
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

  private remove(key: string, run: FollowedRun): void {
    this.runs.delete(key);
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

  private watchRoot(root: string): void {
    if (this.options.watch === false || this.watchers.has(root)) return;
    this.watch(root, () => this.schedule(''));
  }

  private watchRun(run: FollowedRun): void {
    if (this.options.watch === false) return;
    const key = path.resolve(run instanceof ForeignRun ? run.logPath : run.dir);
    // A root that is itself a foreign log's folder is watched already (a change there rescans and polls all).
    if (this.watchers.has(run.dir)) return;
    this.watch(run.dir, () => this.schedule(key));
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

  /** Coalesces bursts of watch events (a step appends to several files) into one read. '' = rescan the roots. */
  private schedule(key: string): void {
    this.dirty.add(key);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const keys = [...this.dirty];
      this.dirty.clear();
      if (this.disposed) return;
      if (keys.includes('')) {
        this.refresh();
        return;
      }
      for (const key of keys) {
        const run = this.runs.get(key);
        if (run) this.pollRun(run);
      }
    }, 40);
  }
}

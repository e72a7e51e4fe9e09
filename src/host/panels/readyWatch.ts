// Why a panel can hang on "Loading…": VS Code rebuilds a webview's frame when the panel moves to another editor
// group or comes back from hidden, and in that new frame the page's script or stylesheet can fail to load; then
// no "ready" ever comes and nothing would try again. The watch waits for "ready" after each (re)load and sets
// the page's HTML again when it does not arrive in time, a bounded number of times, waiting twice as long each
// time: a page that is only slow (a busy machine) must not be cut off over and over. No vscode here, so the unit
// tier drives it with fake timers.

export interface ReadyWatchOptions {
  /** How long a loading page may take to say "ready"; doubled after each reload. */
  readonly timeoutMs: number;
  /** Reloads after one (re)load before giving up (the panel then says so in the log). */
  readonly maxReloads: number;
}

export const READY_WATCH_DEFAULTS: ReadyWatchOptions = { timeoutMs: 8_000, maxReloads: 3 };

export interface ReadyWatchActions {
  /** Sets the page's HTML again (a fresh nonce, so the webview really reloads). */
  reload(attempt: number): void;
  /** Every reload failed too. */
  gaveUp(attempts: number): void;
}

export class ReadyWatch {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private reloads = 0;
  private disposed = false;

  constructor(
    private readonly actions: ReadyWatchActions,
    private readonly options: ReadyWatchOptions = READY_WATCH_DEFAULTS,
  ) {}

  /** VS Code (re)loads the page (first show, shown again, moved): its "ready" is due within the timeout. */
  loading(): void {
    if (this.disposed) return;
    this.reloads = 0;
    this.arm();
  }

  /** The page said "ready": nothing to recover. */
  ready(): void {
    this.clear();
    this.reloads = 0;
  }

  /** Waiting for "ready" right now. */
  get waiting(): boolean {
    return this.timer !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.clear();
  }

  private arm(): void {
    this.clear();
    this.timer = setTimeout(() => this.expired(), this.options.timeoutMs * 2 ** this.reloads);
  }

  private expired(): void {
    this.timer = undefined;
    if (this.disposed) return;
    if (this.reloads >= this.options.maxReloads) {
      this.actions.gaveUp(this.reloads);
      return;
    }
    this.reloads++;
    // The reload is the watch's own: it does not count as a new load (the tries go on counting).
    this.actions.reload(this.reloads);
    this.arm();
  }

  private clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

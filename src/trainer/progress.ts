// Terminal output of `bnpo train`: a one-line progress bar redrawn in place on a TTY, plain lines otherwise.
import type { ProgressEvent, TrainResult } from './trainer';

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);

export class Progress {
  private readonly tty: boolean;
  private readonly start = Date.now();
  private rlStart: { time: number; step: number } | null = null;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream) {
    this.tty = out.isTTY === true;
  }

  private clear(): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }

  log(line: string): void {
    this.clear();
    this.out.write(line + '\n');
  }

  update(e: ProgressEvent): void {
    if (!this.tty) {
      if (e.phase === 'rl') this.out.write(e.line + '\n');
      return;
    }
    if (e.phase === 'sft') return;
    if (this.rlStart === null) this.rlStart = { time: Date.now(), step: e.step - 1 };
    const done = e.step - this.rlStart.step;
    const perStep = (Date.now() - this.rlStart.time) / 1000 / Math.max(done, 1);
    const width = 24;
    const filled = Math.round((width * e.step) / Math.max(e.total, 1));
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    this.clear();
    this.out.write(
      `[${bar}] ${e.step}/${e.total} reward ${e.reward?.toFixed(3) ?? '–'} acc ${pct(e.accuracy)}` +
        ` held-out ${pct(e.evalAccuracy)} ETA ${duration(perStep * (e.total - e.step))}`,
    );
    this.drawn = true;
  }

  /** Prints the final summary and returns the exit code. */
  summary(r: TrainResult): number {
    this.clear();
    const minutes = duration((Date.now() - this.start) / 1000);
    const lines = [
      '',
      `run ${r.status} after ${r.steps} RL steps in ${minutes}`,
      `held-out accuracy: base (SFT) ${pct(r.baseAccuracy)} → final ${pct(r.finalAccuracy)}` +
        (r.baseAccuracy !== null && r.finalAccuracy !== null
          ? ` (${r.finalAccuracy >= r.baseAccuracy ? '+' : ''}${(100 * (r.finalAccuracy - r.baseAccuracy)).toFixed(1)} points)`
          : ''),
      `run directory: ${r.runDir}`,
    ];
    if (r.error !== null) lines.push(`error: ${r.error}`);
    this.out.write(lines.join('\n') + '\n');
    return r.status === 'failed' ? 1 : 0;
  }
}

// Terminal output of `bnpo train`, one Reporter: a progress bar redrawn in place on a TTY (the warm start and the RL
// steps each get one); where output is not a TTY (CI logs, the studio's log) a plain line every few steps, with ETA.
import type { ProgressEvent, Reporter } from './reporter';
import type { TrainResult } from './trainer';

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);

/** Lines a non-TTY log gets per phase, at most (plus the last step). */
const PLAIN_LINES = 25;

export class Progress implements Reporter {
  private readonly tty: boolean;
  private readonly start = Date.now();
  private phaseStart: { phase: ProgressEvent['phase']; time: number; step: number } | null = null;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean }) {
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

  checkpointed(_step: number, where: string): void {
    this.log(`checkpoint ${where}`);
  }

  /** Seconds left in the event's phase, from the pace since this invocation reached it. */
  private eta(e: ProgressEvent): number {
    if (this.phaseStart?.phase !== e.phase)
      this.phaseStart = { phase: e.phase, time: Date.now(), step: e.step - (e.phase === 'rl' ? 1 : 0) };
    const done = e.step - this.phaseStart.step;
    const perStep = (Date.now() - this.phaseStart.time) / 1000 / Math.max(done, 1);
    return perStep * (e.total - e.step);
  }

  progress(e: ProgressEvent): void {
    const eta = duration(this.eta(e));
    if (!this.tty) {
      const every = Math.max(1, Math.floor(e.total / PLAIN_LINES));
      // The warm start reports only every `evalEvery` steps already, and may end long before its budget.
      if (e.phase === 'sft' || e.step % every === 0 || e.step === e.total)
        this.out.write(`${e.line} ETA ${eta}\n`);
      return;
    }
    const width = 24;
    const filled = Math.min(width, Math.round((width * e.step) / Math.max(e.total, 1)));
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const figures =
      e.phase === 'sft'
        ? `held-out ${pct(e.evalAccuracy)} (warm start, stops at the target accuracy)`
        : `reward ${e.reward?.toFixed(3) ?? '–'} acc ${pct(e.accuracy)} held-out ${pct(e.evalAccuracy)} ETA ${eta}`;
    this.clear();
    this.out.write(`${e.phase === 'sft' ? 'sft ' : ''}[${bar}] ${e.step}/${e.total} ${figures}`);
    this.drawn = true;
  }

  /** Prints the final summary and returns the exit code. */
  summary(r: TrainResult): number {
    this.clear();
    const here = (Date.now() - this.start) / 1000;
    const all =
      Math.abs(r.wall - here) > 1 ? ` (${duration(r.wall)} of training in all, over every resume)` : '';
    const lines = [
      '',
      `run ${r.status} after ${r.steps} RL steps in ${duration(here)}${all}`,
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

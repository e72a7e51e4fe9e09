// How a running trainer is told what to do: SIGTERM / SIGINT or an IPC `stop` (checkpoint, end `stopped`), and an
// IPC `checkpoint` (write one at the end of the current step, report it back with `checkpointed`).
import { HostToTrainerSchema } from '../protocol/trainerIpc';

export class Control {
  stop = false;
  checkpoint = false;
  /** What asked to stop: the signal's name, or `stop message`. */
  reason = '';
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.stop = true;
    this.reason = signal;
  };
  private readonly onMessage = (raw: unknown) => {
    const msg = HostToTrainerSchema.safeParse(raw);
    if (!msg.success) return this.log(`ignored an unknown IPC message: ${JSON.stringify(raw)}`);
    if (msg.data.type === 'stop') {
      this.stop = true;
      this.reason = 'stop message';
    } else {
      this.checkpoint = true;
      this.log('checkpoint requested; it is written at the end of this step');
    }
  };

  constructor(private readonly log: (line: string) => void) {
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
    process.on('message', this.onMessage);
  }

  /** The pending checkpoint request, cleared. */
  takeCheckpointRequest(): boolean {
    const asked = this.checkpoint;
    this.checkpoint = false;
    return asked;
  }

  dispose(): void {
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
    process.off('message', this.onMessage);
  }
}

// TRL (transformers' Trainer) `trainer_state.json`: its `log_history` is one entry per logging step, each a flat
// object of numbers keyed by metric name plus `step` (and `epoch`). No wall time is kept per entry.
import { z } from 'zod';
import type { ScalarPoint } from './scalars';
import { InteropError, scalarOf } from './scalars';

export const TRAINER_STATE_FILE = 'trainer_state.json';

const TrainerStateSchema = z.looseObject({
  log_history: z.array(z.record(z.string(), z.unknown())),
});

/** Log-history entries from index `from` on, as scalar points. Throws an InteropError naming the entry. */
export function parseTrainerState(
  text: string,
  file: string,
  from = 0,
): { points: ScalarPoint[]; entries: number } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InteropError(`${file}: not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const state = TrainerStateSchema.safeParse(json);
  if (!state.success) throw new InteropError(`${file}: log_history: missing or not a list of objects`);
  const history = state.data.log_history;
  const points: ScalarPoint[] = [];
  for (let i = from; i < history.length; i++) {
    const entry = history[i] ?? {};
    const step = entry.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
      throw new InteropError(
        `${file}: log_history[${i}].step: expected a whole number, got ${JSON.stringify(step)}`,
      );
    }
    for (const [tag, raw] of Object.entries(entry)) {
      const value = scalarOf(raw);
      if (tag !== 'step' && value !== undefined) points.push({ tag, step, value, wallTime: undefined });
    }
  }
  return { points, entries: history.length };
}

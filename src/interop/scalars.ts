// The one shape every foreign log is read into: named scalar series of (step, value) points. TensorBoard, TRL and
// verl each log something different, so the readers stop at this and the mapping onto our metric names
// (metricNames.ts) and onto run records (importedRun.ts) is shared.

export interface ScalarPoint {
  /** The name the other tool logged it under (a TensorBoard tag, a `log_history` key, a verl metric key). */
  readonly tag: string;
  readonly step: number;
  readonly value: number;
  /** Seconds since the Unix epoch when it was logged; undefined when the format does not record it (TRL). */
  readonly wallTime: number | undefined;
}

/** Corrupt or unreadable foreign input: the message names the file and where in it (byte offset or line). */
export class InteropError extends Error {
  override readonly name = 'InteropError';
}

/** The logged value as a number, or undefined when it is not a scalar (a string, a list, a nested object). */
export function scalarOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

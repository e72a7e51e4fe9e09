/**
 * A run directory that cannot be used as asked (corrupt run.json, locked, no valid checkpoint, an input that
 * changed): the user's situation, not a bug, so the CLI prints the message on one line and exits non-zero.
 */
export class RunDirError extends Error {
  override readonly name = 'RunDirError';
}

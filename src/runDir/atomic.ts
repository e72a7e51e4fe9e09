// Replacing a file so that a reader (or a kill) sees the old content or the new, never half of either: write a
// temp file beside it, then rename over it. The temp name carries the pid, so a kill leaves `NAME.tmp-PID`, which
// cleanLeftovers (checkpoints.ts) removes when the run resumes.
import * as fs from 'node:fs';
import { faultPoint } from './faults';

export const TEMP_MARK = '.tmp-';

export function tempNameOf(file: string): string {
  return `${file}${TEMP_MARK}${process.pid}`;
}

export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = tempNameOf(file);
  fs.writeFileSync(tmp, data);
  faultPoint('atomic-write');
  fs.renameSync(tmp, file);
}

/** JSON of `value`, indented, with a final newline: how every whole-file record of a run is written. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

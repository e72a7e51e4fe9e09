// The files a run trains on (rules, dataset), pinned in run.json by absolute path and SHA-256 so that a resume
// reads exactly them, from whatever folder it is started, and notices when one changed.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PinnedFile, RunInputs } from '../protocol/runDir';
import { RunDirError } from './errors';

export function pinFile(file: string): PinnedFile {
  const full = path.resolve(file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(full);
  } catch (err) {
    throw new RunDirError(`${full}: cannot read: ${(err as Error).message}`);
  }
  return { path: full, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export interface InputChange {
  readonly file: string;
  readonly from: string;
  readonly to: string;
}

function eachPinned(inputs: RunInputs): PinnedFile[] {
  return [inputs.rules, ...Object.values(inputs.dataset)];
}

/** The pinned files whose bytes changed since they were pinned; a pinned file that is gone is a RunDirError. */
export function changedInputs(inputs: RunInputs): InputChange[] {
  const changes: InputChange[] = [];
  for (const pinned of eachPinned(inputs)) {
    if (!fs.existsSync(pinned.path))
      throw new RunDirError(
        `${pinned.path}: the run trains on this file (pinned in run.json) and it is gone`,
      );
    const now = pinFile(pinned.path);
    if (now.sha256 !== pinned.sha256)
      changes.push({ file: pinned.path, from: pinned.sha256, to: now.sha256 });
  }
  return changes;
}

/** `inputs` with each changed file's new hash: what a resume that accepts the changes records. */
export function acceptChanges(inputs: RunInputs, changes: readonly InputChange[]): RunInputs {
  const update = (p: PinnedFile): PinnedFile => ({
    path: p.path,
    sha256: changes.find((c) => c.file === p.path)?.to ?? p.sha256,
  });
  return {
    rules: update(inputs.rules),
    dataset: Object.fromEntries(Object.entries(inputs.dataset).map(([k, p]) => [k, update(p)])),
  };
}

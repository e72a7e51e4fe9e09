// Which foreign log a path holds: a TensorBoard run folder (event files), a TRL output folder (trainer_state.json,
// else its newest checkpoint's), or a verl file-logger JSONL (the file, or the only such file in a folder).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMPORTED_RUN_FILES } from '../protocol/importedRun';
import { isRunDir } from '../runDir/layout';
import type { ForeignLogFollower } from './logFollowers';
import { TensorBoardFollower, TrlFollower, VerlFollower } from './logFollowers';
import { InteropError } from './scalars';
import { isEventFileName } from './tensorboardEvents';
import { TRAINER_STATE_FILE } from './trlState';
import { isVerlLine } from './verlJsonl';

function firstLine(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const bytes = new Uint8Array(64 * 1024);
    const n = fs.readSync(fd, bytes, 0, bytes.length, 0);
    const text = new TextDecoder().decode(bytes.subarray(0, n));
    return text.slice(0, text.indexOf('\n') >>> 0);
  } finally {
    fs.closeSync(fd);
  }
}

/** TRL's trainer_state.json in `dir`, or the one of its newest `checkpoint-N/`. */
function trainerState(dir: string, names: readonly string[]): string | undefined {
  if (names.includes(TRAINER_STATE_FILE)) return path.join(dir, TRAINER_STATE_FILE);
  const newest = names
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ dir: path.join(dir, m[0]), step: Number(m[1]) }))
    .filter((c) => fs.existsSync(path.join(c.dir, TRAINER_STATE_FILE)))
    .sort((a, b) => b.step - a.step)[0];
  return newest === undefined ? undefined : path.join(newest.dir, TRAINER_STATE_FILE);
}

/** A follower for the foreign log at `target`, or undefined when it holds none (or is one of our run folders). */
export function detectForeignLog(target: string): ForeignLogFollower | undefined {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (stat === undefined) return undefined;
  if (stat.isFile()) {
    if (path.basename(target) === TRAINER_STATE_FILE) return new TrlFollower(target);
    return target.endsWith('.jsonl') && isVerlLine(firstLine(target)) ? new VerlFollower(target) : undefined;
  }
  if (isRunDir(target)) return undefined;
  const names = fs.readdirSync(target);
  if (names.includes(IMPORTED_RUN_FILES.info)) return undefined;
  if (names.some(isEventFileName)) return new TensorBoardFollower(target);
  if (trainerState(target, names) !== undefined) {
    return new TrlFollower(target, () => trainerState(target, fs.readdirSync(target)));
  }
  const verl = names
    .filter((n) => n.endsWith('.jsonl'))
    .map((n) => path.join(target, n))
    .filter((f) => fs.statSync(f).isFile() && isVerlLine(firstLine(f)));
  return verl.length === 1 && verl[0] !== undefined ? new VerlFollower(verl[0]) : undefined;
}

/** Like detectForeignLog, with a one-line error saying what was looked for. */
export function requireForeignLog(target: string): ForeignLogFollower {
  const found = detectForeignLog(target);
  if (found !== undefined) return found;
  throw new InteropError(
    `${target}: no TensorBoard event files (${'events.out.tfevents.*'}), ${TRAINER_STATE_FILE} or verl file-logger JSONL found`,
  );
}

/** Folders never looked into for foreign logs: tool caches and package folders. */
const SKIPPED_FOLDERS = new Set(['node_modules', '__pycache__']);

/**
 * Foreign runs under `root` (the root itself included), looking `depth` folders down; our own run folders (and
 * what is inside them) skipped, as are hidden folders below the root.
 */
export function findForeignLogs(root: string, depth = 3): ForeignLogFollower[] {
  const found = detectForeignLog(root);
  if (found !== undefined) return [found];
  if (depth === 0 || isRunDir(root) || !fs.statSync(root, { throwIfNoEntry: false })?.isDirectory())
    return [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch {
    return []; // gone or unreadable since the stat: the next scan sees
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !SKIPPED_FOLDERS.has(e.name))
    .flatMap((e) => findForeignLogs(path.join(root, e.name), depth - 1));
}

// run.json: read strictly where a run is continued (a problem is a RunDirError naming the file and field), read
// tolerantly where a run is only watched (a problem is a line to show), written atomically.
import * as fs from 'node:fs';
import type { z } from 'zod';
import { RunInfoSchema, type RunInfo } from '../protocol/runDir';
import { writeJsonAtomic } from './atomic';
import { RunDirError } from './errors';
import { runFile } from './layout';

export type RunInfoRead = { readonly info: RunInfo } | { readonly problem: string };

/** run.json of `dir` as a value or a one-line problem; never throws. */
export function readRunInfoResult(dir: string): RunInfoRead {
  const file = runFile(dir, 'run');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: `${file}: ${code === 'ENOENT' ? 'missing' : (err as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { problem: `${file}: not JSON: ${(err as Error).message}` };
  }
  const parsed = RunInfoSchema.safeParse(value);
  if (parsed.success) return { info: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 2)
    .map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`);
  return { problem: `${file}: ${issues.join('; ')}` };
}

/** run.json of `dir`, or null when there is none; one that does not parse is a RunDirError naming the file. */
export function readRunInfo(dir: string): RunInfo | null {
  const r = readRunInfoResult(dir);
  if ('info' in r) return r.info;
  if (!fs.existsSync(runFile(dir, 'run'))) return null;
  throw new RunDirError(r.problem);
}

/** run.json of `dir`; its absence is a RunDirError too. */
export function requireRunInfo(dir: string): RunInfo {
  const info = readRunInfo(dir);
  if (info === null) throw new RunDirError(`${dir}: not a run directory (no ${runFile(dir, 'run')})`);
  return info;
}

export function writeRunInfo(dir: string, info: RunInfo): void {
  writeJsonAtomic(runFile(dir, 'run'), RunInfoSchema.parse(info));
}

/** A stamp that changes whenever run.json is replaced or rewritten ('missing' when absent). */
export function runInfoStamp(dir: string): string {
  try {
    const stat = fs.statSync(runFile(dir, 'run'));
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/** Modification time (ms) of the newest of run.json and metrics.jsonl; 0 when neither exists. */
export function runActivityTime(dir: string): number {
  const mtime = (file: string) => {
    try {
      return fs.statSync(file).mtimeMs;
    } catch {
      return 0;
    }
  };
  return Math.max(mtime(runFile(dir, 'run')), mtime(runFile(dir, 'metrics')));
}

/**
 * run.json read with a schema of the caller's (only the fields it needs, for runs of older or newer writers and
 * other engines); undefined when it is missing or does not match.
 */
export function readRunJsonAs<T>(dir: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(fs.readFileSync(runFile(dir, 'run'), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

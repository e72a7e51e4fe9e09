// Finds the latest run that scored with a given rule file and reads its newest per-rule figures. Runs may come
// from older or newer trainers, or other engines: every read is tolerant (loose schemas, torn last lines, missing
// files), and anything unreadable is simply "no run". The files are read through the run-directory library.
import * as path from 'node:path';
import { z } from 'zod';
import { readLastRecord } from '../../runDir/jsonl';
import { listRunDirs, runFile } from '../../runDir/layout';
import { readRunJsonAs, runActivityTime } from '../../runDir/runInfo';

/** Only what the hover needs from run.json; the full record is RunInfoSchema in src/protocol/runDir.ts. */
const runInfoLoose = z.looseObject({
  id: z.string().optional(),
  rulesFile: z.string(),
  status: z.string().optional(),
});

const betaLoose = z.looseObject({
  alpha: z.number(),
  beta: z.number(),
  a: z.number().optional(),
  b: z.number().optional(),
  guard: z.string().nullable().optional(),
});
const metricsLoose = z.looseObject({
  step: z.number(),
  rewards: z.record(z.string(), z.number()),
  beta: z.record(z.string(), z.unknown()).optional(),
});

export interface RunRef {
  id: string;
  dir: string;
  status: string | undefined;
  /** modification time of the run's newest file, ms */
  mtime: number;
}

export interface RuleRunFigures {
  step: number;
  /** mean reward of the rule at that step = its pass rate */
  passRate: number | undefined;
  beta: z.infer<typeof betaLoose> | undefined;
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string): string => {
    const r = path.resolve(p);
    return process.platform === 'win32' ? r.toLowerCase() : r;
  };
  return norm(a) === norm(b);
}

/**
 * The newest run under `runsRoot` whose run.json names `rulesFile`. A relative `rulesFile` in run.json is read
 * against each of `baseDirs` (e.g. the workspace folder) and against the run folder.
 */
export function latestRunForRules(
  runsRoot: string,
  rulesFile: string,
  baseDirs: readonly string[] = [],
): Promise<RunRef | undefined> {
  let best: RunRef | undefined;
  for (const dir of listRunDirs(runsRoot)) {
    const info = readRunJsonAs(dir, runInfoLoose);
    if (info === undefined) continue;
    const candidates = path.isAbsolute(info.rulesFile)
      ? [info.rulesFile]
      : [...baseDirs, dir].map((base) => path.resolve(base, info.rulesFile));
    if (!candidates.some((c) => samePath(c, rulesFile))) continue;
    const mtime = runActivityTime(dir);
    if (best === undefined || mtime > best.mtime)
      best = { id: info.id ?? path.basename(dir), dir, status: info.status, mtime };
  }
  return Promise.resolve(best);
}

/** The newest complete metrics record of a run, with the figures of one rule. */
export function latestRuleFigures(runDir: string, rule: string): Promise<RuleRunFigures | undefined> {
  const m = readLastRecord(runFile(runDir, 'metrics'), metricsLoose);
  if (m === undefined) return Promise.resolve(undefined);
  const beta = betaLoose.safeParse(m.beta?.[rule]);
  return Promise.resolve({
    step: m.step,
    passRate: m.rewards[rule],
    beta: beta.success ? beta.data : undefined,
  });
}

// Finds the latest run that scored with a given rule file and reads its newest per-rule figures. Runs may come
// from older or newer trainers, or other engines: every read is tolerant (loose schemas, torn last lines, missing
// files), and anything unreadable is simply "no run".
import { open, readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { RUN_FILES } from '../../protocol/runDir';

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

async function mtimeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
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
export async function latestRunForRules(
  runsRoot: string,
  rulesFile: string,
  baseDirs: readonly string[] = [],
): Promise<RunRef | undefined> {
  let entries: string[];
  try {
    entries = await readdir(runsRoot);
  } catch {
    return undefined;
  }
  let best: RunRef | undefined;
  for (const name of entries) {
    const dir = path.join(runsRoot, name);
    let info: z.infer<typeof runInfoLoose>;
    try {
      const parsed = runInfoLoose.safeParse(
        JSON.parse(await readFile(path.join(dir, RUN_FILES.run), 'utf8')),
      );
      if (!parsed.success) continue;
      info = parsed.data;
    } catch {
      continue;
    }
    const candidates = path.isAbsolute(info.rulesFile)
      ? [info.rulesFile]
      : [...baseDirs, dir].map((base) => path.resolve(base, info.rulesFile));
    if (!candidates.some((c) => samePath(c, rulesFile))) continue;
    const mtime = Math.max(
      await mtimeOf(path.join(dir, RUN_FILES.run)),
      await mtimeOf(path.join(dir, RUN_FILES.metrics)),
    );
    if (best === undefined || mtime > best.mtime)
      best = { id: info.id ?? name, dir, status: info.status, mtime };
  }
  return best;
}

/** Reads at most the last `bytes` of a file: metrics files grow for the whole run and we want the newest line. */
async function tail(file: string, bytes: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    // drop a partial first line when we started mid-file
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    await handle.close();
  }
}

/** The newest complete metrics record of a run, with the figures of one rule. */
export async function latestRuleFigures(runDir: string, rule: string): Promise<RuleRunFigures | undefined> {
  let text: string;
  try {
    text = await tail(path.join(runDir, RUN_FILES.metrics), 256 * 1024);
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  // the last line may be torn (still being written): walk back to the newest record that parses
  for (let i = lines.length - 1; i >= 0; i--) {
    const raw = lines[i]?.trim();
    if (!raw) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      continue;
    }
    const m = metricsLoose.safeParse(value);
    if (!m.success) continue;
    const beta = betaLoose.safeParse(m.data.beta?.[rule]);
    return {
      step: m.data.step,
      passRate: m.data.rewards[rule],
      beta: beta.success ? beta.data : undefined,
    };
  }
  return undefined;
}

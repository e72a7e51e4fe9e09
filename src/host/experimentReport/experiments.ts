// Finding experiment folders (written by `bnpo experiment`) and summarising each from its report.json, without
// VS Code, so the command stays thin and this part is unit-tested.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXPERIMENT_FILES, ExperimentReportSchema } from '../../protocol/experiment';

export interface ExperimentEntry {
  readonly dir: string;
  readonly name: string;
  readonly reportMd: string;
  /** null when report.json is missing or does not validate (see `problem`). */
  readonly complete: boolean | null;
  readonly createdAt: string | null;
  readonly cells: number | null;
  readonly problem: string | null;
}

/** The folder's report, or null when it holds no report.md. */
export function describeExperiment(dir: string): ExperimentEntry | null {
  const reportMd = path.join(dir, EXPERIMENT_FILES.reportMd);
  if (!fs.existsSync(reportMd)) return null;
  const jsonFile = path.join(dir, EXPERIMENT_FILES.reportJson);
  const base = { dir, reportMd, name: path.basename(dir) };
  let problem: string;
  try {
    const parsed = ExperimentReportSchema.safeParse(JSON.parse(fs.readFileSync(jsonFile, 'utf8')));
    if (parsed.success) {
      const r = parsed.data;
      return {
        ...base,
        name: r.name,
        complete: r.complete,
        createdAt: r.createdAt,
        cells: r.rows.reduce((n, row) => n + row.seeds, 0),
        problem: null,
      };
    }
    const i = parsed.error.issues[0]!;
    problem = `${jsonFile}: ${i.path.join('.') || '(record)'}: ${i.message}`;
  } catch (err) {
    problem = `${jsonFile}: ${(err as Error).message}`;
  }
  return { ...base, complete: null, createdAt: null, cells: null, problem };
}

/**
 * Experiments in `roots`: each root is an experiment folder itself or a folder of experiment folders
 * (e.g. .bnpo/experiments). Newest report first; folders without report.md are left out.
 */
export function findExperiments(roots: readonly string[]): ExperimentEntry[] {
  const found = new Map<string, ExperimentEntry>();
  for (const root of roots) {
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) continue;
    const candidates = [
      root,
      ...fs
        .readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => path.join(root, e.name)),
    ];
    for (const dir of candidates) {
      const entry = describeExperiment(dir);
      if (entry !== null) found.set(path.resolve(dir), entry);
    }
  }
  const time = (e: ExperimentEntry) => fs.statSync(e.reportMd).mtimeMs;
  return [...found.values()].sort((a, b) => time(b) - time(a));
}

/** One line for a quick pick: state, cells and when. */
export function summarise(e: ExperimentEntry): string {
  if (e.problem !== null) return `report.json unreadable: ${e.problem}`;
  return `${e.complete === true ? 'complete' : 'incomplete'} · ${e.cells ?? 0} finished runs · ${e.createdAt ?? ''}`;
}

// `bnpo experiment`: the side-by-side estimator study (estimators × seeds × tasks on shared SFT bases), its
// gradient-variance probes and its report. Also the probe child process (`--probe ID`), started by the runner.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXPERIMENT_FILES, ExperimentConfigSchema, type ExperimentConfig } from '../protocol/experiment';
import { checkpointProblem, latestCheckpoint } from '../runDir/checkpoints';
import { writeJsonAtomic } from '../runDir/atomic';
import { checkpointName, checkpointsDir } from '../runDir/layout';
import {
  ExperimentConfigError,
  parseExperimentConfig,
  planExperiment,
  quickConfig,
  runsDir,
} from '../experiment/plan';
import { probeGradientVariance, varianceRecord } from '../experiment/probe';
import { writeReport } from '../experiment/report';
import { readRunInfo } from '../experiment/runDirs';
import { ExperimentFolderError, probeFile, readExperimentInfo, runExperiment } from '../experiment/runner';
import { positionOf, readConfigSource } from './configFile';
import { parseCommandLine, UsageError } from './usage';

const HELP = `usage: bnpo experiment [--config FILE] [--quick] [--out DIR] [--parallel N]
       bnpo experiment --report --out DIR

Trains every estimator × seed × task of the grid from one shared SFT base per task and seed, on the same budget,
probes the policy-gradient variance of every estimator at fixed checkpoints, and writes report.md (a table, SVG
plots and the theory check) into the experiment folder. Rerunning the same command skips finished cells.

  --config FILE   experiment configuration (JSON with comments): tasks, estimators, seeds, run (shared run
                  settings), parallel, metrics, variance. Without it: the default study.
  --quick         the same study on a tiny budget (one task, two seeds, three estimators): a few minutes
  --out DIR       experiment folder (default .bnpo/experiments/<name>)
  --parallel N    runs at once (default: the number of CPU cores)
  --report        only rewrite the report from what the folder holds`;

/** Reads and validates an experiment file; problems name the file, line, column and field. */
export function readExperimentConfigFile(file: string): ExperimentConfig {
  const { data, source } = readConfigSource(file, 'experiment configuration', ExperimentConfigSchema);
  try {
    planExperiment(data);
  } catch (err) {
    if (!(err instanceof ExperimentConfigError)) throw err;
    const lines = err.message.split('\n').map((line) => {
      const field = line.slice(0, line.indexOf(':'));
      return `${positionOf(source, field.split('.'))}: ${line}`;
    });
    throw new UsageError(lines.join('\n'));
  }
  return data;
}

/** The probe child: measures one checkpoint and writes variance/<id>.json. */
async function probe(id: string, dir: string): Promise<number> {
  const info = readExperimentInfo(dir);
  if (info === null) throw new UsageError(`${dir}: no ${EXPERIMENT_FILES.info}; not an experiment folder`);
  const plan = planExperiment(info.config);
  const p = plan.probes.find((x) => x.id === id);
  if (p === undefined) throw new UsageError(`${dir}: the experiment plans no probe '${id}'`);
  const runDir = path.join(runsDir(dir), p.run);
  const run = readRunInfo(runDir);
  if (run?.status !== 'completed') throw new Error(`${runDir}: the run has not completed`);
  const checkpointDir =
    p.kind === 'base' ? path.join(checkpointsDir(runDir), checkpointName(0)) : latestCheckpoint(runDir);
  if (checkpointDir === null || checkpointProblem(checkpointDir) !== null)
    throw new Error(`${runDir}: no checkpoint to probe`);
  const result = await probeGradientVariance({
    config: run.config,
    checkpointDir,
    estimators: plan.config.estimators,
    batches: plan.config.variance.batches,
    prompts: plan.config.variance.prompts,
    seed: p.seed,
    baseDir: dir,
  });
  const step = Number(path.basename(checkpointDir).replace(/^step-/, ''));
  const record = varianceRecord(result, {
    task: p.task,
    seed: p.seed,
    checkpoint: { kind: p.kind, run: p.run, estimator: p.estimator, step },
  });
  const file = probeFile(dir, p);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeJsonAtomic(file, record);
  process.stdout.write(`probe ${id}: ${result.seconds.toFixed(1)}s, ${result.parameters} parameters\n`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      config: { type: 'string' },
      quick: { type: 'boolean' },
      out: { type: 'string' },
      parallel: { type: 'string' },
      report: { type: 'boolean' },
      probe: { type: 'string' },
    },
    HELP,
  );
  if (parsed === undefined) return 0;
  const { values } = parsed;
  if (values.probe !== undefined) {
    if (values.out === undefined) throw new UsageError('--probe needs --out (the experiment folder)');
    return probe(values.probe, path.resolve(values.out));
  }
  if (values.report === true) {
    if (values.out === undefined) throw new UsageError('--report needs --out (the experiment folder)');
    const dir = path.resolve(values.out);
    const info = readExperimentInfo(dir);
    if (info === null) throw new UsageError(`${dir}: no ${EXPERIMENT_FILES.info}; not an experiment folder`);
    const report = await writeReport(dir, planExperiment(info.config), info);
    process.stdout.write(
      `report: ${path.join(dir, EXPERIMENT_FILES.reportMd)}${report.complete ? '' : ' (incomplete)'}\n`,
    );
    return report.complete ? 0 : 1;
  }

  let config: ExperimentConfig;
  try {
    config =
      values.config !== undefined ? readExperimentConfigFile(values.config) : parseExperimentConfig({});
    if (values.quick === true) config = quickConfig(config);
    if (values.parallel !== undefined) {
      if (!/^[1-9]\d*$/.test(values.parallel))
        throw new UsageError(`--parallel must be a positive whole number, got '${values.parallel}'`);
      config = { ...config, parallel: Number(values.parallel) };
    }
    planExperiment(config);
  } catch (err) {
    if (err instanceof ExperimentConfigError) throw new UsageError(err.message);
    throw err;
  }
  const dir = path.resolve(values.out ?? path.join('.bnpo', 'experiments', config.name));
  const cli = path.resolve(process.argv[1] ?? '');
  if (!fs.existsSync(cli)) throw new Error(`cannot find the bnpo CLI to start runs with (${cli})`);
  try {
    const outcome = await runExperiment({
      config,
      configFile: values.config !== undefined ? path.resolve(values.config) : null,
      quick: values.quick === true,
      dir,
      cli,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    const md = path.join(dir, EXPERIMENT_FILES.reportMd);
    process.stdout.write(
      `\nexperiment ${outcome.stopped ? 'stopped' : outcome.report.complete ? 'complete' : 'incomplete'} after ${(outcome.seconds / 60).toFixed(1)} min` +
        `${outcome.report.complete ? '' : ` (${outcome.report.missing.length} missing; rerun the same command to resume)`}\nreport: ${md}\n`,
    );
    return outcome.report.complete ? 0 : 1;
  } catch (err) {
    if (err instanceof ExperimentFolderError) throw new UsageError(err.message);
    throw err;
  }
}

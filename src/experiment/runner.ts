// Runs an experiment folder to completion: SFT bases, then the cells forked from them, then the gradient-variance
// probes, as child processes of the `bnpo` CLI (`train --resume`, `experiment --probe`), `parallel` at a time.
// Everything lands in the folder as it finishes, so a rerun skips what is done and resumes what was interrupted;
// the report is written from the folder at the end of every invocation, complete or not.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  EXPERIMENT_FILES,
  EXPERIMENT_VERSION,
  ExperimentInfoSchema,
  VarianceRecordSchema,
  type ExperimentConfig,
  type ExperimentInfo,
  type ExperimentReport,
} from '../protocol/experiment';
import { writeAtomic } from '../runDir/atomic';
import { runFile } from '../runDir/layout';
import { planExperiment, runsDir, type Plan, type PlannedProbe } from './plan';
import { runJobs, type Job } from './pool';
import { writeReport } from './report';
import { configDifference, createPendingRun, forkFromBase, readRunInfo } from './runDirs';

export interface ExperimentOptions {
  readonly config: ExperimentConfig;
  readonly configFile: string | null;
  readonly quick: boolean;
  /** The experiment folder. */
  readonly dir: string;
  /** Path of the `bnpo` CLI bundle the children run. */
  readonly cli: string;
  readonly log: (line: string) => void;
}

export interface ExperimentOutcome {
  readonly report: ExperimentReport;
  readonly failed: string[];
  readonly stopped: boolean;
  readonly seconds: number;
}

/** The folder cannot take this experiment: another live process runs it, or it holds another configuration. */
export class ExperimentFolderError extends Error {
  override readonly name = 'ExperimentFolderError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lock(dir: string): () => void {
  const file = path.join(dir, 'experiment.lock');
  if (fs.existsSync(file)) {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid))
      throw new ExperimentFolderError(
        `${dir}: another bnpo experiment (pid ${pid}) is running on this folder`,
      );
  }
  fs.writeFileSync(file, `${process.pid}\n`);
  return () => fs.rmSync(file, { force: true });
}

export function probeFile(dir: string, probe: PlannedProbe): string {
  return path.join(dir, EXPERIMENT_FILES.variance, `${probe.id}.json`);
}

export function readExperimentInfo(dir: string): ExperimentInfo | null {
  const file = path.join(dir, EXPERIMENT_FILES.info);
  if (!fs.existsSync(file)) return null;
  const parsed = ExperimentInfoSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${file}: ${i.path.join('.') || '(record)'}: ${i.message}`);
  }
  return parsed.data;
}

function infoFor(plan: Plan, options: ExperimentOptions, previous: ExperimentInfo | null): ExperimentInfo {
  const now = new Date().toISOString();
  return {
    v: EXPERIMENT_VERSION,
    name: plan.config.name,
    config: plan.config,
    configFile: options.configFile,
    quick: options.quick,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    bases: plan.bases.map((b) => ({ task: b.task, seed: b.seed, run: b.run })),
    cells: plan.cells.map((c) => ({ task: c.task, estimator: c.estimator, seed: c.seed, run: c.run })),
    wallSeconds: previous?.wallSeconds ?? 0,
    invocations: previous?.invocations ?? [],
  };
}

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly tail: string[];
}

export async function runExperiment(options: ExperimentOptions): Promise<ExperimentOutcome> {
  const started = Date.now();
  const startedIso = new Date().toISOString();
  const { dir, log } = options;
  const plan = planExperiment(options.config);
  fs.mkdirSync(runsDir(dir), { recursive: true });
  fs.mkdirSync(path.join(dir, EXPERIMENT_FILES.variance), { recursive: true });
  const unlock = lock(dir);
  const children = new Set<ChildProcess>();
  let stopped = false;
  const onSignal = () => {
    if (stopped) return;
    stopped = true;
    log('stopping: runs checkpoint and exit; rerun the same command to resume');
    for (const c of children) c.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const previous = readExperimentInfo(dir);
    if (previous !== null) {
      const a = JSON.stringify(previous.config);
      const b = JSON.stringify(plan.config);
      if (a !== b) {
        throw new ExperimentFolderError(
          `${dir} holds an experiment with another configuration; use another --out folder (or delete this one)`,
        );
      }
    }
    const info = infoFor(plan, options, previous);
    writeAtomic(path.join(dir, EXPERIMENT_FILES.info), JSON.stringify(info, null, 2) + '\n');

    const spawnChild = (args: string[]): Promise<ChildResult> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [options.cli, ...args], {
          cwd: dir,
          env: process.env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children.add(child);
        const tail: string[] = [];
        const keep = (chunk: string) => {
          for (const line of chunk.split('\n')) {
            const l = line.replace(/\r/g, '').trim();
            if (l === '') continue;
            tail.push(l);
            if (tail.length > 12) tail.shift();
          }
        };
        child.stdout.setEncoding('utf8').on('data', keep);
        child.stderr.setEncoding('utf8').on('data', keep);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          children.delete(child);
          resolve({ code, signal, tail });
        });
      });

    const counter = { done: 0, total: plan.bases.length + plan.cells.length + plan.probes.length };
    const finished = (what: string, seconds: number | null, detail: string) => {
      counter.done++;
      const took = seconds === null ? 'already done' : `${seconds.toFixed(0)}s`;
      log(`[${counter.done}/${counter.total}] ${what}: ${detail} (${took})`);
    };

    /** Runs (or resumes) a run directory with `bnpo train --resume` until it completes. */
    const train = async (run: string): Promise<void> => {
      const runDir = path.join(runsDir(dir), run);
      const t0 = Date.now();
      const r = await spawnChild(['train', '--resume', runDir]);
      const after = readRunInfo(runDir);
      if (after?.status !== 'completed') {
        const why = after?.error?.message ?? r.tail.slice(-3).join(' | ');
        throw new Error(
          `${run}: ${after?.status ?? 'no run.json'} (exit ${r.code ?? r.signal}): ${why}; see ${runFile(runDir, 'log')}`,
        );
      }
      const acc = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
      finished(
        run,
        (Date.now() - t0) / 1000,
        `base ${acc(after.baseAccuracy)} → final ${acc(after.finalAccuracy)} after ${after.step} steps`,
      );
    };

    // A run directory left by an earlier invocation must hold the planned configuration, or its results would
    // be reported under the wrong settings.
    for (const r of [...plan.bases, ...plan.cells]) {
      const runDir = path.join(runsDir(dir), r.run);
      const existing = readRunInfo(runDir);
      const diff = existing === null ? null : configDifference(existing.config, r.config);
      if (diff !== null)
        throw new ExperimentFolderError(
          `${runDir} was run with another configuration (${diff}); use another --out folder`,
        );
    }
    const alreadyDone = (run: string): boolean =>
      readRunInfo(path.join(runsDir(dir), run))?.status === 'completed';

    const jobs: Job[] = [];
    for (const base of plan.bases) {
      jobs.push({
        id: base.run,
        deps: [],
        run: async () => {
          if (alreadyDone(base.run)) return finished(base.run, null, 'SFT base');
          const runDir = path.join(runsDir(dir), base.run);
          if (readRunInfo(runDir) === null) createPendingRun(runDir, base.config);
          await train(base.run);
        },
      });
    }
    for (const cell of plan.cells) {
      jobs.push({
        id: cell.run,
        deps: [cell.base],
        run: async () => {
          if (alreadyDone(cell.run)) return finished(cell.run, null, 'cell');
          const runDir = path.join(runsDir(dir), cell.run);
          if (readRunInfo(runDir) === null)
            forkFromBase(path.join(runsDir(dir), cell.base), runDir, cell.config);
          await train(cell.run);
        },
      });
    }
    for (const probe of plan.probes) {
      jobs.push({
        id: `probe:${probe.id}`,
        deps: [probe.run],
        run: async () => {
          const file = probeFile(dir, probe);
          if (
            fs.existsSync(file) &&
            VarianceRecordSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8'))).success
          )
            return finished(`probe ${probe.id}`, null, 'gradient variance');
          const t0 = Date.now();
          const r = await spawnChild(['experiment', '--probe', probe.id, '--out', dir]);
          if (r.code !== 0 || !fs.existsSync(file))
            throw new Error(
              `probe ${probe.id} (exit ${r.code ?? r.signal}): ${r.tail.slice(-3).join(' | ')}`,
            );
          finished(`probe ${probe.id}`, (Date.now() - t0) / 1000, 'gradient variance');
        },
      });
    }

    log(
      `experiment ${plan.config.name}${options.quick ? ' (quick)' : ''}: ${plan.bases.length} SFT bases, ${plan.cells.length} cells, ` +
        `${plan.probes.length} variance probes, ${plan.parallel} at a time, in ${dir}`,
    );
    const outcomes = await runJobs(jobs, { parallel: plan.parallel, stopped: () => stopped });
    const failed: string[] = [];
    for (const [id, o] of outcomes) {
      if (o.status === 'failed') {
        failed.push(id);
        // After a stop request, runs end as `stopped` on purpose: that is an interruption, not a failure.
        log(`${stopped ? 'interrupted' : 'failed'}: ${o.reason}`);
      } else if (o.status === 'skipped' && !stopped) {
        failed.push(id);
        log(`skipped ${id}: ${o.reason}`);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    const total = info.wallSeconds + seconds;
    const done: ExperimentInfo = {
      ...info,
      updatedAt: new Date().toISOString(),
      wallSeconds: total,
      invocations: [
        ...info.invocations,
        {
          started: startedIso,
          seconds,
          parallel: plan.parallel,
          host: `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}`,
        },
      ],
    };
    writeAtomic(path.join(dir, EXPERIMENT_FILES.info), JSON.stringify(done, null, 2) + '\n');
    const report = await writeReport(dir, plan, done);
    return { report, failed, stopped, seconds };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    unlock();
  }
}

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
import { runJobs, type Job, type JobOutcome } from './pool';
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

/** Runs the `bnpo` CLI as a child in the experiment folder; resolves with its exit and its last lines of output. */
type SpawnChild = (args: string[]) => Promise<ChildResult>;

/** Everything the jobs of one invocation share. */
interface JobContext {
  readonly dir: string;
  readonly spawnChild: SpawnChild;
  /** Logs a finished job with the progress count; `seconds` is null for a job done by an earlier invocation. */
  readonly finished: (what: string, seconds: number | null, detail: string) => void;
}

/** Spawns CLI children, tracked in `children` while they live so that a stop request can reach them. */
function childSpawner(options: ExperimentOptions, children: Set<ChildProcess>): SpawnChild {
  return (args) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [options.cli, ...args], {
        cwd: options.dir,
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
}

/** Refuses a folder that holds an experiment of another configuration: its results would be reported under it. */
function checkSameExperiment(dir: string, plan: Plan, previous: ExperimentInfo | null): void {
  if (previous !== null && JSON.stringify(previous.config) !== JSON.stringify(plan.config)) {
    throw new ExperimentFolderError(
      `${dir} holds an experiment with another configuration; use another --out folder (or delete this one)`,
    );
  }
}

/**
 * A run directory left by an earlier invocation must hold the planned configuration, or its results would be
 * reported under the wrong settings.
 */
function checkRunDirsMatchPlan(dir: string, plan: Plan): void {
  for (const r of [...plan.bases, ...plan.cells]) {
    const runDir = path.join(runsDir(dir), r.run);
    const existing = readRunInfo(runDir);
    const diff = existing === null ? null : configDifference(existing.config, r.config);
    if (diff !== null)
      throw new ExperimentFolderError(
        `${runDir} was run with another configuration (${diff}); use another --out folder`,
      );
  }
}

/** Runs (or resumes) a run directory with `bnpo train --resume` until it completes. */
async function train(ctx: JobContext, run: string): Promise<void> {
  const runDir = path.join(runsDir(ctx.dir), run);
  const t0 = Date.now();
  const r = await ctx.spawnChild(['train', '--resume', runDir]);
  const after = readRunInfo(runDir);
  if (after?.status !== 'completed') {
    const why = after?.error?.message ?? r.tail.slice(-3).join(' | ');
    throw new Error(
      `${run}: ${after?.status ?? 'no run.json'} (exit ${r.code ?? r.signal}): ${why}; see ${runFile(runDir, 'log')}`,
    );
  }
  const acc = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
  ctx.finished(
    run,
    (Date.now() - t0) / 1000,
    `base ${acc(after.baseAccuracy)} → final ${acc(after.finalAccuracy)} after ${after.step} steps`,
  );
}

/**
 * A job that trains one run directory, created by `prepare` when absent, and skips it when an earlier invocation
 * completed it.
 */
function trainJob(
  ctx: JobContext,
  run: string,
  deps: string[],
  label: string,
  prepare: (runDir: string) => void,
): Job {
  return {
    id: run,
    deps,
    run: async () => {
      const runDir = path.join(runsDir(ctx.dir), run);
      if (readRunInfo(runDir)?.status === 'completed') return ctx.finished(run, null, label);
      if (readRunInfo(runDir) === null) prepare(runDir);
      await train(ctx, run);
    },
  };
}

/** A job that measures one probe with `bnpo experiment --probe`, unless a valid record of it is already there. */
function probeJob(ctx: JobContext, probe: PlannedProbe): Job {
  const { dir } = ctx;
  return {
    id: `probe:${probe.id}`,
    deps: [probe.run],
    run: async () => {
      const file = probeFile(dir, probe);
      if (
        fs.existsSync(file) &&
        VarianceRecordSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8'))).success
      )
        return ctx.finished(`probe ${probe.id}`, null, 'gradient variance');
      const t0 = Date.now();
      const r = await ctx.spawnChild(['experiment', '--probe', probe.id, '--out', dir]);
      if (r.code !== 0 || !fs.existsSync(file))
        throw new Error(`probe ${probe.id} (exit ${r.code ?? r.signal}): ${r.tail.slice(-3).join(' | ')}`);
      ctx.finished(`probe ${probe.id}`, (Date.now() - t0) / 1000, 'gradient variance');
    },
  };
}

/** The plan as jobs: SFT bases, the cells forked from their base, the probes after the run they read. */
function planJobs(ctx: JobContext, plan: Plan): Job[] {
  return [
    ...plan.bases.map((base) =>
      trainJob(ctx, base.run, [], 'SFT base', (runDir) => createPendingRun(runDir, base.config)),
    ),
    ...plan.cells.map((cell) =>
      trainJob(ctx, cell.run, [cell.base], 'cell', (runDir) =>
        forkFromBase(path.join(runsDir(ctx.dir), cell.base), runDir, cell.config),
      ),
    ),
    ...plan.probes.map((probe) => probeJob(ctx, probe)),
  ];
}

/** Logs every job that did not finish and returns their ids. */
function failedJobs(
  outcomes: ReadonlyMap<string, JobOutcome>,
  stopped: boolean,
  log: (line: string) => void,
): string[] {
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
  return failed;
}

/** The folder's info with this invocation added to its history and its wall time. */
function withInvocation(
  info: ExperimentInfo,
  plan: Plan,
  startedIso: string,
  seconds: number,
): ExperimentInfo {
  return {
    ...info,
    updatedAt: new Date().toISOString(),
    wallSeconds: info.wallSeconds + seconds,
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
    checkSameExperiment(dir, plan, previous);
    const info = infoFor(plan, options, previous);
    writeAtomic(path.join(dir, EXPERIMENT_FILES.info), JSON.stringify(info, null, 2) + '\n');
    checkRunDirsMatchPlan(dir, plan);

    const counter = { done: 0, total: plan.bases.length + plan.cells.length + plan.probes.length };
    const ctx: JobContext = {
      dir,
      spawnChild: childSpawner(options, children),
      finished: (what, seconds, detail) => {
        counter.done++;
        const took = seconds === null ? 'already done' : `${seconds.toFixed(0)}s`;
        log(`[${counter.done}/${counter.total}] ${what}: ${detail} (${took})`);
      },
    };
    const jobs = planJobs(ctx, plan);
    log(
      `experiment ${plan.config.name}${options.quick ? ' (quick)' : ''}: ${plan.bases.length} SFT bases, ${plan.cells.length} cells, ` +
        `${plan.probes.length} variance probes, ${plan.parallel} at a time, in ${dir}`,
    );
    const outcomes = await runJobs(jobs, { parallel: plan.parallel, stopped: () => stopped });
    const failed = failedJobs(outcomes, stopped, log);
    const seconds = (Date.now() - started) / 1000;
    const done = withInvocation(info, plan, startedIso, seconds);
    writeAtomic(path.join(dir, EXPERIMENT_FILES.info), JSON.stringify(done, null, 2) + '\n');
    const report = await writeReport(dir, plan, done);
    return { report, failed, stopped, seconds };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    unlock();
  }
}

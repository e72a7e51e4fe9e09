// The host's memory and time for following many long runs (issue 15 item 13): RUNS run folders of STEPS steps each
// (metrics.jsonl and groups.jsonl one line a step, samples.jsonl every SAMPLE_EVERY steps, SAMPLES_GB in all),
// followed by the runs model from scratch; then one step's sampled groups opened. Side by side: today's follower
// (every record of every stream parsed and kept: a copy of that code path lives here) and the follower that keeps
// byte offsets and the newest records. Each is measured in a fresh `node --expose-gc` process: heap after GC,
// resident memory after it, and the peak resident memory (a first read's transient). Goal: < 150 MB and < 100 ms. The old path is run on as many runs as fit in memory here and its
// figures scaled to RUNS (it grows linearly with records), which the output says.
//
//   BNPO_BENCH_HOST_RUNS=20 BNPO_BENCH_HOST_STEPS=100000 BNPO_BENCH_HOST_SAMPLES_GB=5 npm run bench
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunsModel } from '../../src/host/runs/runsModel';
import type { RunFollower } from '../../src/runDir/follower';
import { JsonlFollower } from '../../src/runDir/follow';
import { RUN_FILES } from '../../src/runDir/layout';
import {
  EvalRecordSchema,
  GroupsRecordSchema,
  MetricsRecordSchema,
  SamplesRecordSchema,
} from '../../src/protocol/runDir';
import type { MetricsRecord, SamplesRecord } from '../../src/protocol/runDir';
import { metricsRecord, runInfo, samplesRecord } from '../unit/studioFixtures';

const RUNS = Number(process.env.BNPO_BENCH_HOST_RUNS ?? 20);
const STEPS = Number(process.env.BNPO_BENCH_HOST_STEPS ?? 100_000);
const SAMPLES_GB = Number(process.env.BNPO_BENCH_HOST_SAMPLES_GB ?? 5);
const SAMPLE_EVERY = 10;
const GROUPS = 16;
const GOAL_MB = 150;
const GOAL_MS = 100;
/** The old path is measured on at most this many bytes of run files (it keeps them all, parsed). */
const OLD_PATH_BYTES = 1.5 * 2 ** 30;

/** Lines of one stream, written in big chunks: `line(i)` for i in [0, n). */
function writeLines(file: string, n: number, line: (i: number) => string): number {
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  try {
    let chunk: string[] = [];
    let size = 0;
    for (let i = 0; i < n; i++) {
      const l = line(i);
      chunk.push(l);
      size += l.length;
      if (size > 8 * 2 ** 20) {
        bytes += fs.writeSync(fd, chunk.join(''));
        chunk = [];
        size = 0;
      }
    }
    bytes += fs.writeSync(fd, chunk.join(''));
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

/** One run folder; returns the bytes written. Lines come from templates with the step put in. */
function writeRun(dir: string, samplesBytes: number): number {
  fs.mkdirSync(dir, { recursive: true });
  const id = path.basename(dir);
  fs.writeFileSync(
    path.join(dir, RUN_FILES.run),
    JSON.stringify(runInfo({ id, step: STEPS, totalSteps: STEPS })),
  );
  const m: MetricsRecord = metricsRecord(1);
  const metrics = JSON.stringify(m).replace('"step":1,', '"step":STEP,');
  const groups = JSON.stringify({
    v: 1,
    step: 1,
    rules: ['correct', 'format'],
    groups: Array.from({ length: GROUPS }, (_, g) => ({ id: `p${g}`, pHat: { correct: 0.5, format: 0.75 } })),
  }).replace('"step":1,', '"step":STEP,');
  const sampled = Math.floor(STEPS / SAMPLE_EVERY);
  const groupsPerStep = 4;
  const base: SamplesRecord = samplesRecord(1);
  const textLength = Math.max(
    10,
    Math.floor(samplesBytes / sampled / groupsPerStep / base.completions.length) - 120,
  );
  const sample = JSON.stringify({
    ...base,
    completions: base.completions.map((c) => ({ ...c, text: 'x'.repeat(textLength) })),
  }).replace('"step":1,', '"step":STEP,');
  let bytes = writeLines(
    path.join(dir, RUN_FILES.metrics),
    STEPS,
    (i) => metrics.replace('STEP', String(i + 1)) + '\n',
  );
  bytes += writeLines(
    path.join(dir, RUN_FILES.groups),
    STEPS,
    (i) => groups.replace('STEP', String(i + 1)) + '\n',
  );
  bytes += writeLines(
    path.join(dir, RUN_FILES.samples),
    sampled * groupsPerStep,
    (i) => sample.replace('STEP', String((Math.floor(i / groupsPerStep) + 1) * SAMPLE_EVERY)) + '\n',
  );
  return bytes;
}

/** Today's follower, as it was: every stream's records parsed and kept. */
class OldFollower {
  readonly metrics: unknown[] = [];
  readonly groups: unknown[] = [];
  readonly samples: SamplesRecord[] = [];
  readonly evals: unknown[] = [];
  private readonly streams;

  constructor(dir: string) {
    this.streams = {
      metrics: new JsonlFollower(path.join(dir, RUN_FILES.metrics), MetricsRecordSchema),
      groups: new JsonlFollower(path.join(dir, RUN_FILES.groups), GroupsRecordSchema),
      samples: new JsonlFollower(path.join(dir, RUN_FILES.samples), SamplesRecordSchema),
      evals: new JsonlFollower(path.join(dir, RUN_FILES.eval), EvalRecordSchema),
    };
  }

  poll(): void {
    this.metrics.push(...this.streams.metrics.read().records);
    this.groups.push(...this.streams.groups.read().records);
    for (const r of this.streams.samples.read().records) this.samples.push(r);
    this.evals.push(...this.streams.evals.read().records);
  }
}

interface Figures {
  runs: number;
  followMs: number;
  heapMB: number;
  rssMB: number;
  /** Resident memory before following anything (node and the loaded modules). */
  baseRssMB: number;
  /** The most resident memory the process ever had (Linux's VmHWM; NaN elsewhere): a first read's transient. */
  peakRssMB: number;
  openStepMs: number;
  groups: number;
}

const MB = 2 ** 20;

/** The process's peak resident memory in MB, from /proc (Linux); NaN where there is none. */
function peakRss(): number {
  try {
    const kb = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

/** In the child process: follow every run under `root` (or the first `limit`), then open one step's samples. */
function measure(mode: 'old' | 'new', root: string, limit: number): Figures {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const step = Math.floor(STEPS / SAMPLE_EVERY / 2) * SAMPLE_EVERY;
  gc();
  const baseRssMB = process.memoryUsage().rss / MB;
  const started = performance.now();
  let open: () => SamplesRecord[];
  let keep: unknown;
  if (mode === 'new') {
    const model = new RunsModel([root], { pollMs: 0, watch: false, isAlive: () => false });
    model.start();
    const run = model.list()[0] as RunFollower;
    open = () => run.readSamples(step);
    keep = model;
  } else {
    const dirs = fs.readdirSync(root).sort().slice(0, limit);
    const followers = dirs.map((d) => new OldFollower(path.join(root, d)));
    for (const f of followers) f.poll();
    // What its samples panel did to show one step: every record of the run went to the page, filtered there.
    open = () => followers[0]!.samples.filter((r) => r.step === step);
    keep = followers;
  }
  const followMs = performance.now() - started;
  gc();
  const heapMB = process.memoryUsage().heapUsed / MB;
  const rssMB = process.memoryUsage().rss / MB;
  const t = performance.now();
  const groups = open().length;
  const openStepMs = performance.now() - t;
  void keep;
  const peakRssMB = peakRss();
  return {
    runs: mode === 'new' ? RUNS : limit,
    followMs,
    heapMB,
    rssMB,
    baseRssMB,
    peakRssMB,
    openStepMs,
    groups,
  };
}

function child(mode: 'old' | 'new', root: string, limit: number): Figures {
  const out = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=16384', __filename], {
    env: { ...process.env, BNPO_BENCH_HOST_CHILD: JSON.stringify({ mode, root, limit }) },
    encoding: 'utf8',
    maxBuffer: 2 ** 20,
  });
  if (out.status !== 0)
    throw new Error(`${mode} follower: ${out.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as Figures;
}

export function run(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-bench-host-'));
  try {
    const t = performance.now();
    let bytes = 0;
    for (let r = 0; r < RUNS; r++)
      bytes += writeRun(path.join(root, `run-${String(r).padStart(2, '0')}`), (SAMPLES_GB * 2 ** 30) / RUNS);
    const perRun = bytes / RUNS;
    console.log(
      `  workload: ${RUNS} runs × ${STEPS} steps, ${(bytes / 2 ** 30).toFixed(2)} GiB of run files ` +
        `(samples ${SAMPLES_GB} GiB), written in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const oldRuns = Math.max(1, Math.min(RUNS, Math.floor(OLD_PATH_BYTES / perRun)));
    const fresh = child('new', root, RUNS);
    const old = child('old', root, oldRuns);
    const scale = RUNS / old.runs;
    const mb = (v: number): string => `${v.toFixed(0).padStart(6)} MB`;
    // `k`: the old path measured on fewer runs, scaled to RUNS (memory above the process's start grows linearly).
    const row = (name: string, f: Figures, k = 1): string => {
      const above = (v: number): number => f.baseRssMB + (v - f.baseRssMB) * k;
      return (
        `  ${name.padEnd(34)} follow ${((f.followMs * k) / 1000).toFixed(1).padStart(7)} s   heap ${mb(f.heapMB * k)}` +
        `   rss ${mb(above(f.rssMB))} (${f.baseRssMB.toFixed(0)} before, peak ${above(f.peakRssMB).toFixed(0)})` +
        `   open a step ${f.openStepMs.toFixed(1).padStart(7)} ms (${f.groups} groups)`
      );
    };
    console.log(row('byte offsets + newest records', fresh));
    console.log(row(`old: every record (${old.runs} run${old.runs === 1 ? '' : 's'})`, old));
    if (scale > 1) console.log(row(`old, scaled × ${scale.toFixed(1)} to ${RUNS} runs`, old, scale));
    console.log(
      `  goal: < ${GOAL_MB} MB in the host (new: ${fresh.rssMB.toFixed(0)} MB rss, ${fresh.heapMB.toFixed(0)} MB heap), ` +
        `opening a step < ${GOAL_MS} ms (new: ${fresh.openStepMs.toFixed(1)} ms)`,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return Promise.resolve();
}

const job = process.env.BNPO_BENCH_HOST_CHILD;
if (job !== undefined && require.main === module) {
  const { mode, root, limit } = JSON.parse(job) as { mode: 'old' | 'new'; root: string; limit: number };
  console.log(JSON.stringify(measure(mode, root, limit)));
}

// `bnpo experiment --quick` end to end through the real CLI bundle: the report is produced and well formed (not what
// it says), the cells are normal run directories forked from one SFT base, and a rerun skips or resumes cells.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ExperimentInfoSchema,
  ExperimentReportSchema,
  VarianceRecordSchema,
  type ExperimentReport,
} from '../../src/protocol/experiment';
import { EvalRecordSchema, MetricsRecordSchema, RunInfoSchema } from '../../src/protocol/runDir';

const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

let scratch = '';
let dir = '';
before(() => {
  const sources = ['core', 'protocol', 'trainer'].map((d) => newestMtime(path.join(root, 'src', d)));
  if (!fs.existsSync(cli) || fs.statSync(cli).mtimeMs < Math.max(...sources)) {
    const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, `node esbuild.js failed:\n${build.stderr}`);
  }
  scratch = fs.mkdtempSync(path.join(tmpdir(), 'bnpo-experiment-'));
  dir = path.join(scratch, 'exp');
});
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function bnpo(args: string[], timeoutMs = 5 * 60_000) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, 'experiment', ...args], {
    cwd: scratch,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - t0) / 1000 };
}

const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));
const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);

describe('bnpo experiment --quick', () => {
  let report: ExperimentReport;

  it('finishes in under 5 minutes and writes a complete, well-formed report', () => {
    const r = bnpo(['--quick', '--out', dir]);
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.ok(r.seconds < 300, `took ${r.seconds}s`);

    const info = ExperimentInfoSchema.parse(readJson(path.join(dir, 'experiment.json')));
    assert.equal(info.quick, true);
    report = ExperimentReportSchema.parse(readJson(path.join(dir, 'report.json')));
    assert.equal(report.complete, true, `missing: ${report.missing.join(', ')}`);
    const { tasks, estimators, seeds } = info.config;
    assert.equal(report.rows.length, tasks.length * estimators.length);
    for (const row of report.rows) {
      assert.equal(row.seeds, seeds.length);
      assert.equal(row.finalAccuracy.n, seeds.length);
      assert.equal(row.gradVarBase.n, seeds.length);
      assert.ok(row.gradVarBase.mean !== null && row.gradVarBase.mean >= 0);
    }
    assert.equal(report.curves.length, tasks.length * estimators.length);
    for (const c of report.curves) {
      assert.ok(c.steps.length >= 2 && c.steps[0] === 0, `curve ${c.estimator}: ${c.steps.join(',')}`);
      assert.equal(c.mean.length, c.steps.length);
    }
    assert.ok(report.theory.length >= 1);

    const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    assert.match(md, /^# Estimator study: /);
    const header = md.split('\n').find((l) => l.startsWith('| task | estimator |'));
    assert.ok(header, 'results table header');
    const columns = header.split('|').length;
    const tableRows = md
      .split('\n')
      .filter((l) => estimators.some((e) => l.startsWith(`| ${tasks[0]!.task}`) && l.includes(`| ${e} |`)));
    assert.equal(tableRows.length, estimators.length);
    for (const l of tableRows) assert.equal(l.split('|').length, columns, l);
    assert.match(md, /## Theory check/);
    assert.ok(report.plots.length >= 2);
    for (const p of report.plots) {
      assert.ok(md.includes(`](${p})`), `report.md links ${p}`);
      const svg = fs.readFileSync(path.join(dir, p), 'utf8');
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.equal(svg.trim().endsWith('</svg>'), true);
      assert.equal((svg.match(/<svg/g) ?? []).length, 1);
      assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
    }
  });

  it('leaves normal run directories, every cell starting from its base’s weights', () => {
    const info = ExperimentInfoSchema.parse(readJson(path.join(dir, 'experiment.json')));
    for (const cell of info.cells) {
      const runDir = path.join(dir, 'runs', cell.run);
      const run = RunInfoSchema.parse(readJson(path.join(runDir, 'run.json')));
      assert.equal(run.status, 'completed');
      assert.equal(run.config.estimator, cell.estimator);
      const evals = lines(path.join(runDir, 'eval.jsonl')).map((l) => EvalRecordSchema.parse(l));
      assert.deepEqual([evals[0]!.phase, evals[evals.length - 1]!.phase], ['base', 'final']);
      const metrics = lines(path.join(runDir, 'metrics.jsonl')).map((l) => MetricsRecordSchema.parse(l));
      assert.equal(metrics.length, run.config.steps);
      const base = info.bases.find((b) => b.task === cell.task && b.seed === cell.seed)!;
      const weights = (d: string) =>
        fs.readFileSync(path.join(dir, 'runs', d, 'checkpoints', 'step-0', 'weights.bin'));
      assert.ok(weights(cell.run).equals(weights(base.run)), `${cell.run} starts from ${base.run}`);
    }
    const probes = fs.readdirSync(path.join(dir, 'variance'));
    assert.equal(probes.length, info.bases.length + info.cells.length);
    for (const p of probes) VarianceRecordSchema.parse(readJson(path.join(dir, 'variance', p)));
  });

  it('skips finished cells on a rerun', () => {
    const runJson = path.join(dir, 'runs', fs.readdirSync(path.join(dir, 'runs')).sort()[0]!, 'run.json');
    const before = fs.readFileSync(runJson, 'utf8');
    const r = bnpo(['--quick', '--out', dir]);
    assert.equal(r.status, 0, r.stderr);
    const info = ExperimentInfoSchema.parse(readJson(path.join(dir, 'experiment.json')));
    const done = r.stdout.split('\n').filter((l) => l.includes('(already done)'));
    // Every base, cell and probe (one per base and one per cell) is skipped.
    assert.equal(done.length, 2 * (info.bases.length + info.cells.length), r.stdout);
    assert.equal(report.rows.length * info.config.seeds.length, info.cells.length);
    assert.equal(fs.readFileSync(runJson, 'utf8'), before);
  });

  it('resumes an interrupted cell from its checkpoint and finishes the report', () => {
    const info = ExperimentInfoSchema.parse(readJson(path.join(dir, 'experiment.json')));
    const cell = info.cells[0]!;
    const runDir = path.join(dir, 'runs', cell.run);
    // Make it look killed after its step-3 checkpoint: status, the later checkpoint and its probe gone.
    const run = RunInfoSchema.parse(readJson(path.join(runDir, 'run.json')));
    fs.writeFileSync(
      path.join(runDir, 'run.json'),
      JSON.stringify({
        ...run,
        status: 'running',
        phase: 'rl',
        step: 4,
        finishedAt: null,
        finalAccuracy: null,
      }),
    );
    const last = `step-${run.config.steps}`;
    fs.rmSync(path.join(runDir, 'checkpoints', last), { recursive: true });
    fs.writeFileSync(path.join(runDir, 'checkpoints', 'latest'), 'step-3\n');
    fs.rmSync(path.join(dir, 'variance', `${cell.task}-s${cell.seed}-final-${cell.estimator}.json`));

    const r = bnpo(['--quick', '--out', dir]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stdout,
      new RegExp(`\\] ${cell.run}: base .* after ${run.config.steps} steps \\(\\d+s\\)`),
    );
    const again = RunInfoSchema.parse(readJson(path.join(runDir, 'run.json')));
    assert.equal(again.status, 'completed');
    assert.match(
      fs.readFileSync(path.join(runDir, 'trainer.log'), 'utf8'),
      /resumed from .*step-3 at step 3/,
    );
    const metrics = lines(path.join(runDir, 'metrics.jsonl')).map((l) => MetricsRecordSchema.parse(l));
    assert.deepEqual(
      metrics.map((m) => m.step),
      Array.from({ length: run.config.steps }, (_, i) => i + 1),
    );
    assert.equal(ExperimentReportSchema.parse(readJson(path.join(dir, 'report.json'))).complete, true);
  });

  it('names the file, line and field of a bad configuration (exit 2)', () => {
    const file = path.join(scratch, 'bad.json');
    fs.writeFileSync(file, '{\n  "name": "x",\n  "seeds": [1, 1]\n}\n');
    let r = bnpo(['--config', file], 30_000);
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: seeds: a seed is listed twice`),
    );
    fs.writeFileSync(file, '{\n  "run": {\n    "estimator": "grpo"\n  }\n}\n');
    r = bnpo(['--config', file], 30_000);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.json:3:\d+: run\.estimator: set by the grid/);
    r = bnpo(['--parallel', 'two'], 30_000);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--parallel must be a positive whole number/);
  });
});

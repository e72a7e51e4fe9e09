// Other tools' logs in the host: the runs model lists TensorBoard event folders, TRL output folders and verl JSONL
// files under its roots beside our run folders, follows them as they grow, and the run panels' messages carry what
// they logged (our series where the names mean the same, the rest as extra charts). The rows keep status, step and
// reward visible for long run ids.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { betaFitRun, changeColumns, dashboardRun, samplesRun } from '../../src/host/panels/pageData';
import { ForeignRun, RUNNING_QUIET_MS } from '../../src/host/runs/foreignRun';
import { ROW_LABEL_MAX, describeRun, runRow, shortLabel } from '../../src/host/runs/runRow';
import { RunsModel } from '../../src/host/runs/runsModel';
import type { RunsEvent } from '../../src/host/runs/runsModel';
import { VerlFollower } from '../../src/interop/logFollowers';
import { HostToBetaFitSchema } from '../../src/protocol/betaFit';
import { HostToDashboardSchema } from '../../src/protocol/dashboard';
import { HostToSamplesSchema } from '../../src/protocol/samples';
import { chartsFor, toRunData } from '../../webview/dashboard/model';
import { expected, interopFixtures } from './interopFixtures';
import { metricsRecord, runInfo } from './studioFixtures';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-foreign-runs-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** The four interop fixtures and one run of ours, each in a folder of the root. */
function fillRoot(): void {
  for (const name of ['tensorboard', 'tensorboardx', 'trl', 'verl'])
    fs.cpSync(path.join(interopFixtures, name), path.join(root, 'logs', name), { recursive: true });
  const ours = path.join(root, 'ours');
  fs.mkdirSync(ours);
  fs.writeFileSync(path.join(ours, 'run.json'), JSON.stringify(runInfo({ status: 'completed' })));
  fs.writeFileSync(path.join(ours, 'metrics.jsonl'), JSON.stringify(metricsRecord(1)) + '\n');
}

function model(): RunsModel {
  const m = new RunsModel([root], { pollMs: 0, watch: false, isAlive: () => false });
  m.start();
  return m;
}

function foreign(m: RunsModel, id: string): ForeignRun {
  const run = m.get(id);
  assert.ok(run instanceof ForeignRun, `${id} is followed as another tool's log`);
  return run;
}

describe('foreign logs in the runs model', () => {
  it('lists TensorBoard, TRL and verl logs under a root beside our runs, each as what wrote it', () => {
    fillRoot();
    const m = model();
    const rows = m
      .list()
      .map((r) => [r.id, r instanceof ForeignRun ? r.source : 'bnpo'])
      .sort();
    assert.deepEqual(rows, [
      ['ours', 'bnpo'],
      ['tensorboard', 'tensorboard'],
      ['tensorboardx', 'tensorboard'],
      ['trl', 'trl'],
      ['verl-bnpo_demo', 'verl'],
    ]);
    m.dispose();
  });

  it("gives the dashboard a TRL run's values on our series and the rest as extra charts", () => {
    fillRoot();
    const m = model();
    const run = foreign(m, 'trl');
    const message = { type: 'runs' as const, runs: [dashboardRun(run)] };
    const parsed = HostToDashboardSchema.parse(message);
    assert.equal(parsed.type, 'runs');
    const { metrics } = message.runs[0]!;
    assert.deepEqual(metrics.step, [1, 2, 3, 4, 5]);
    const want = (tag: string) => metrics.step.map((s) => expected.trl[String(s)]?.[tag] ?? null);
    assert.deepEqual(metrics.series.reward, want('reward'));
    assert.deepEqual(metrics.series.loss, want('loss'));
    assert.deepEqual(metrics.series.zeroVarianceShare, want('frac_reward_zero_std'));
    assert.deepEqual(metrics.series['rewards.accuracy_reward'], want('rewards/accuracy_reward/mean'));
    assert.deepEqual(metrics.series['extra.kl'], want('kl'));
    assert.deepEqual(
      metrics.series.accuracy,
      metrics.step.map(() => null),
      'TRL logged no accuracy: none is made up',
    );
    assert.deepEqual(message.runs[0]!.rules, ['accuracy_reward']);
    const charts = chartsFor([toRunData(message.runs[0]!)]).map((c) => c.id);
    assert.ok(charts.includes('reward') && charts.includes('extra.kl'), charts.join());
    assert.ok(!charts.includes('extra.loss'), 'a mapped name gets no chart of its own');
    m.dispose();
  });

  it('gives the Beta-fit and samples pages a foreign run with no fits and no samples (valid messages)', () => {
    fillRoot();
    const m = model();
    const run = foreign(m, 'tensorboard');
    const fit = HostToBetaFitSchema.parse(betaFitRun(run));
    assert.ok(fit.type === 'run' && fit.steps.length === 0 && fit.id === 'tensorboard');
    const samples = HostToSamplesSchema.parse(samplesRun(run));
    assert.ok(samples.type === 'run' && samples.records.length === 0);
    // The verl-written TensorBoard fixture: float32 values on our fields.
    const { metrics } = dashboardRun(run);
    assert.deepEqual(
      metrics.series.reward,
      metrics.step.map((s) => Math.fround(expected.verl[String(s)]?.['critic/score/mean'] ?? NaN)),
    );
    assert.ok(metrics.wall.every((w, i) => w >= 0 && (i === 0 || w >= metrics.wall[i - 1]!)));
    m.dispose();
  });

  it('follows a growing verl log: new steps are appended, a step logged again resends everything', () => {
    const file = path.join(root, 'verl', 'run.jsonl');
    fs.mkdirSync(path.dirname(file));
    const line = (step: number, score: number) =>
      JSON.stringify({ step, data: { 'critic/score/mean': score, 'timing_s/gen': 1 } }) + '\n';
    fs.writeFileSync(file, line(1, 0.1) + line(2, 0.2));
    const m = model();
    const run = foreign(m, 'verl-run');
    const events: RunsEvent[] = [];
    m.onDidChange((e) => events.push(e));
    fs.appendFileSync(file, line(3, 0.3) + '{"step":4,"da');
    m.refresh();
    const appended = events.at(-1);
    assert.ok(appended?.kind === 'changed' && !appended.change.reset);
    const columns = changeColumns(run, appended.change);
    assert.deepEqual(columns.step, [3], 'only the new step; the torn line waits');
    assert.deepEqual(columns.series.reward, [0.3]);
    assert.deepEqual(columns.series['extra.timing_s/gen'], [1]);
    fs.appendFileSync(file, 'ta":{"critic/score/mean":0.4}}\n' + line(2, 0.25));
    m.refresh();
    const rewritten = events.at(-1);
    assert.ok(rewritten?.kind === 'changed' && rewritten.change.reset, 'step 2 again: the page takes all');
    assert.deepEqual(dashboardRun(run).metrics.series.reward, [0.1, 0.25, 0.3, 0.4]);
    m.dispose();
  });

  it('reads as running while its log grows and as completed once quiet; corrupt input is shown, not thrown', () => {
    const file = path.join(root, 'v.jsonl');
    fs.writeFileSync(file, JSON.stringify({ step: 1, data: { 'critic/score/mean': 0.5 } }) + '\n');
    let now = Date.now();
    const run = new ForeignRun(new VerlFollower(file), () => now);
    assert.equal(run.poll()?.info, true);
    assert.equal(run.status, 'running');
    now += RUNNING_QUIET_MS + 1;
    assert.equal(run.poll()?.info, true, 'the quiet log turns completed on the next poll');
    assert.equal(run.status, 'completed');
    assert.equal(run.poll(), undefined);
    fs.appendFileSync(file, '{"step": "x", "data": {}}\n');
    assert.equal(run.poll()?.info, true);
    assert.match(run.infoProblem ?? '', /v\.jsonl:2: /);
    assert.match(describeRun(run), /verl log · completed · .*v\.jsonl:2: .*step 1 · reward 0\.500/);
  });
});

describe('run rows', () => {
  it('shortens a long run id in the middle so status, step and reward stay on the row', () => {
    const id = '2026-12-02T13-35-53-123Z-bnpo-gsm8k-estimator-seed-7';
    assert.equal(shortLabel('short-id'), 'short-id');
    const short = shortLabel(id);
    assert.equal([...short].length, ROW_LABEL_MAX);
    assert.ok(short.startsWith(id.slice(0, 8)) && short.endsWith('seed-7') && short.includes('…'), short);
    fs.mkdirSync(path.join(root, id));
    fs.writeFileSync(
      path.join(root, id, 'run.json'),
      JSON.stringify(runInfo({ id, status: 'running', step: 4 })),
    );
    fs.writeFileSync(path.join(root, id, 'metrics.jsonl'), JSON.stringify(metricsRecord(4)) + '\n');
    const m = model();
    const row = runRow(m.get(id)!);
    assert.equal(row.label, short);
    assert.match(row.description, /^4\/\d+ · r \d\.\d{3}$/);
    assert.match(describeRun(m.get(id)!), /^(running|failed) · step 4\/\d+ · reward \d\.\d{3}$/);
    m.dispose();
  });
});

// Other tools' logs inside a real editor: a folder holding the TensorBoard event folder, the TRL trainer_state.json
// and the verl file-logger JSONL written by the real writers (test/fixtures/interop) is followed; each run opens in
// the dashboard, Beta-fit and samples panels, whose first messages (as the panels build them: `bnpo.runPageData`)
// carry the logged values on our series and the rest as extra series; a growing verl log is followed live.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HostToBetaFitSchema } from '../../src/protocol/betaFit';
import { HostToDashboardSchema } from '../../src/protocol/dashboard';
import type { DashboardRun } from '../../src/protocol/dashboard';
import { HostToSamplesSchema } from '../../src/protocol/samples';
import { mapMetricName } from '../../src/interop/metricNames';
import { repoRoot } from '../harness/paths';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'interop');
const expected = JSON.parse(fs.readFileSync(path.join(fixtures, 'expected.json'), 'utf8')) as Record<
  'trl' | 'verl',
  Record<string, Record<string, number>>
>;

interface PageData {
  source: string;
  dashboard: unknown;
  betaFit: unknown;
  samples: unknown;
}

function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the integration workspace has no folder');
  return folder.uri.fsPath;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function panelTab(viewType: string): vscode.Tab | undefined {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType));
}

async function pageData(id: string): Promise<PageData | undefined> {
  return vscode.commands.executeCommand<PageData | undefined>('bnpo.runPageData', id);
}

/** The dashboard run of the page data, checked against the protocol as the page checks it. */
function dashboardOf(data: PageData): DashboardRun {
  const message = HostToDashboardSchema.parse(data.dashboard);
  assert.ok(message.type === 'runs' && message.runs.length === 1);
  return message.runs[0]!;
}

/** Opens the run in the three panels and checks that their pages' first messages are valid and empty where the tool logged nothing. */
async function openInThePanels(id: string): Promise<void> {
  for (const [command, viewType] of [
    ['bnpo.openDashboard', 'bnpo.dashboard'],
    ['bnpo.openBetaFit', 'bnpo.betaFit'],
    ['bnpo.showSamples', 'bnpo.samples'],
  ] as const) {
    assert.equal(await vscode.commands.executeCommand(command, id), id, command);
    await until(`the ${viewType} tab`, () => Promise.resolve(panelTab(viewType)));
  }
  const data = await until(`page data of ${id}`, () => pageData(id));
  const fit = HostToBetaFitSchema.parse(data.betaFit);
  assert.ok(fit.type === 'run' && fit.id === id && fit.steps.length === 0, 'no Beta fit was logged');
  const samples = HostToSamplesSchema.parse(data.samples);
  assert.ok(
    samples.type === 'run' && samples.id === id && samples.records.length === 0,
    'no samples were logged',
  );
}

/** Each step's logged values, by the name the source gave them. */
type SourceLog = Map<number, Record<string, number>>;

/** The CSV column a source name lands in (the dashboard's series key, `reward.<rule>` for a rule's reward). */
function csvColumn(tag: string): string {
  const target = mapMetricName(tag);
  if (target.kind === 'field') return target.field;
  return target.kind === 'rule' ? `reward.${target.rule}` : `extra.${target.name}`;
}

/** Runs Export Metrics as CSV on one run, answering the save dialog with a temp file; returns its rows by name. */
async function exportedCsv(id: string): Promise<Record<string, string>[]> {
  const window = vscode.window as { -readonly [K in keyof typeof vscode.window]: (typeof vscode.window)[K] };
  const original = window.showSaveDialog;
  const target = path.join(workspaceDir(), `${id}-export.csv`);
  window.showSaveDialog = () => Promise.resolve(vscode.Uri.file(target));
  try {
    assert.equal(await vscode.commands.executeCommand('bnpo.exportMetricsCsv', [id]), target);
  } finally {
    window.showSaveDialog = original;
  }
  const lines = fs
    .readFileSync(target, 'utf8')
    .split('\r\n')
    .filter((l) => l !== '');
  fs.rmSync(target);
  // Nothing in these logs needs quoting: a quote would mean a cell this split cuts wrong.
  assert.ok(!lines.some((l) => l.includes('"')), 'no quoted cells');
  const [header, ...rows] = lines.map((l) => l.split(','));
  return rows.map((cells) => Object.fromEntries(header!.map((name, i) => [name, cells[i] ?? ''])));
}

/** Every value the source logged is in its step's row, in its column, as the number it was. */
function assertRowsMatch(id: string, rows: Record<string, string>[], source: SourceLog): void {
  assert.deepEqual(
    rows.map((r) => [r.run, Number(r.step)]),
    [...source.keys()].sort((a, b) => a - b).map((s) => [id, s]),
    `${id}: one row per logged step`,
  );
  for (const row of rows) {
    for (const [tag, value] of Object.entries(source.get(Number(row.step))!)) {
      const column = csvColumn(tag);
      assert.ok(column in row, `${id}: a column for ${tag} (${column})`);
      assert.equal(Number(row[column]), value, `${id} step ${row.step}: ${tag} in ${column}`);
    }
  }
}

describe('other tools’ logs', function () {
  this.timeout(60_000);
  let folder: string;

  before(async () => {
    // Alone (one file run by itself) nothing else has activated the extension yet.
    await vscode.extensions.getExtension('bnpo-studio.bnpo-studio')?.activate();
    folder = path.join(workspaceDir(), 'foreign-logs');
    fs.rmSync(folder, { recursive: true, force: true });
    for (const name of ['tensorboard', 'trl', 'verl'])
      fs.cpSync(path.join(fixtures, name), path.join(folder, name), { recursive: true });
    await vscode.commands.executeCommand('bnpo.followRunsFolder', folder);
  });

  after(async () => {
    const tabs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter(
        (t) =>
          t.input instanceof vscode.TabInputWebview &&
          /bnpo\.(dashboard|betaFit|samples)$/.test(t.input.viewType),
      );
    await vscode.window.tabGroups.close(tabs);
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('opens a TensorBoard event folder (verl’s TensorBoard logger) with its float32 values on our series', async () => {
    const data = await until('the TensorBoard run', () => pageData('tensorboard'));
    assert.equal(data.source, 'tensorboard');
    const run = dashboardOf(data);
    assert.deepEqual(run.metrics.step, [1, 2, 3, 4, 5]);
    const want = (tag: string) => run.metrics.step.map((s) => Math.fround(expected.verl[String(s)]![tag]!));
    assert.deepEqual(run.metrics.series.reward, want('critic/score/mean'));
    assert.deepEqual(run.metrics.series.loss, want('actor/pg_loss'));
    assert.deepEqual(run.metrics.series['extra.critic/rewards/mean'], want('critic/rewards/mean'));
    await openInThePanels('tensorboard');
  });

  it('opens a TRL trainer_state.json with its per-rule reward and extra metrics', async () => {
    const data = await until('the TRL run', () => pageData('trl'));
    assert.equal(data.source, 'trl');
    const run = dashboardOf(data);
    assert.deepEqual(run.rules, ['accuracy_reward']);
    const want = (tag: string) => run.metrics.step.map((s) => expected.trl[String(s)]![tag]!);
    assert.deepEqual(run.metrics.series.reward, want('reward'));
    assert.deepEqual(run.metrics.series['rewards.accuracy_reward'], want('rewards/accuracy_reward/mean'));
    assert.deepEqual(run.metrics.series['extra.kl'], want('kl'));
    await openInThePanels('trl');
  });

  it('opens a verl file-logger JSONL and follows it as it grows', async () => {
    const id = 'verl-bnpo_demo';
    const data = await until('the verl run', () => pageData(id));
    assert.equal(data.source, 'verl');
    const run = dashboardOf(data);
    assert.deepEqual(
      run.metrics.series.reward,
      run.metrics.step.map((s) => expected.verl[String(s)]!['critic/score/mean']!),
    );
    await openInThePanels(id);
    const line = { step: 6, data: { 'critic/score/mean': 0.625, 'timing_s/gen': 2 } };
    fs.appendFileSync(path.join(folder, 'verl', 'bnpo_demo.jsonl'), JSON.stringify(line) + '\n');
    const grown = await until('step 6', async () => {
      const next = await pageData(id);
      const metrics = next && dashboardOf(next).metrics;
      return metrics?.step.at(-1) === 6 ? metrics : undefined;
    });
    assert.equal(grown.series.reward?.at(-1), 0.625);
    assert.equal(
      dashboardOf((await pageData(id))!).status,
      'running',
      'a log that just grew reads as running',
    );
  });

  it('exports each of them as CSV with every logged step and value', async () => {
    const tensorboard: SourceLog = new Map(
      Object.entries(expected.verl).map(([step, values]) => [
        Number(step),
        // The event files hold float32 values.
        Object.fromEntries(Object.entries(values).map(([tag, v]) => [tag, Math.fround(v)])),
      ]),
    );
    const tb = await exportedCsv('tensorboard');
    assertRowsMatch('tensorboard', tb, tensorboard);
    // Another tool's wall clock: the instant it logged, and the seconds since its first step.
    assert.ok(
      tb.every((r) => !Number.isNaN(Date.parse(r.time!))),
      'every row has the time it was logged',
    );
    assert.equal(Number(tb[0]!.wall), 0);

    const state = JSON.parse(fs.readFileSync(path.join(folder, 'trl', 'trainer_state.json'), 'utf8')) as {
      log_history: Record<string, number>[];
    };
    const trl: SourceLog = new Map(state.log_history.map(({ step, ...values }) => [step!, values]));
    assertRowsMatch('trl', await exportedCsv('trl'), trl);

    const verlLines = fs
      .readFileSync(path.join(folder, 'verl', 'bnpo_demo.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { step: number; data: Record<string, number> });
    const verl: SourceLog = new Map(verlLines.map((l) => [l.step, l.data]));
    assertRowsMatch('verl-bnpo_demo', await exportedCsv('verl-bnpo_demo'), verl);
  });
});

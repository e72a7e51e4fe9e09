// The studio inside a real editor: a run folder written by another engine (no trainer of ours) is followed and
// opens in the three panels; `*.bnporun.json` files get the run-config schema (completion and errors); stopping
// a run whose trainer is gone reports that, not an error.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { until, workspaceDir } from './workspace';
import { TRL_RUN_ID, trlRunFiles } from '../tools/trlFixture';

function panelTab(viewType: string): vscode.Tab | undefined {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType));
}

const RUN_ID = 'engine-run-1';

function writeEngineRun(id = RUN_ID): string {
  const dir = path.join(workspaceDir(), '.bnpo', 'runs', id);
  fs.mkdirSync(dir, { recursive: true });
  const now = new Date().toISOString();
  fs.writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({
      v: 1,
      id,
      status: 'running',
      phase: 'rl',
      config: {},
      configFile: null,
      rules: ['correct'],
      rulesFile: 'engine',
      backend: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      // No process of ours: a pid that cannot exist, so the run shows as failed (its writer is gone).
      pid: 2 ** 22 + 12345,
      step: 1,
      totalSteps: 10,
      baseAccuracy: null,
      finalAccuracy: null,
      error: null,
    }),
  );
  return dir;
}

describe('studio', function () {
  this.timeout(30_000);

  afterEach(async () => {
    const tabs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter(
        (t) =>
          t.input instanceof vscode.TabInputWebview &&
          /bnpo\.(dashboard|betaFit|samples)$/.test(t.input.viewType),
      );
    await vscode.window.tabGroups.close(tabs);
  });

  /** Opens the run in the dashboard, Beta-fit and samples panels by id, once the folder watch or the poll knows it. */
  async function openInTheThreePanels(runId: string): Promise<void> {
    let id: unknown;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      id = await vscode.commands.executeCommand('bnpo.openDashboard', runId);
      if (id === runId) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(id, runId);
    const tab = await until('the dashboard tab', () => panelTab('bnpo.dashboard'));
    assert.equal(tab.label, 'BNPO Dashboard');
    assert.equal(await vscode.commands.executeCommand('bnpo.openBetaFit', runId), runId);
    assert.equal((await until('the Beta-fit tab', () => panelTab('bnpo.betaFit'))).label, 'BNPO Beta Fit');
    assert.equal(await vscode.commands.executeCommand('bnpo.showSamples', runId), runId);
    assert.equal((await until('the samples tab', () => panelTab('bnpo.samples'))).label, 'BNPO Samples');
  }

  it('follows a run folder another engine writes and opens it in the dashboard, Beta-fit and samples panels', async () => {
    writeEngineRun();
    await openInTheThreePanels(RUN_ID);
    // Opening the dashboard again reuses its panel.
    await vscode.commands.executeCommand('bnpo.openDashboard', RUN_ID);
    assert.equal(
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === 'BNPO Dashboard').length,
      1,
    );
  });

  it('opens a run TRL wrote (test/fixtures/trl-run) in the dashboard, Beta-fit and samples panels', async () => {
    for (const [name, text] of Object.entries(trlRunFiles())) {
      const file = path.join(workspaceDir(), name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
    await openInTheThreePanels(TRL_RUN_ID);
  });

  it('overlays runs chosen in the Runs view on one dashboard (Compare Runs)', async () => {
    writeEngineRun();
    writeEngineRun('engine-run-2');
    let ids: unknown;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      // As the Runs view calls it with several rows selected: the clicked row, then the selection.
      ids = await vscode.commands.executeCommand('bnpo.compareRuns', RUN_ID, [RUN_ID, 'engine-run-2']);
      if (Array.isArray(ids)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.deepEqual(ids, [RUN_ID, 'engine-run-2']);
    assert.equal(
      (await until('the dashboard tab', () => panelTab('bnpo.dashboard'))).label,
      'BNPO Dashboard',
    );
  });

  it('says a run is not running when its trainer is gone, instead of signalling a stranger', async () => {
    writeEngineRun();
    const outcome = await vscode.commands.executeCommand('bnpo.stopRun', RUN_ID);
    assert.equal(outcome, 'not running');
  });

  it('gives *.bnporun.json files the run-config schema: completion of fields and errors for bad values', async () => {
    const file = path.join(workspaceDir(), 'check.bnporun.json');
    fs.writeFileSync(file, '{\n  "estimator": "nope",\n  \n}\n');
    const uri = vscode.Uri.file(file);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const problems = await until('schema diagnostics', () => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.some((x) => x.range.start.line === 1) ? d : undefined;
    });
    assert.ok(
      problems.some((d) => /bnpo|reinforce|grpo|Value is not accepted/i.test(d.message)),
      problems.map((d) => d.message).join('; '),
    );
    const completions = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      uri,
      new vscode.Position(2, 2),
    );
    const labels = completions.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const field of ['groupSize', 'steps', 'backend', 'task']) {
      assert.ok(labels.includes(field), `completion offers ${field}; got ${labels.slice(0, 20).join(', ')}`);
    }
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});

// An experiment's cells are normal run directories: following them puts them in the studio, where the dashboard and
// Compare Runs open them like any run, beside the runs folder's own runs; the user's settings are left as they are.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { followExperimentRuns } from '../../src/host/experimentReport/openReport';

function writeCell(runsDir: string, id: string): void {
  const dir = path.join(runsDir, id);
  fs.mkdirSync(dir, { recursive: true });
  const now = new Date().toISOString();
  const info = {
    v: 1,
    id,
    status: 'completed',
    phase: 'done',
    config: {},
    configFile: null,
    rules: ['correct'],
    rulesFile: 'media/tasks/sorting.rewards.json',
    backend: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: now,
    pid: null,
    step: 0,
    totalSteps: 0,
    baseAccuracy: 0.4,
    finalAccuracy: 0.4,
    error: null,
  };
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(info));
}

async function openDashboard(id: string): Promise<unknown> {
  let got: unknown;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    got = await vscode.commands.executeCommand('bnpo.openDashboard', id);
    if (got === id) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return got;
}

describe('experiment runs in the studio', () => {
  const config = () => vscode.workspace.getConfiguration('bnpo');

  it('follows an experiment folder’s runs, so the dashboard and Compare Runs open its cells', async () => {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root, 'the integration workspace has no folder');
    const before = config().inspect<string>('runsFolder');
    const dir = path.join(root, '.bnpo', 'experiments', 'itest');
    writeCell(path.join(dir, 'runs'), 'sorting-d4-s1-bnpo');
    writeCell(path.join(dir, 'runs'), 'sorting-d4-s1-grpo');

    // The report command runs inside the active extension; called from here, the extension must be active first.
    await vscode.extensions.getExtension('bnpo-studio.bnpo-studio')?.activate();
    const runs = await followExperimentRuns({ dir });
    assert.equal(runs, path.join(dir, 'runs'));
    const after = config().inspect<string>('runsFolder');
    assert.deepEqual(
      [after?.globalValue, after?.workspaceValue, after?.workspaceFolderValue],
      [before?.globalValue, before?.workspaceValue, before?.workspaceFolderValue],
      'following an experiment must not rewrite bnpo.runsFolder',
    );
    assert.equal(await openDashboard('sorting-d4-s1-bnpo'), 'sorting-d4-s1-bnpo');
    const ids = await vscode.commands.executeCommand('bnpo.compareRuns', 'sorting-d4-s1-bnpo', [
      'sorting-d4-s1-bnpo',
      'sorting-d4-s1-grpo',
    ]);
    assert.deepEqual(ids, ['sorting-d4-s1-bnpo', 'sorting-d4-s1-grpo']);
  });
});

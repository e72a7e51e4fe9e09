// "BNPO: Launch on verl…" in a real editor: the command turns a *.verl.json into verl's command line (shown, not
// run: verl is not installed here), and the manifest's JSON Schema checks *.verl.json files as they are edited.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { until, workspaceDir } from './workspace';

function write(name: string, value: unknown): vscode.Uri {
  const file = path.join(workspaceDir(), name);
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  return vscode.Uri.file(file);
}

describe('BNPO: Launch on verl…', () => {
  it('shows the verl command with the plug-in, the extension’s CLI and a run folder under .bnpo/runs', async () => {
    const uri = write('tiny.verl.json', {
      name: 'tiny',
      model: '/models/tiny',
      trainFiles: 'data/train.parquet',
      rules: 'math.rewards.json',
      groupSize: 4,
      promptsPerStep: 8,
    });
    await vscode.commands.executeCommand('bnpo.launchOnVerl', uri, { action: 'show' });
    const editor = await until('the command document', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.isUntitled === true ? e : undefined;
    });
    const text = editor.document.getText();
    const ext = vscode.extensions.getExtension('bnpo-studio.bnpo-studio');
    assert.ok(ext);
    assert.match(text, /python3 -m verl\.trainer\.main_ppo \\\n/);
    assert.ok(text.includes('  algorithm.adv_estimator=bnpo_beta \\\n'), text);
    assert.ok(text.includes(`BNPO_CLI=${path.join(ext.extensionPath, 'dist', 'cli.js')}`), text);
    assert.ok(text.includes(`BNPO_RULES_FILE=${path.join(workspaceDir(), 'math.rewards.json')}`), text);
    assert.match(
      text,
      new RegExp(`BNPO_RUN_DIR=${path.join(workspaceDir(), '.bnpo', 'runs')}/tiny-\\d{8}T\\d{6}Z`),
    );
    assert.ok(text.includes('  actor_rollout_ref.rollout.n=4 \\\n'), text);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('runs the command as a child process with the plug-in environment (a stand-in for python)', async () => {
    const dir = workspaceDir();
    const record = path.join(dir, 'fake-python.out');
    const fake = path.join(dir, 'fake-python.sh');
    fs.writeFileSync(
      fake,
      `#!/bin/sh\nprintf '%s\\n' "cwd=$PWD" "run=$BNPO_RUN_DIR" "rules=$BNPO_RULES_FILE" "$@" > '${record}.tmp'\nmv '${record}.tmp' '${record}'\n`,
      { mode: 0o755 },
    );
    const uri = write('local.verl.json', {
      name: 'local',
      model: '/models/tiny',
      trainFiles: 'train.parquet',
      rules: 'math.rewards.json',
      python: fake,
    });
    assert.equal(vscode.workspace.isTrusted, true, 'the integration workspace should be trusted');
    await vscode.commands.executeCommand('bnpo.launchOnVerl', uri, { action: 'run' });
    const lines = await until('the stand-in to run', () =>
      fs.existsSync(record) ? fs.readFileSync(record, 'utf8').trim().split('\n') : undefined,
    );
    assert.equal(lines[0], `cwd=${dir}`);
    assert.match(lines[1] ?? '', new RegExp(`^run=${path.join(dir, '.bnpo', 'runs')}/local-\\d{8}T\\d{6}Z$`));
    assert.equal(lines[2], `rules=${path.join(dir, 'math.rewards.json')}`);
    assert.deepEqual(lines.slice(3, 5), ['-m', 'verl.trainer.main_ppo']);
    assert.ok(lines.includes('algorithm.adv_estimator=bnpo_beta'));
    assert.ok(
      fs.existsSync(lines[1]?.slice('run='.length) ?? ''),
      'the run folder exists for the studio to follow',
    );
  });

  it('flags a group size below 2 in the config file through the contributed schema', async () => {
    const uri = write('bad.verl.json', {
      model: 'm',
      trainFiles: 't.parquet',
      rules: 'r.json',
      groupSize: 1,
    });
    await vscode.window.showTextDocument(uri);
    const diagnostics = await until('a schema diagnostic', () => {
      const found = vscode.languages.getDiagnostics(uri).filter((d) => d.range.start.line === 4);
      return found.length > 0 ? found : undefined;
    });
    assert.match(diagnostics[0]?.message ?? '', /2/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});

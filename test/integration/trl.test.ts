// "BNPO: Launch on TRL…" in a real editor, with a stand-in for the venv's Python (`bnpo.trl.python`): the command
// runs engines/trl's entry with the config's resolved paths through the supervisor; the stand-in writes a run
// folder as RunDirCallback does (from test/fixtures/trl-run, one metrics line at a time); the studio follows it,
// and Stop ends it through the supervisor (SIGTERM to its process group, which the stand-in records as stopped).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { until, workspaceDir } from './workspace';

const EXTENSION_ID = 'bnpo-studio.bnpo-studio';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The stand-in: records how it was started, then writes the fixture's run as a TRL run in progress would. */
const STAND_IN = `
const fs = require('node:fs'), os = require('node:os'), path = require('node:path');
const [record, fixture, ...argv] = process.argv.slice(2);
const arg = (flag) => argv[argv.indexOf(flag) + 1];
fs.writeFileSync(record, JSON.stringify({ cwd: process.cwd(), argv, pid: process.pid,
  unbuffered: process.env.PYTHONUNBUFFERED ?? null, nodeOptions: process.env.NODE_OPTIONS ?? null }));
const dir = arg('--run-dir');
fs.mkdirSync(dir, { recursive: true });
const info = JSON.parse(fs.readFileSync(path.join(fixture, 'run.json'), 'utf8'));
Object.assign(info, { id: path.basename(dir), status: 'running', phase: 'rl', pid: process.pid, host: os.hostname(),
  step: 0, totalSteps: Number(arg('--steps')), finishedAt: null, createdAt: new Date().toISOString() });
const writeInfo = () => {
  info.updatedAt = new Date().toISOString();
  fs.writeFileSync(path.join(dir, 'run.json.tmp'), JSON.stringify(info));
  fs.renameSync(path.join(dir, 'run.json.tmp'), path.join(dir, 'run.json'));
};
writeInfo();
for (const name of ['groups.jsonl', 'samples.jsonl', 'trainer.log'])
  fs.copyFileSync(path.join(fixture, name), path.join(dir, name));
const metrics = fs.readFileSync(path.join(fixture, 'metrics.jsonl'), 'utf8').trim().split('\\n');
let next = 0;
setInterval(() => {
  if (next >= metrics.length) return;
  fs.appendFileSync(path.join(dir, 'metrics.jsonl'), metrics[next++] + '\\n');
  info.step = next;
  writeInfo();
}, 200);
process.on('SIGTERM', () => {
  Object.assign(info, { status: 'stopped', finishedAt: new Date().toISOString() });
  writeInfo();
  process.exit(0);
});
`;

describe('BNPO: Launch on TRL…', function () {
  this.timeout(60_000);
  const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('bnpo');

  after(async () => {
    await settings().update('trl.python', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('runs engines/trl’s entry with the configured Python; the studio follows the run and Stop ends it', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    const dir = workspaceDir();
    const work = path.join(dir, 'trl');
    fs.mkdirSync(path.join(work, 'tiny-qwen2'), { recursive: true });
    const record = path.join(work, 'started.json');
    fs.writeFileSync(path.join(work, 'standIn.js'), STAND_IN);
    const fixture = path.join(ext.extensionPath, 'test', 'fixtures', 'trl-run');
    const python = path.join(work, 'python');
    fs.writeFileSync(
      python,
      `#!/bin/sh\nexec '${process.execPath}' '${path.join(work, 'standIn.js')}' '${record}' '${fixture}' "$@"\n`,
      { mode: 0o755 },
    );
    // Relative to the workspace folder, as a user would write it.
    await settings().update('trl.python', 'trl/python', vscode.ConfigurationTarget.Workspace);
    const config = path.join(work, 'tiny.trl.json');
    fs.writeFileSync(
      config,
      `{\n  // a run on a local model folder\n  "name": "tiny", "model": "tiny-qwen2", "dataset": "sums.jsonl",\n  "rules": "digits.rewards.json", "steps": 3, "groupSize": 4, "promptsPerStep": 2, "cpu": true,\n}\n`,
    );

    assert.equal(vscode.workspace.isTrusted, true, 'the integration workspace should be trusted');
    const runDir = await vscode.commands.executeCommand<string>('bnpo.launchOnTrl', vscode.Uri.file(config));
    assert.match(runDir, new RegExp(`^${path.join(dir, '.bnpo', 'runs')}/tiny-\\d{8}T\\d{6}Z$`));
    const started = await until('the stand-in to start', () =>
      fs.existsSync(record)
        ? (JSON.parse(fs.readFileSync(record, 'utf8')) as {
            cwd: string;
            argv: string[];
            pid: number;
            unbuffered: string | null;
            nodeOptions: string | null;
          })
        : undefined,
    );
    assert.equal(started.cwd, work);
    assert.deepEqual(started.argv, [
      '-m',
      'bnpo_trl.launch',
      ...['--model', path.join(work, 'tiny-qwen2')],
      ...['--dataset', path.join(work, 'sums.jsonl')],
      ...['--rules', path.join(work, 'digits.rewards.json')],
      ...['--run-dir', runDir],
      ...['--cli', path.join(ext.extensionPath, 'dist', 'cli.js')],
      ...['--name', 'tiny'],
      ...['--steps', '3'],
      ...['--group-size', '4'],
      ...['--prompts-per-step', '2'],
      ...['--lr', '0.00001'],
      ...['--max-completion-length', '64'],
      ...['--temperature', '1'],
      ...['--seed', '1'],
      ...['--sample-every', '5'],
      '--cpu',
    ]);
    assert.equal(started.unbuffered, '1');
    assert.equal(started.nodeOptions, null, "the extension host's own environment stays behind");

    // The studio follows the new folder under the runs root and opens it.
    const runId = path.basename(runDir);
    await until('run.json', () => (fs.existsSync(path.join(runDir, 'run.json')) ? true : undefined));
    let opened: unknown;
    const deadline = Date.now() + 15_000;
    while (opened !== runId && Date.now() < deadline) {
      opened = await vscode.commands.executeCommand('bnpo.openDashboard', runId);
      if (opened !== runId) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(opened, runId);
    assert.ok(alive(started.pid), 'the run is still going');

    assert.equal(await vscode.commands.executeCommand('bnpo.stopRun', runId), 'stopped');
    assert.equal(alive(started.pid), false, 'Stop ended the process the supervisor started');
    const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as { status: string };
    assert.equal(info.status, 'stopped');
    await vscode.window.tabGroups.close(vscode.window.tabGroups.all.flatMap((g) => g.tabs));
  });
});

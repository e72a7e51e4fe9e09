// The host's wiring against the manifest: one id per command and every contributed command in the table's id list,
// the settings' defaults in one module equal to package.json's, activation only on the project's own files, and the
// Runs model following several root folders (the runs folder setting and an experiment's runs) at once.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { COMMAND_IDS } from '../../src/host/commandIds';
import { CONFIG_DEFAULTS, CONFIG_SECTION, configFrom } from '../../src/host/config';
import { DEFAULT_AUDIT_THRESHOLDS } from '../../src/protocol/audit';
import { RunsModel } from '../../src/host/runs/runsModel';
import { RUN_FILES } from '../../src/runDir/layout';
import { runInfo } from './studioFixtures';

interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: { command: string }[];
    configuration: { properties: Record<string, { default: unknown }> };
  };
}
const manifest = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
) as Manifest;

describe('command ids', () => {
  it('name every contributed command, each once, plus only internal ones', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command);
    const ids: string[] = Object.values(COMMAND_IDS);
    assert.equal(new Set(ids).size, ids.length, 'an id is declared twice');
    assert.deepEqual(
      contributed.filter((id) => !ids.includes(id)),
      [],
      'contributed but missing from COMMAND_IDS',
    );
    assert.deepEqual(
      ids.filter((id) => !contributed.includes(id)),
      [COMMAND_IDS.followRunsFolder, COMMAND_IDS.runPageData],
      'only the internal commands are not contributed',
    );
    assert.ok(contributed.includes(COMMAND_IDS.checkpointNow));
  });
});

describe('settings', () => {
  it('have the defaults package.json declares, in one module', () => {
    const declared = Object.fromEntries(
      Object.entries(manifest.contributes.configuration.properties).map(([key, p]) => [
        key.slice(CONFIG_SECTION.length + 1),
        p.default,
      ]),
    );
    assert.deepEqual(declared, { ...CONFIG_DEFAULTS });
  });

  it('resolve paths one way: absolute, else against the workspace folder', () => {
    const read = (values: Record<string, unknown>) => ({
      get: <T>(key: string, fallback: T): T => (key in values ? (values[key] as T) : fallback),
    });
    const defaults = configFrom(read({}), '/w');
    assert.deepEqual(defaults, {
      runsFolder: '/w/.bnpo/runs',
      rulesDataset: undefined,
      rulesDatasetSetting: '',
      rulesCodeLens: true,
      trlPython: 'python3',
      auditThresholds: DEFAULT_AUDIT_THRESHOLDS,
    });
    const set = configFrom(read({ runsFolder: '/abs/runs', 'rules.dataset': ' data/d.jsonl ' }), '/w');
    assert.equal(set.runsFolder, '/abs/runs');
    assert.equal(set.rulesDataset, '/w/data/d.jsonl');
    assert.equal(configFrom(read({ 'rules.dataset': 'd.jsonl' }), undefined).rulesDataset, undefined);
    assert.equal(configFrom(read({ runsFolder: '  ' }), '/w').runsFolder, '/w/.bnpo/runs');
  });
});

describe('activation', () => {
  it('wakes only for the project’s own files, not for every JSONC file', () => {
    const events = manifest.activationEvents;
    assert.ok(!events.some((e) => e.startsWith('onLanguage:')), events.join(', '));
    for (const own of ['**/*.rewards.json', '**/*.bnporun.json', '.bnpo/runs'])
      assert.ok(events.includes(`workspaceContains:${own}`), `missing workspaceContains:${own}`);
  });
});

describe('RunsModel roots', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-roots-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function writeRun(root: string, id: string, status: 'completed' | 'stopped' = 'completed'): string {
    const runDir = path.join(dir, root, id);
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, RUN_FILES.run), JSON.stringify(runInfo({ id, status })));
    return runDir;
  }

  it('follows several roots at once, and drops only the runs of a root it stops following', () => {
    writeRun('runs', 'a');
    const experimentRun = writeRun('experiment/runs', 'cell-1');
    const model = new RunsModel([path.join(dir, 'runs')], { pollMs: 0, watch: false });
    const events: string[] = [];
    model.onDidChange((e) => events.push(`${e.kind}:${e.run.id}`));
    model.start();
    assert.deepEqual(
      model.list().map((r) => r.id),
      ['a'],
    );
    model.setRoots([path.join(dir, 'runs'), path.join(dir, 'experiment/runs'), path.join(dir, 'runs')]);
    assert.deepEqual(
      model.roots,
      [path.join(dir, 'runs'), path.join(dir, 'experiment/runs')],
      'each root once',
    );
    assert.deepEqual(
      model
        .list()
        .map((r) => r.id)
        .sort(),
      ['a', 'cell-1'],
    );
    assert.equal(model.byDir(experimentRun)?.id, 'cell-1');
    model.setRoots([path.join(dir, 'experiment/runs')]);
    assert.deepEqual(
      model.list().map((r) => r.id),
      ['cell-1'],
    );
    assert.deepEqual(events, ['added:a', 'added:cell-1', 'removed:a']);
    model.dispose();
  });

  it('keeps two runs of one name from two roots apart; an id names the first root’s', () => {
    const first = writeRun('runs', 'same', 'completed');
    const second = writeRun('other', 'same', 'stopped');
    const model = new RunsModel([path.join(dir, 'runs'), path.join(dir, 'other')], {
      pollMs: 0,
      watch: false,
    });
    model.start();
    assert.equal(model.list().length, 2);
    assert.equal(model.get('same')?.dir, first);
    assert.equal(model.byDir(second)?.status, 'stopped');
    model.dispose();
  });
});

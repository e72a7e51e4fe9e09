import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALL_COMMANDS_ACTION,
  OPEN_SETTINGS_ACTION,
  OPEN_WALKTHROUGH_ACTION,
  WALKTHROUGH_ID,
  hiddenCommands,
  manifestActions,
  recentRuns,
  startActions,
} from '../../src/host/welcome/actions';
import type { RecentRunFacts } from '../../src/host/welcome/actions';
import type { RunStatus } from '../../src/protocol/runDir';

const EXTENSION = 'bnpo-studio.bnpo-studio';

describe('welcome actions', () => {
  const commands = [
    { command: 'bnpo.openWelcome', title: 'Open Welcome', category: 'BNPO' },
    { command: 'bnpo.launchOnVerl', title: 'Launch on verl…', category: 'BNPO' },
    { command: 'bnpo.startRun', title: 'Start Training Run', category: 'BNPO' },
    { command: 'bnpo.internalRefresh', title: 'Refresh', category: 'BNPO' },
    { command: 'bnpo.newRules', title: 'New Rules', category: 'BNPO' },
    { command: 'other.thing', title: 'Elsewhere' },
  ];

  it('starts with the walkthrough, then the first steps asked for, in that order, with their manifest titles', () => {
    const hidden = hiddenCommands({ commandPalette: [{ command: 'bnpo.internalRefresh', when: 'false' }] });
    const actions = startActions(
      commands,
      hidden,
      ['bnpo.startRun', 'bnpo.missing', 'bnpo.internalRefresh', 'bnpo.newRules'],
      EXTENSION,
    );
    assert.deepEqual(
      actions.map((a) => [a.id, a.title, a.command, a.args]),
      [
        [
          OPEN_WALKTHROUGH_ACTION,
          'Open the Getting Started Walkthrough',
          'workbench.action.openWalkthrough',
          [`${EXTENSION}#${WALKTHROUGH_ID}`, false],
        ],
        ['bnpo.startRun', 'Start Training Run', 'bnpo.startRun', []],
        ['bnpo.newRules', 'New Rules', 'bnpo.newRules', []],
      ],
      'not every command (no verl launch first), nothing hidden or missing',
    );
  });

  it('offers the extension’s settings and every BNPO command below the start', () => {
    const { version, start, more } = manifestActions(
      { version: '1.2.3', contributes: { commands } },
      EXTENSION,
    );
    assert.equal(version, '1.2.3');
    assert.equal(start.length, 1, 'the real first steps are not in this manifest: only the walkthrough');
    assert.deepEqual(
      more.map((a) => [a.id, a.command, a.args]),
      [
        [ALL_COMMANDS_ACTION, 'workbench.action.quickOpen', ['>BNPO: ']],
        [OPEN_SETTINGS_ACTION, 'workbench.action.openSettings', [`@ext:${EXTENSION}`]],
      ],
    );
  });

  it('hides only palette entries whose when clause is literally false', () => {
    const hidden = hiddenCommands({
      commandPalette: [
        { command: 'bnpo.a', when: 'false' },
        { command: 'bnpo.b', when: 'editorIsOpen' },
      ],
    });
    assert.deepEqual([...hidden], ['bnpo.a']);
    assert.deepEqual([...hiddenCommands(undefined)], []);
    assert.deepEqual([...hiddenCommands({ commandPalette: 'nonsense' })], []);
  });
});

describe('welcome recent runs', () => {
  const run = (id: string, status: RunStatus, createdAt: string): RecentRunFacts => ({
    id,
    label: `label-${id}`,
    status,
    step: 3,
    totalSteps: 10,
    createdAt,
  });

  it('lists the newest first, each with only the actions its status allows', () => {
    const listed = recentRuns([
      run('old', 'completed', '2026-01-01T00:00:00Z'),
      run('live', 'running', '2026-03-01T00:00:00Z'),
      run('halted', 'stopped', '2026-02-01T00:00:00Z'),
      run('broken', 'failed', '2026-01-15T00:00:00Z'),
    ]);
    assert.deepEqual(
      listed.map((r) => [r.id, r.actions.map((a) => a.title)]),
      [
        ['live', ['Dashboard', 'Stop']],
        ['halted', ['Dashboard', 'Resume']],
        ['broken', ['Dashboard', 'Resume']],
        ['old', ['Dashboard']],
      ],
    );
    // Each action names its run, so the host runs the command on that run without asking.
    assert.deepEqual(listed[0]!.actions[1], {
      id: 'bnpo.stopRun:live',
      title: 'Stop',
      command: 'bnpo.stopRun',
      args: ['live'],
    });
    assert.equal(listed[0]!.detail, 'running · step 3 of 10');
  });

  it('keeps only the newest few', () => {
    const many = Array.from({ length: 8 }, (_, i) =>
      run(`r${i}`, 'completed', `2026-01-0${i + 1}T00:00:00Z`),
    );
    assert.deepEqual(
      recentRuns(many, 3).map((r) => r.id),
      ['r7', 'r6', 'r5'],
    );
  });
});

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPEN_SETTINGS_ACTION, hiddenCommands, welcomeActions } from '../../src/host/welcome/actions';

describe('welcome actions', () => {
  const commands = [
    { command: 'bnpo.openWelcome', title: 'Open Welcome', category: 'BNPO' },
    { command: 'bnpo.startRun', title: 'Start Training Run', category: 'BNPO' },
    { command: 'bnpo.internalRefresh', title: 'Refresh', category: 'BNPO' },
    { command: 'other.thing', title: 'Elsewhere' },
  ];

  it('offers the BNPO palette commands except the page itself and hidden ones, then settings', () => {
    const hidden = hiddenCommands({ commandPalette: [{ command: 'bnpo.internalRefresh', when: 'false' }] });
    const actions = welcomeActions(commands, hidden, 'bnpo.openWelcome', 'bnpo-studio.bnpo-studio');
    assert.deepEqual(
      actions.map((a) => [a.id, a.title, a.command, a.args]),
      [
        ['bnpo.startRun', 'Start Training Run', 'bnpo.startRun', []],
        [OPEN_SETTINGS_ACTION, 'Settings', 'workbench.action.openSettings', ['@ext:bnpo-studio.bnpo-studio']],
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

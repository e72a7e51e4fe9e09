// The welcome command opens one webview panel of the welcome view type, and running it again reuses it.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

// VS Code prefixes the view type of extension webviews in the tab API.
const WELCOME_TAB_TYPE = 'mainThreadWebview-bnpo.welcome';

function welcomeTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType === WELCOME_TAB_TYPE);
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('welcome panel', () => {
  afterEach(async () => {
    await vscode.window.tabGroups.close(welcomeTabs());
  });

  it('opens as a webview tab titled "BNPO Welcome"', async () => {
    await vscode.commands.executeCommand('bnpo.openWelcome');
    const tab = await waitFor('the welcome tab', () => welcomeTabs()[0]);
    assert.equal(tab.label, 'BNPO Welcome');
    assert.equal(tab.isActive, true);
  });

  it('keeps a single panel when opened twice', async () => {
    await vscode.commands.executeCommand('bnpo.openWelcome');
    await waitFor('the welcome tab', () => welcomeTabs()[0]);
    await vscode.commands.executeCommand('bnpo.openWelcome');
    assert.equal(welcomeTabs().length, 1);
  });
});

// What the integration suites share: the test workspace's folder and a bounded wait.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the integration workspace has no folder');
  return folder.uri.fsPath;
}

/** Polls `probe` until it gives a value, failing with `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

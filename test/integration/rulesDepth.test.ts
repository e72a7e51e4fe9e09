// A reward-rule file nested 100,000 levels deep, open in the real editor: one diagnostic of ours says why, and
// hover, completion, definition and code lenses answer (with nothing of ours) instead of overflowing the stack.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'bnpo-studio.bnpo-studio';
const DEPTH = 100_000;

describe('a reward-rule file nested 100,000 levels deep in the editor', function () {
  this.timeout(60_000);
  let uri: vscode.Uri;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the integration workspace has no folder');
    const file = path.join(folder.uri.fsPath, 'deep', 'deep.rewards.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const pattern = `${'{"x":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
    fs.writeFileSync(file, `{"rules": [{"name": "a", "kind": "format", "pattern": ${pattern}}]}\n`);
    uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(path.dirname(uri.fsPath), { recursive: true, force: true });
  });

  it('has exactly one diagnostic of ours, at the first bracket too deep', async () => {
    const deadline = Date.now() + 20_000;
    let ours: vscode.Diagnostic[] = [];
    while (ours.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      ours = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'bnpo rules');
    }
    assert.equal(ours.length, 1, ours.map((d) => d.message).join('\n'));
    assert.match(ours[0]!.message, /^nested more than 100 levels deep/);
    assert.equal(ours[0]!.code, 'too-deep');
    // `{"rules": [{` is three levels, so the pattern's 98th `{"x":` is the 101st
    assert.deepEqual(
      [ours[0]!.range.start.line, ours[0]!.range.start.character],
      [0, '{"rules": [{"name": "a", "kind": "format", "pattern": '.length + 97 * 5],
    );
  });

  it('answers hover, completion, definition and code lenses with nothing of ours', async () => {
    const inside = new vscode.Position(0, 60_000);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      inside,
    );
    const ourHover = hovers.filter((h) =>
      h.contents.some((c) => (typeof c === 'string' ? c : c.value).includes('BNPO')),
    );
    assert.deepEqual(ourHover, []);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      uri,
      inside,
    );
    assert.deepEqual(
      list.items.filter((i) => i.sortText?.startsWith('0_')),
      [],
    );
    const definitions = await vscode.commands.executeCommand<vscode.Location[]>(
      'vscode.executeDefinitionProvider',
      uri,
      inside,
    );
    assert.deepEqual(definitions, []);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      uri,
    );
    assert.deepEqual(lenses, []);
  });
});

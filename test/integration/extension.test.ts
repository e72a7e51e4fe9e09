// The manifest and the running extension agree: it activates, every contributed command is registered,
// every contributed setting reads as its declared default in a fresh profile.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'bnpo-studio.bnpo-studio';

interface ContributedSetting {
  default?: unknown;
}
interface Manifest {
  contributes?: {
    commands?: { command: string }[];
    configuration?:
      | { properties?: Record<string, ContributedSetting> }
      | { properties?: Record<string, ContributedSetting> }[];
  };
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in the test editor`);
  return ext;
}

function manifest(): Manifest {
  return extension().packageJSON as Manifest;
}

describe('extension', () => {
  it('activates', async () => {
    await extension().activate();
    assert.equal(extension().isActive, true);
  });

  it('registers every command contributed in package.json', async () => {
    const contributed = (manifest().contributes?.commands ?? []).map((c) => c.command);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    await extension().activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('gives every contributed setting its declared default', () => {
    const sections = manifest().contributes?.configuration;
    const properties = Object.assign(
      {},
      ...(Array.isArray(sections) ? sections : sections ? [sections] : []).map((s) => s.properties ?? {}),
    ) as Record<string, ContributedSetting>;
    const keys = Object.keys(properties);
    assert.ok(keys.length > 0, 'package.json contributes no settings');
    const config = vscode.workspace.getConfiguration();
    for (const key of keys) {
      // Without a declared default the editor invents one from the type; a setting should say what it means.
      assert.ok(properties[key] && 'default' in properties[key], `${key}: package.json declares no default`);
      const declared = properties[key].default;
      assert.deepEqual(config.inspect(key)?.defaultValue, declared, `${key}: default in the editor`);
      assert.deepEqual(config.get(key), declared, `${key}: effective value in a fresh profile`);
    }
  });
});

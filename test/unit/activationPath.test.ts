// What activation loads: dist/extension.js is the stubs of src/host/lazy.ts and the ids they name, nothing else
// (no zod, no schema, no feature), and those stubs cover every panel the manifest restores. A feature that imports
// into src/extension.ts again makes activation pay for its code; this says which module did.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { panelViewTypes } from '../../src/host/lazyViewTypes';

const root = path.join(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as unknown;

describe('activation path', () => {
  it('bundles only the stubs and the command ids into dist/extension.js', () => {
    const result = esbuild.buildSync({
      absWorkingDir: root,
      entryPoints: ['src/extension.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['vscode'],
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs).sort();
    assert.deepEqual(inputs, [
      'src/extension.ts',
      'src/host/commandIds.ts',
      'src/host/lazy.ts',
      'src/host/lazyViewTypes.ts',
    ]);
  });

  it('restores every panel of an onWebviewPanel activation event', () => {
    assert.deepEqual(panelViewTypes(manifest), [
      'bnpo.welcome',
      'bnpo.dashboard',
      'bnpo.betaFit',
      'bnpo.samples',
      'bnpo.runsTable',
    ]);
    assert.deepEqual(panelViewTypes({}), []);
  });
});

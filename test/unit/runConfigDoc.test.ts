// docs/run-config.md is generated from the run-configuration schema; it must be regenerated when the schema moves.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { runConfigDocFile, runConfigDocText } from '../tools/runConfigDoc';

const root = join(__dirname, '..', '..', '..');

describe('docs/run-config.md', () => {
  const doc = readFileSync(join(root, runConfigDocFile), 'utf8');
  it('is what `npm run schemas` writes from the schema today', () => {
    assert.equal(doc, runConfigDocText(), 'stale: run `npm run schemas` and commit docs/run-config.md');
  });

  it('documents every key, nested ones included, with its default', () => {
    const shape = RunConfigSchema.shape;
    for (const key of Object.keys(shape)) assert.ok(doc.includes(`| \`${key}\` |`), key);
    for (const key of [
      'dataset.train',
      'dataset.heldOutFraction',
      'model.dModel',
      'sft.maxSteps',
      'clip.dual',
      'eval.size',
    ]) {
      assert.ok(doc.includes(`| \`${key}\` |`), key);
    }
    assert.match(doc, /\| `groupSize` \| integer \| `8` \| ≥ 2 \|/);
    assert.match(doc, /\| `dataset.train` \| string \| required \|/);
  });
});

// Runs recorded before run names became part of folder names may have any name ("my first run"): their run.json
// must still open, while a new config with such a name is refused.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { RunInfoSchema } from '../../src/protocol/runDir';

const fixture = path.join(
  __dirname,
  '..',
  '..',
  '..',
  'test',
  'fixtures',
  'studio',
  'sorting-demo-run',
  'run.json',
);

describe('run.json of older runs', () => {
  it('opens a recorded run whose name has spaces, and refuses that name in a new config', () => {
    const info = JSON.parse(fs.readFileSync(fixture, 'utf8')) as { config: Record<string, unknown> };
    const legacy = { ...info, config: { ...info.config, name: 'my first run' } };
    assert.equal(RunInfoSchema.parse(legacy).config.name, 'my first run');
    const fresh = RunConfigSchema.safeParse({ name: 'my first run' });
    assert.equal(fresh.success, false);
    assert.match(fresh.error?.issues[0]?.message ?? '', /becomes part of a folder name/);
    // everything else is checked as before
    assert.equal(RunInfoSchema.safeParse({ ...info, config: { ...info.config, steps: -1 } }).success, false);
  });
});

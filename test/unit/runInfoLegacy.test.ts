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

describe('the built-in llama model recorded before ropeTheta and intermediateSize', () => {
  const llama = { dModel: 64, layers: 2, heads: 4, mlpRatio: 4, tiedOutput: true, architecture: 'llama' };

  it('resumes with the θ and MLP width of its day; a new run gets today’s defaults, and both keep given values', () => {
    const info = JSON.parse(fs.readFileSync(fixture, 'utf8')) as { config: Record<string, unknown> };
    const recorded = RunInfoSchema.parse({ ...info, config: { ...info.config, model: llama } }).config.model;
    assert.equal(recorded.ropeTheta, 1e4);
    assert.equal(recorded.intermediateSize, 256);
    const fresh = RunConfigSchema.parse({ model: llama }).model;
    assert.equal(fresh.ropeTheta, 1e6);
    assert.equal(fresh.intermediateSize, 171, '⅔ · 4 · 64, rounded');
    const given = { ...llama, ropeTheta: 500, intermediateSize: 100 };
    assert.deepEqual(
      [
        RunConfigSchema.parse({ model: given }).model,
        RunInfoSchema.parse({ ...info, config: { ...info.config, model: given } }).config.model,
      ].map((m) => [m.ropeTheta, m.intermediateSize]),
      [
        [500, 100],
        [500, 100],
      ],
    );
    // The gpt model has neither field.
    assert.equal(RunConfigSchema.parse({}).model.ropeTheta, undefined);
  });

  it('refuses ropeTheta or intermediateSize on the gpt model, naming the field to set', () => {
    const parsed = RunConfigSchema.safeParse({ model: { ropeTheta: 500 } });
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error?.issues[0]?.path, ['model', 'architecture']);
    assert.match(parsed.error?.issues[0]?.message ?? '', /set model\.architecture to llama/);
  });
});

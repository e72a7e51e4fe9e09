import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeExperiment, findExperiments, summarise } from '../../src/host/experimentReport/experiments';
import { EXPERIMENT_VERSION, type ExperimentReport } from '../../src/protocol/experiment';

let root = '';
const report = (name: string, complete: boolean): ExperimentReport => ({
  v: EXPERIMENT_VERSION,
  name,
  createdAt: '2026-11-26T00:00:00.000Z',
  complete,
  missing: complete ? [] : ['sorting-s1-bnpo'],
  rows: [],
  theory: [],
  paired: [],
  curves: [],
  plots: [],
  wallSeconds: 12,
});

function experiment(dir: string, json: unknown, md = true): void {
  fs.mkdirSync(dir, { recursive: true });
  if (md) fs.writeFileSync(path.join(dir, 'report.md'), '# Estimator study\n');
  if (json !== undefined)
    fs.writeFileSync(path.join(dir, 'report.json'), typeof json === 'string' ? json : JSON.stringify(json));
}

before(() => {
  root = fs.mkdtempSync(path.join(tmpdir(), 'bnpo-experiments-'));
  experiment(path.join(root, 'a'), report('study-a', true));
  experiment(path.join(root, 'b'), report('study-b', false));
  experiment(path.join(root, 'broken'), '{"v": 1, "name": 3}');
  experiment(path.join(root, 'not-yet'), report('x', true), false);
  fs.writeFileSync(path.join(root, 'stray.txt'), '');
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('experiment folders for "Open Experiment Report"', () => {
  it('lists every child folder holding report.md, with its state from report.json', () => {
    const found = findExperiments([root, path.join(root, 'missing')]);
    assert.deepEqual(found.map((e) => path.basename(e.dir)).sort(), ['a', 'b', 'broken']);
    const a = found.find((e) => e.name === 'study-a')!;
    assert.equal(a.complete, true);
    assert.equal(a.reportMd, path.join(root, 'a', 'report.md'));
    assert.match(summarise(a), /^complete · 0 finished runs/);
    assert.match(summarise(found.find((e) => e.name === 'study-b')!), /^incomplete/);
  });
  it('accepts an experiment folder itself as a root', () => {
    const found = findExperiments([path.join(root, 'a')]);
    assert.deepEqual(
      found.map((e) => e.name),
      ['study-a'],
    );
  });
  it('names the file and field of a report.json that does not validate, and still offers the markdown', () => {
    const broken = describeExperiment(path.join(root, 'broken'))!;
    assert.equal(broken.complete, null);
    assert.match(broken.problem!, /broken[\\/]report\.json: name: /);
    assert.match(summarise(broken), /^report\.json unreadable/);
  });
  it('returns null for a folder without report.md', () => {
    assert.equal(describeExperiment(path.join(root, 'not-yet')), null);
  });
});

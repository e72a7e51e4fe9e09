// What a followed run keeps of its files: samples.jsonl as byte offsets by step (a step's groups read back from
// disk equal to what was written; a torn line waits; a line longer than a read chunk is indexed; a replaced file
// is indexed again) and metrics as typed columns equal to the records' values.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { toMetricColumns } from '../../src/host/panels/pageData';
import { SamplesRecordSchema } from '../../src/protocol/runDir';
import type { SamplesRecord } from '../../src/protocol/runDir';
import { AuditRecordSchema } from '../../src/protocol/audit';
import { AuditTable, MetricTable } from '../../src/runDir/followColumns';
import { StepIndexFollower } from '../../src/runDir/followIndex';
import { needsStep, sampledSteps } from '../../webview/samples/model';
import { metricsRecord, samplesRecord } from './studioFixtures';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-follow-index-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const line = (r: SamplesRecord) => JSON.stringify(r) + '\n';
const group = (step: number, promptId: string): SamplesRecord => ({ ...samplesRecord(step), promptId });

describe('StepIndexFollower', () => {
  it("indexes each step's lines and reads one step back from disk", () => {
    const file = path.join(dir, 'samples.jsonl');
    const written = [1, 2, 3].flatMap((s) => [group(s, `a${s}`), group(s, `b${s}`)]);
    fs.writeFileSync(file, written.map(line).join('') + '{"v":1,"step":4,"prom');
    const follower = new StepIndexFollower(file, SamplesRecordSchema);
    assert.deepEqual(follower.read(), { steps: [1, 2, 3], reset: false });
    assert.deepEqual(follower.readStep(2), written.slice(2, 4));
    assert.deepEqual(follower.readStep(3), written.slice(4, 6), 'the torn line is not part of step 3');
    assert.deepEqual(follower.readStep(4), []);
    fs.appendFileSync(file, line(group(4, 'x')).slice('{"v":1,"step":4,"prom'.length));
    assert.deepEqual(follower.read().steps, [4]);
    assert.deepEqual(follower.readStep(4), [group(4, 'x')]);
    assert.deepEqual(follower.index.stepList(), [1, 2, 3, 4]);
  });

  it('indexes a line longer than one read, one in another key order and one as Python writes JSON', () => {
    const file = path.join(dir, 'samples.jsonl');
    const huge = { ...group(1, 'huge'), prompt: 'p'.repeat(5 * 1024 * 1024) };
    // A dataset field named step must not be taken for the record's.
    const { v, step, ...rest } = { ...group(2, 'reordered'), sample: { step: 99, answer: '1' } };
    const python = JSON.stringify(group(3, 'python')).replace(/":/g, '": ').replace(/,"/g, ', "');
    fs.writeFileSync(file, line(huge) + JSON.stringify({ ...rest, step, v }) + '\n' + python + '\n');
    const follower = new StepIndexFollower(file, SamplesRecordSchema);
    assert.deepEqual(follower.read().steps, [1, 2, 3]);
    assert.equal(follower.readStep(1)[0]?.prompt.length, huge.prompt.length);
    assert.equal(follower.readStep(2)[0]?.promptId, 'reordered');
    assert.equal(follower.readStep(3)[0]?.promptId, 'python');
  });

  it('indexes a replaced file again from the start', () => {
    const file = path.join(dir, 'samples.jsonl');
    fs.writeFileSync(file, [1, 2, 3].map((s) => line(group(s, 'a'))).join(''));
    const follower = new StepIndexFollower(file, SamplesRecordSchema);
    follower.read();
    fs.writeFileSync(`${file}.tmp`, line(group(1, 'again')));
    fs.renameSync(`${file}.tmp`, file);
    assert.deepEqual(follower.read(), { steps: [1], reset: true });
    assert.deepEqual(follower.index.stepList(), [1]);
    assert.equal(follower.readStep(1)[0]?.promptId, 'again');
  });
});

describe('MetricTable', () => {
  it('holds what the dashboard draws, equal to the records, a rule added later null before it', () => {
    const records = [metricsRecord(1), metricsRecord(2), metricsRecord(3, { loss: null })];
    records[2]!.rewards.length = 0.25;
    const table = new MetricTable();
    for (const r of records) table.push(r);
    const rules = ['correct', 'format', 'length'];
    assert.deepEqual(table.toColumns(rules), toMetricColumns(records, rules));
    assert.deepEqual(table.toColumns(rules, 2), toMetricColumns(records.slice(2), rules));
    assert.equal(table.value('reward', 2), records[2]!.reward);
    assert.equal(table.value('loss', 2), null);
    assert.equal(table.wallAt(2), records[1]!.wall);
    assert.equal(table.wallAt(7), 0);
  });
});

describe('AuditTable', () => {
  const audit = (step: number, repeatRate: number, candidates: Record<string, number> = {}) =>
    AuditRecordSchema.parse({
      v: 1,
      step,
      completions: 8,
      length: { mean: 5, p95: 6, atCap: 0.125, meanDrift: null, p95Drift: null },
      duplicateShare: 0,
      repeatRate,
      passRates: {},
      formatNotAccuracy: null,
      opposed: [{ a: 'x', b: 'y', deltaA: 0.1, deltaB: -0.1 }],
      multipleCandidates: candidates,
      flagged: 0,
    });

  it("finds a step's checks, the step's last record winning, also when steps arrive out of order", () => {
    const table = new AuditTable();
    for (const r of [audit(1, 0.1, { a: 0.2, b: 0.5 }), audit(2, 0.2), audit(2, 0.25), audit(4, 0.4)])
      table.push(r);
    assert.equal(table.length, 4);
    assert.deepEqual(
      [1, 2, 3, 4, 0].map((s) => table.value('repeats', table.rowOf(s))),
      [0.1, 0.25, null, 0.4, null],
    );
    assert.equal(table.value('multipleCandidates', table.rowOf(1)), 0.5, 'the worst answer rule');
    assert.equal(table.value('multipleCandidates', table.rowOf(2)), null);
    assert.equal(table.value('lengthDrift', table.rowOf(1)), null);
    assert.equal(table.value('atCap', table.rowOf(4)), 0.125);
    assert.equal(table.value('opposedPairs', table.rowOf(4)), 1);
    table.push(audit(3, 0.3));
    assert.deepEqual(
      [1, 2, 3, 4].map((s) => table.value('repeats', table.rowOf(s))),
      [0.1, 0.25, 0.3, 0.4],
      'scanned once the steps are out of order',
    );
  });
});

describe('samples page, one step at a time', () => {
  it('lists the steps the host named and asks once for a step it lacks', () => {
    const records = [group(5, 'a')];
    assert.deepEqual(sampledSteps(records, [1, 3, 5]), [1, 3, 5]);
    assert.equal(needsStep(records, 5, new Set()), false, 'loaded');
    assert.equal(needsStep(records, 3, new Set()), true);
    assert.equal(needsStep(records, 3, new Set([3])), false, 'asked already');
  });
});

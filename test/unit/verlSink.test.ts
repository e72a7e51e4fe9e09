// The run directory that the verl plug-in's sink writes (engines/verl/bnpo_verl/sink.py) is read here with the
// studio's own schemas and tolerant reader. The fixture is written by the Python suite (test_sink.py, which
// also checks that the sink still writes exactly these bytes), so both sides agree on one set of files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { parseJsonl } from '../../src/protocol/jsonl';
import {
  EvalRecordSchema,
  GroupsRecordSchema,
  MetricsRecordSchema,
  RunInfoSchema,
  SamplesRecordSchema,
} from '../../src/protocol/runDir';
import { RUN_FILES } from '../../src/runDir/layout';

const fixture = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'verl-run');

function read<T>(name: string, schema: z.ZodType<T>): T[] {
  const file = path.join(fixture, name);
  const chunk = parseJsonl(readFileSync(file, 'utf8'), schema, { file });
  assert.deepEqual(chunk.problems, [], `${name} has records the studio refuses`);
  assert.equal(chunk.tornTail, false);
  return chunk.records;
}

describe('a verl run directory written by the bnpo_verl sink', () => {
  it('has a run.json the run manager accepts', () => {
    const info = RunInfoSchema.parse(JSON.parse(readFileSync(path.join(fixture, RUN_FILES.run), 'utf8')));
    assert.equal(info.status, 'completed');
    assert.equal(info.step, 4);
    assert.equal(info.totalSteps, 4);
    assert.deepEqual(info.rules, ['accuracy', 'format']);
    assert.equal(info.config.estimator, 'bnpo');
    assert.equal(info.config.groupSize, 4);
    assert.equal(info.backend, null);
    assert.equal(
      info.host,
      'fixture-host',
      'the sink names its host, so the studio checks its pid only there',
    );
    assert.ok(info.baseAccuracy !== null && Math.abs(info.baseAccuracy - 1 / 3) < 1e-12);
  });

  it('has one metrics record per step, with the Beta fit of every rule', () => {
    const metrics = read(RUN_FILES.metrics, MetricsRecordSchema);
    assert.deepEqual(
      metrics.map((m) => m.step),
      [1, 2, 3, 4],
    );
    const walls = metrics.map((m) => m.wall);
    assert.deepEqual(
      walls,
      [...walls].sort((a, b) => a - b),
    );
    for (const m of metrics) assert.deepEqual(Object.keys(m.beta).sort(), ['accuracy', 'format']);
    // Step 2: every group's accuracy p̂ is 0.25, so v = 0 and the zero-variance guard replaced the fit.
    assert.deepEqual(metrics[1]?.beta.accuracy, {
      a: null,
      b: null,
      alpha: 1,
      beta: 1,
      guard: 'zeroVariance',
    });
    assert.equal(metrics[2]?.skipped, true);
    assert.equal(metrics[2]?.gradNorm, null);
  });

  it('has the p̂ of every prompt group, keyed by the dataset index', () => {
    const groups = read(RUN_FILES.groups, GroupsRecordSchema);
    assert.equal(groups.length, 4);
    assert.deepEqual(
      groups[0]?.groups.map((g) => g.id),
      ['11', '12', '13'],
    );
    assert.deepEqual(groups[0]?.groups[2]?.pHat, { accuracy: 1, format: 1 });
  });

  it('has sampled completions whose advantages sum to zero per group', () => {
    const samples = read(RUN_FILES.samples, SamplesRecordSchema);
    assert.equal(samples.length, 4);
    for (const s of samples) {
      const sum = s.completions.reduce((acc, c) => acc + c.advantage, 0);
      assert.ok(Math.abs(sum) < 1e-9, `step ${s.step}, prompt ${s.promptId}: advantages sum to ${sum}`);
      for (const c of s.completions) assert.deepEqual(Object.keys(c.rewards).sort(), ['accuracy', 'format']);
    }
  });

  it('has the base and final evaluations', () => {
    const evals = read(RUN_FILES.eval, EvalRecordSchema);
    assert.deepEqual(
      evals.map((e) => [e.step, e.phase]),
      [
        [0, 'base'],
        [4, 'final'],
      ],
    );
  });
});

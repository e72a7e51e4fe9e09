import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseJsonl } from '../../src/protocol/jsonl';
import { MetricsRecordSchema } from '../../src/protocol/runDir';
import {
  RunConfigSchema,
  TASK_NAMES,
  formatConfigIssues,
  runConfigJsonSchema,
} from '../../src/protocol/runConfig';
import { readConfigFile } from '../../src/cli/train';
import { UsageError } from '../../src/cli/usage';
import { Rng } from '../../src/trainer/rng';
import {
  builtinTask,
  countdownSolutions,
  datasetTask,
  DatasetError,
  readDataset,
} from '../../src/trainer/tasks';
import { loadTask } from '../../src/trainer/trainer';

function tmpFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-tasks-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('built-in tasks', () => {
  for (const name of TASK_NAMES) {
    it(`${name}: demonstrations earn every default reward, a wrong answer does not, splits are disjoint`, async () => {
      const loaded = await loadTask(RunConfigSchema.parse({ task: name }), process.cwd());
      const { task, rules, accuracyRule } = loaded;
      assert.equal(accuracyRule, 'correct');
      assert.deepEqual([...rules.names], ['correct', 'well_formed']);
      const rng = new Rng(1);
      const held = new Set(task.heldOut.map((e) => e.prompt));
      assert.ok(task.heldOut.length >= 200);
      for (let i = 0; i < 200; i++) {
        const e = task.nextTrain(rng);
        assert.ok(!held.has(e.prompt), `${e.prompt} is in both splits`);
        assert.ok(e.prompt.length <= task.maxPrompt);
        assert.ok(e.target.length < task.maxNew, `${e.target} does not fit ${task.maxNew - 1} tokens`);
        task.tokenizer.encode(e.prompt + e.target);
        const outcomes = rules.evaluate(e.target, e.sample);
        assert.deepEqual(
          outcomes.map((o) => o.reward),
          [1, 1],
          `${e.prompt}${e.target}: ${JSON.stringify(outcomes)}`,
        );
        assert.equal(rules.evaluate(`${e.target}9`, e.sample)[0]!.reward, 0, `${e.prompt}${e.target}9`);
      }
    });
  }

  it('addition answers are sums', () => {
    const task = builtinTask('addition', 2);
    const e = task.nextTrain(new Rng(2));
    const [a, b] = e.prompt.slice(0, -1).split('+').map(Number);
    assert.equal(e.target, String(a! + b!));
  });

  it('countdown lists every expression that reaches the target', () => {
    assert.deepEqual(countdownSolutions([2, 3, 4], 10), [
      '2*3+4',
      '3*2+4',
      '3*4-2',
      '4*3-2',
      '4+2*3',
      '4+3*2',
    ]);
    assert.deepEqual(countdownSolutions([1, 1, 1], 9), []);
  });
});

describe('datasets', () => {
  it('reads prompt/answer lines and keeps optional fields for the rules', () => {
    const file = tmpFile(
      'd.jsonl',
      '{"prompt":"2+2=","answer":"4","topic":"sum"}\n\n{"prompt":"3+3=","answer":6}\n',
    );
    const rows = readDataset(file);
    assert.equal(rows.length, 2);
    assert.equal(rows[0]!.sample.topic, 'sum');
    assert.equal(rows[1]!.target, '6');
  });

  it('reports every bad line with file and line number', () => {
    const file = tmpFile(
      'bad.jsonl',
      [
        '{"prompt":"a","answer":"b"}',
        '{"prompt":"a"',
        '{"answer":"b"}',
        '[1]',
        '{"prompt":"x","answer":true}',
      ].join('\n'),
    );
    assert.throws(
      () => readDataset(file),
      (err: unknown) => {
        assert.ok(err instanceof DatasetError);
        const lines = err.message.split('\n');
        assert.equal(lines.length, 4);
        assert.match(lines[0]!, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: not JSON`));
        assert.match(lines[1]!, /:3: field "prompt" must be a non-empty string/);
        assert.match(lines[2]!, /:4: expected an object/);
        assert.match(lines[3]!, /:5: field "answer" must be a string or a number/);
        return true;
      },
    );
  });

  it('builds a character vocabulary from the data and holds a share out', () => {
    const lines = Array.from({ length: 100 }, (_, i) =>
      JSON.stringify({ prompt: `q${i}?`, answer: `é${i}` }),
    );
    const file = tmpFile('v.jsonl', lines.join('\n'));
    const task = datasetTask({ train: file, heldOutFraction: 0.2 }, path.dirname(file));
    assert.ok(task.tokenizer.vocab.includes('é'));
    assert.ok(task.heldOut.length > 5 && task.heldOut.length < 40, String(task.heldOut.length));
    const held = new Set(task.heldOut.map((e) => e.id));
    const rng = new Rng(1);
    for (let i = 0; i < 100; i++) assert.ok(!held.has(task.nextTrain(rng).id));
  });
});

describe('run configuration', () => {
  it('rejects G < 2 with a clear message', () => {
    const r = RunConfigSchema.safeParse({ groupSize: 1 });
    assert.equal(r.success, false);
    assert.deepEqual(formatConfigIssues(r.error), [
      'groupSize: groupSize (G) must be at least 2: an advantage compares completions of the same prompt',
    ]);
  });

  it('fills defaults and refuses unknown fields', () => {
    const c = RunConfigSchema.parse({});
    assert.equal(c.estimator, 'bnpo');
    assert.ok(c.groupSize >= 2);
    assert.equal(RunConfigSchema.safeParse({ groupsize: 4 }).success, false);
    assert.equal(RunConfigSchema.safeParse({ model: { dModel: 30, heads: 4 } }).success, false);
  });

  it('points at the line and column of a bad field in a config file', () => {
    const file = tmpFile('run.json', '{\n  // comment\n  "steps": 5,\n  "groupSize": 1\n}\n');
    assert.throws(
      () => readConfigFile(file),
      (err: unknown) =>
        err instanceof UsageError &&
        err.message ===
          `${file}:4:16: groupSize: groupSize (G) must be at least 2: an advantage compares completions of the same prompt`,
    );
  });

  it('has a JSON Schema with descriptions for the editor', () => {
    const schema = runConfigJsonSchema() as { properties: Record<string, { description?: string }> };
    assert.match(schema.properties.groupSize!.description ?? '', /completions sampled per prompt/);
  });
});

describe('JSONL reader', () => {
  it('leaves a torn last line unconsumed and reports a bad middle line with its number', () => {
    const good = (step: number) =>
      JSON.stringify({
        v: 1,
        step,
        time: 't',
        wall: 1,
        estimator: 'bnpo',
        rewards: { correct: 0.5 },
        reward: 0.5,
        accuracy: 0.5,
        loss: 0,
        clipFraction: 0,
        gradNorm: 1,
        entropy: 1,
        completionLength: 3,
        zeroVarianceShare: 0,
        beta: { correct: { a: null, b: null, alpha: 1, beta: 1, guard: 'zeroVariance' } },
        tokensPerSecond: 10,
        skipped: false,
        skippedSteps: 0,
        lr: 0.001,
        timings: { sampling: 1, scoring: 1, advantage: 1, update: 1 },
      });
    const text = `${good(1)}\n{"v":1,"step":\n${good(2)}\n${good(3).slice(0, 20)}`;
    const r = parseJsonl(text, MetricsRecordSchema, { file: 'metrics.jsonl' });
    assert.deepEqual(
      r.records.map((x) => x.step),
      [1, 2],
    );
    assert.deepEqual(r.lines, [1, 3]);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.line, 2);
    assert.equal(r.tornTail, true);
    assert.equal(r.consumed, text.lastIndexOf('\n') + 1);
    const rest = parseJsonl(text.slice(r.consumed) + good(3).slice(20) + '\n', MetricsRecordSchema, {
      file: 'metrics.jsonl',
      firstLine: 1 + r.lineCount,
    });
    assert.deepEqual(rest.lines, [4]);
    assert.equal(rest.records[0]!.step, 3);
  });
});

// Foreign names land on ours where they mean the same; `bnpo import` turns each fixture into records the schema
// accepts with the logged values; `bnpo export-tensorboard` of one of our runs imports back onto the same fields.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { detectForeignLog, findForeignLogs } from '../../src/interop/detect';
import { ImportedRunBuilder } from '../../src/interop/importedRun';
import { mapMetricName } from '../../src/interop/metricNames';
import { parseJsonl } from '../../src/protocol/jsonl';
import {
  IMPORTED_RUN_FILES,
  ImportedMetricsRecordSchema,
  ImportInfoSchema,
} from '../../src/protocol/importedRun';
import type { ImportedMetricsRecord } from '../../src/protocol/importedRun';
import { EvalRecordSchema, MetricsRecordSchema } from '../../src/protocol/runDir';
import { run as runImport } from '../../src/cli/import';
import { run as runExport } from '../../src/cli/exportTensorboard';
import { UsageError } from '../../src/cli/usage';
import { eventFile, expected, interopFixtures } from './interopFixtures';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bnpo-interop-import-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const ourRun = path.resolve(interopFixtures, '..', 'studio', 'sorting-demo-run');

function quietly<T>(fn: () => T): T {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  try {
    return fn();
  } finally {
    process.stdout.write = write;
  }
}

async function importTo(source: string, name: string): Promise<ImportedMetricsRecord[]> {
  const out = path.join(tmp, name);
  assert.equal(await quietly(() => runImport([source, '--out', out])), 0);
  const info = ImportInfoSchema.parse(
    JSON.parse(readFileSync(path.join(out, IMPORTED_RUN_FILES.info), 'utf8')),
  );
  const file = path.join(out, IMPORTED_RUN_FILES.scalars);
  const chunk = parseJsonl(readFileSync(file, 'utf8'), ImportedMetricsRecordSchema, { file });
  assert.deepEqual(chunk.problems, []);
  assert.equal(info.steps, chunk.records.length);
  return chunk.records;
}

describe('metric names', () => {
  it('maps TRL 1.16 and verl 0.9.1 names onto ours, with and without the train/ prefix', () => {
    const cases: Record<string, string> = {
      reward: 'reward',
      'train/reward': 'reward',
      'rewards/accuracy_reward/mean': 'rule:accuracy_reward',
      'train/rewards/format/mean': 'rule:format',
      frac_reward_zero_std: 'zeroVarianceShare',
      'completions/mean_length': 'completionLength',
      loss: 'loss',
      grad_norm: 'gradNorm',
      entropy: 'entropy',
      'clip_ratio/region_mean': 'clipFraction',
      learning_rate: 'lr',
      'critic/score/mean': 'reward',
      'actor/pg_loss': 'loss',
      'actor/grad_norm': 'gradNorm',
      'actor/entropy': 'entropy',
      'response_length/mean': 'completionLength',
      'actor/pg_clipfrac': 'clipFraction',
      'rewards/correct': 'rule:correct',
      'rewards/accuracy_reward/std': 'extra:rewards/accuracy_reward/std',
      'critic/rewards/mean': 'extra:critic/rewards/mean',
      'eval/accuracy': 'extra:eval/accuracy',
      'train/kl': 'extra:train/kl',
    };
    for (const [tag, want] of Object.entries(cases)) {
      const t = mapMetricName(tag);
      const got = t.kind === 'field' ? t.field : t.kind === 'rule' ? `rule:${t.rule}` : `extra:${t.name}`;
      assert.equal(got, want, tag);
    }
  });
});

describe('imported run records', () => {
  it('leave out values JSON cannot hold, and keep a re-logged step’s last value', () => {
    const builder = new ImportedRunBuilder();
    builder.add([
      { tag: 'loss', step: 3, value: NaN, wallTime: 10 },
      { tag: 'loss', step: 3, value: 2, wallTime: 11 },
      { tag: 'grad_norm', step: 3, value: Infinity, wallTime: 12 },
      { tag: 'loss', step: 3, value: 1.5, wallTime: 13 },
    ]);
    const records = builder.records();
    assert.deepEqual(records, [{ v: 1, step: 3, wall: 13, rewards: {}, extra: {}, loss: 1.5 }]);
    assert.ok(ImportedMetricsRecordSchema.safeParse(JSON.parse(JSON.stringify(records[0]))).success);
  });
});

describe('bnpo import', () => {
  it('detects each fixture as what wrote it, and skips our own run folders', () => {
    const kinds = findForeignLogs(interopFixtures).map((f) => [
      path.relative(interopFixtures, f.path),
      f.source,
    ]);
    assert.deepEqual(kinds.sort(), [
      ['tensorboard', 'tensorboard'],
      ['tensorboardx', 'tensorboard'],
      ['trl', 'trl'],
      [path.join('verl', 'bnpo_demo.jsonl'), 'verl'],
    ]);
    assert.equal(detectForeignLog(ourRun), undefined);
  });

  it("follows a TRL output folder's newest checkpoint-N/trainer_state.json as checkpoints appear", () => {
    const dir = path.join(tmp, 'trl-output');
    const state = JSON.parse(
      readFileSync(path.join(interopFixtures, 'trl', 'trainer_state.json'), 'utf8'),
    ) as {
      log_history: unknown[];
    };
    const save = (step: number, entries: number) => {
      mkdirSync(path.join(dir, `checkpoint-${step}`), { recursive: true });
      const partial = { ...state, log_history: state.log_history.slice(0, entries) };
      writeFileSync(path.join(dir, `checkpoint-${step}`, 'trainer_state.json'), JSON.stringify(partial));
    };
    save(2, 2);
    const follower = detectForeignLog(dir);
    assert.equal(follower?.source, 'trl');
    assert.deepEqual([...new Set(follower.poll().map((p) => p.step))], [1, 2]);
    save(10, 4); // a later save, whose number sorts before 2 as text
    assert.deepEqual([...new Set(follower.poll().map((p) => p.step))], [3, 4]);
    assert.deepEqual(follower.poll(), []);
  });

  it('puts TRL metrics on our fields and keeps the rest as extra (trainer_state.json)', async () => {
    const records = await importTo(path.join(interopFixtures, 'trl'), 'trl');
    assert.deepEqual(
      records.map((r) => r.step),
      [1, 2, 3, 4, 5],
    );
    for (const r of records) {
      const want = expected.trl[String(r.step)] ?? {};
      assert.equal(r.reward, want.reward);
      assert.deepEqual(r.rewards, { accuracy_reward: want['rewards/accuracy_reward/mean'] });
      assert.equal(r.zeroVarianceShare, want.frac_reward_zero_std);
      assert.equal(r.completionLength, want['completions/mean_length']);
      assert.equal(r.loss, want.loss);
      assert.equal(r.gradNorm, want.grad_norm);
      assert.equal(r.entropy, want.entropy);
      assert.equal(r.clipFraction, want['clip_ratio/region_mean']);
      assert.equal(r.lr, want.learning_rate);
      assert.equal(r.extra.kl, want.kl);
      assert.equal(r.accuracy, undefined, 'TRL logged no accuracy: none is made up');
    }
  });

  it('puts verl metrics on our fields (file-logger JSONL and TensorBoard tags alike)', async () => {
    for (const [source, name, round] of [
      [path.join(interopFixtures, 'verl', 'bnpo_demo.jsonl'), 'verl', (v: number) => v],
      [path.join(interopFixtures, 'tensorboard'), 'verl-tb', Math.fround],
    ] as const) {
      const records = await importTo(source, name);
      assert.equal(records.length, 5, name);
      for (const r of records) {
        const want = expected.verl[String(r.step)] ?? {};
        assert.equal(r.reward, round(want['critic/score/mean'] ?? NaN), name);
        assert.equal(r.loss, round(want['actor/pg_loss'] ?? NaN), name);
        assert.equal(r.gradNorm, round(want['actor/grad_norm'] ?? NaN), name);
        assert.equal(r.clipFraction, round(want['actor/pg_clipfrac'] ?? NaN), name);
        assert.equal(r.completionLength, round(want['response_length/mean'] ?? NaN), name);
        assert.equal(r.extra['critic/rewards/mean'], round(want['critic/rewards/mean'] ?? NaN), name);
      }
    }
  });

  it('refuses a folder with no foreign log, and a non-empty --out, in one line', () => {
    assert.throws(
      () => runImport([ourRun, '--out', path.join(tmp, 'x')]),
      (err: unknown) => err instanceof UsageError && /no TensorBoard event files/.test(err.message),
    );
    assert.throws(
      () => quietly(() => runImport([path.join(interopFixtures, 'trl'), '--out', ourRun])),
      (err: unknown) => err instanceof UsageError && /is not an imported run/.test(err.message),
    );
  });
});

describe('bnpo import and export-tensorboard (CLI)', () => {
  const root = path.resolve(interopFixtures, '..', '..', '..');
  before(() => execFileSync(process.execPath, ['esbuild.js'], { cwd: root, stdio: 'inherit' }));

  it('exit 2 with one line naming the file and record offset on a corrupt event file, no stack', () => {
    const dir = path.join(tmp, 'corrupt-tb');
    mkdirSync(dir);
    const source = eventFile('tensorboardx');
    const bytes = Buffer.from(readFileSync(source));
    bytes[9] = (bytes[9] ?? 0) ^ 1; // the first record's length checksum
    const file = path.join(dir, path.basename(source));
    writeFileSync(file, bytes);
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'dist', 'cli.js'), 'import', dir, '--out', path.join(tmp, 'c')],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      `bnpo import: ${file}: corrupt record at byte 0: length checksum does not match\n`,
    );
  });
});

describe('bnpo export-tensorboard', () => {
  it('exports our run so that importing it back gives the same values on the same fields', async () => {
    const out = path.join(tmp, 'exported');
    assert.equal(await quietly(() => runExport([ourRun, '--out', out])), 0);
    const back = new Map((await importTo(out, 'roundtrip')).map((r) => [r.step, r]));
    const file = path.join(ourRun, 'metrics.jsonl');
    const metrics = parseJsonl(readFileSync(file, 'utf8'), MetricsRecordSchema, { file }).records;
    assert.equal(metrics.length, 150);
    const evalFile = path.join(ourRun, 'eval.jsonl');
    const evals = parseJsonl(readFileSync(evalFile, 'utf8'), EvalRecordSchema, { file: evalFile }).records;
    const evalSteps = new Set(evals.map((e) => e.step));
    assert.equal(back.get(0)?.extra['eval/accuracy'], Math.fround(evals[0]?.accuracy ?? NaN));
    for (const m of metrics) {
      const r = back.get(m.step);
      assert.ok(r, `step ${m.step}`);
      assert.equal(r.reward, Math.fround(m.reward));
      assert.equal(r.entropy, Math.fround(m.entropy));
      assert.equal(r.loss, m.loss === null ? undefined : Math.fround(m.loss));
      assert.deepEqual(
        r.rewards,
        Object.fromEntries(Object.entries(m.rewards).map(([k, v]) => [k, Math.fround(v)])),
      );
      // an evaluation after the step is logged at the same step, later
      const wall = Date.parse(m.time) / 1000;
      if (evalSteps.has(m.step)) assert.ok((r.wall ?? 0) > wall);
      else assert.equal(r.wall, wall);
    }
  });
});

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { AuditItem } from '../../src/core/rules/auditRun';
import {
  auditSetup,
  auditStartOf,
  candidateFinder,
  opposedPairs,
  percentile,
  repeatRate,
  RunAudit,
} from '../../src/core/rules/auditRun';
import { compileRuleFile } from '../../src/core/rules/check';
import { AuditRecordSchema } from '../../src/protocol/audit';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { SamplesRecordSchema } from '../../src/protocol/runDir';
import { train } from '../../src/trainer/trainer';
import { registerGradientsForTests } from './trainerSetup';

const rules = compileRuleFile({
  rules: [
    { name: 'format', kind: 'format', tags: ['answer'] },
    { name: 'accuracy', kind: 'answer', extract: { type: 'lastNumber' } },
  ],
}).rules;
const setup = auditSetup(rules, 10, 'accuracy');

const item = (text: string, tokens: number, group: number, format: number, accuracy: number): AuditItem => ({
  text,
  tokens,
  group,
  rewards: { format, accuracy },
});

describe('run audit: definitions', () => {
  it('takes format and accuracy roles and the answer rules’ extractors from the rules', () => {
    assert.deepEqual(setup, {
      cap: 10,
      rules: ['format', 'accuracy'],
      formatRule: 'format',
      accuracyRule: 'accuracy',
      extractors: { accuracy: { type: 'lastNumber' } },
    });
  });

  it('counts word-trigram repeats, nearest-rank p95 and candidates', () => {
    assert.equal(repeatRate('a b c a b c a b c'), 1 - 3 / 7);
    assert.equal(repeatRate('one two'), 0);
    assert.equal(repeatRate('a b c d'), 0);
  });

  it('counts distinct n-grams exactly as joined word strings would, whatever the vocabulary size', () => {
    const naive = (text: string, n: number): number => {
      const words = text.split(/\s+/).filter((w) => w !== '');
      const count = words.length - n + 1;
      if (count <= 0) return 0;
      return 1 - new Set(words.map((_, i) => words.slice(i, i + n).join(' ')).slice(0, count)).size / count;
    };
    let seed = 7;
    const next = (m: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % m;
    const texts = [
      Array.from({ length: 400 }, () => `w${next(12)}`).join(' '),
      Array.from({ length: 400 }, () => `w${next(3)}`).join('\n  '),
      // more distinct words than packed ids hold: the string path
      Array.from({ length: 140_000 }, (_, i) => `w${i % 135_000}`).join(' '),
    ];
    for (const text of texts) for (const n of [1, 2, 3, 4]) assert.equal(repeatRate(text, n), naive(text, n));
    assert.equal(percentile([5, 1, 3, 2, 4], 0.95), 5);
    assert.equal(
      percentile(
        Array.from({ length: 20 }, (_, i) => i + 1),
        0.95,
      ),
      19,
    );
    assert.deepEqual(candidateFinder({ type: 'lastNumber' })('3 then 4, 1,234'), ['3', '4', '1,234']);
    assert.deepEqual(candidateFinder({ type: 'tag', tag: 'a' })('<a>1</a> <a>2</a>'), ['1', '2']);
    assert.deepEqual(candidateFinder({ type: 'boxed' })('\\boxed{1} \\boxed{\\frac{1}{2}}'), [
      '1',
      '\\frac{1}{2}',
    ]);
    assert.deepEqual(candidateFinder({ type: 'regex', pattern: 'x=(\\d)', flags: '', group: 1 })('x=1 x=2'), [
      '1',
      '2',
    ]);
  });

  it('lists rule pairs whose pass rates moved apart by at least 0.1 each', () => {
    const start = { a: 0.5, b: 0.5, c: 0.5 };
    assert.deepEqual(opposedPairs(['a', 'b', 'c'], { a: 0.8, b: 0.2, c: 0.45 }, start), [
      { a: 'a', b: 'b', deltaA: 0.30000000000000004, deltaB: -0.3 },
    ]);
  });

  it('computes one step’s figures and flags by hand', () => {
    const audit = new RunAudit(setup);
    const first = audit.observe(1, [
      item('<answer>1</answer>', 4, 0, 1, 1),
      item('<answer>2</answer>', 4, 0, 1, 0),
      item('x', 2, 1, 0, 0),
      item('y', 2, 1, 0, 0),
    ]);
    assert.deepEqual(first.record.length, { mean: 3, p95: 4, atCap: 0, meanDrift: 1, p95Drift: 1 });
    assert.equal(first.record.formatNotAccuracy, 0.25);
    assert.deepEqual(first.flags, [[], [], [], []]);
    const second = audit.observe(2, [
      item('<answer>1 2 3</answer>', 10, 0, 1, 1), // at the cap; three numbers, rewarded
      item('<answer>1 2 3</answer>', 10, 0, 1, 1), // the same again in its group
      item('go go go go go go', 5, 1, 0, 0), // repetitive
      item('go go go go go go', 3, 2, 0, 0), // same text, another group: not a duplicate
    ]);
    const r = second.record;
    assert.deepEqual(r.length, { mean: 7, p95: 10, atCap: 0.5, meanDrift: 7 / 3, p95Drift: 2.5 });
    assert.equal(r.duplicateShare, 0.25);
    assert.equal(r.duplicateFailingShare, 0, 'the repeat is a right answer');
    assert.equal(r.repeatRate, (0 + 0 + 0.75 + 0.75) / 4);
    assert.deepEqual(r.passRates, { format: 0.5, accuracy: 0.5 });
    assert.equal(r.formatNotAccuracy, 0);
    assert.deepEqual(r.opposed, []);
    assert.deepEqual(r.multipleCandidates, { accuracy: 0.5 });
    assert.deepEqual(second.flags, [
      ['atCap', 'multipleCandidates'],
      ['atCap', 'duplicate', 'multipleCandidates'],
      ['repetitive'],
      ['repetitive'],
    ]);
    assert.equal(r.flagged, 4);
    AuditRecordSchema.parse({ v: 1, ...r });
  });

  it('counts as at the cap only completions cut off there, when the sampler says which', () => {
    const audit = new RunAudit(setup);
    const at = (tokens: number, truncated?: boolean): AuditItem => ({
      ...item('1', tokens, 0, 0, 0),
      ...(truncated === undefined ? {} : { truncated }),
    });
    // 10 tokens ending with the end token (the cap is 10): not cut off; 10 without it: cut off; unknown: by length
    const { record, flags } = audit.observe(1, [at(10, false), at(10, true), at(10), at(4)]);
    assert.equal(record.length.atCap, 0.5);
    assert.deepEqual(
      flags.map((f) => f.includes('atCap')),
      [false, true, true, false],
    );
  });

  it('measures the format-without-accuracy share against the start: falling while learning, rising when gamed', () => {
    // the start: format learned, accuracy not yet (3 of 4 pass format only)
    const start = [
      item('a', 2, 0, 1, 0),
      item('b', 2, 0, 1, 0),
      item('c', 2, 1, 1, 0),
      item('d', 2, 1, 1, 1),
    ];
    const learning = new RunAudit(setup);
    assert.equal(learning.observe(1, start).record.formatNotAccuracyRise, 0);
    const better = [
      item('a', 2, 0, 1, 1),
      item('b', 2, 0, 1, 1),
      item('c', 2, 1, 1, 0),
      item('d', 2, 1, 1, 1),
    ];
    assert.equal(learning.observe(2, better).record.formatNotAccuracyRise, 0.25 - 0.75);
    const gamed = new RunAudit(setup);
    gamed.observe(1, [
      item('a', 2, 0, 0, 0),
      item('b', 2, 0, 0, 1),
      item('c', 2, 1, 1, 1),
      item('d', 2, 1, 0, 0),
    ]);
    const empty = [item('', 2, 0, 1, 0), item('', 2, 0, 1, 0), item('', 2, 1, 1, 0), item('d', 2, 1, 1, 1)];
    assert.equal(gamed.observe(2, empty).record.formatNotAccuracyRise, 0.75);
    const wrongAgain = gamed.observe(3, [...empty, item('', 2, 1, 1, 0)]).record;
    assert.equal(wrongAgain.duplicateShare, 2 / 5);
    assert.equal(wrongAgain.duplicateFailingShare, 2 / 5, 'the empty answers are wrong');
    const noFormat = new RunAudit(auditSetup({ ...rules, rules: rules.rules.slice(1) }, 10, 'accuracy'));
    assert.equal(noFormat.observe(1, start).record.formatNotAccuracyRise, null);
  });
});

describe('run audit: the trainer writes it', () => {
  before(() => registerGradientsForTests());

  it('writes one audit.jsonl record per step and flags in samples.jsonl', async () => {
    const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-audit-'));
    const config = RunConfigSchema.parse({
      task: 'sorting',
      digits: 3,
      steps: 4,
      promptsPerStep: 3,
      groupSize: 4,
      model: { dModel: 16, layers: 1, heads: 2, mlpRatio: 2 },
      sft: { maxSteps: 0, batchSize: 8, evalEvery: 2, targetAccuracy: 0.9 },
      eval: { every: 10, size: 4, temperature: 0.6 },
      sampleEvery: 1,
      checkpointEvery: 10,
      seed: 3,
      backend: 'cpu',
    });
    const r = await train({
      config,
      configFile: null,
      baseDir: path.resolve(__dirname, '..', '..', '..'),
      runsDir,
    });
    assert.equal(r.status, 'completed', r.error ?? '');
    const dir = path.join(runsDir, fs.readdirSync(runsDir)[0]!);
    const lines = (file: string): unknown[] =>
      fs
        .readFileSync(path.join(dir, file), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown);
    const audits = lines('audit.jsonl').map((l) => AuditRecordSchema.parse(l));
    assert.deepEqual(
      audits.map((a) => [a.step, a.completions]),
      [1, 2, 3, 4].map((s) => [s, 12]),
    );
    assert.equal(audits[0]?.length.meanDrift, 1);
    const samples = lines('samples.jsonl').map((l) => SamplesRecordSchema.parse(l));
    // every completion says whether it was cut off: exactly those without the end token (at the cap)
    const completions = samples.flatMap((s) => s.completions);
    assert.ok(completions.every((c) => typeof c.truncated === 'boolean'));
    assert.ok(completions.filter((c) => c.truncated).every((c) => c.tokens === 6));
    assert.ok(completions.filter((c) => c.tokens < 6).every((c) => c.truncated === false));
    assert.ok(completions.some((c) => c.truncated));
    for (const a of audits) {
      const flagged = samples
        .filter((s) => s.step === a.step)
        .flatMap((s) => s.completions)
        .filter((c) => (c.flags?.length ?? 0) > 0).length;
      assert.equal(flagged, a.flagged, `step ${a.step}`);
    }
  });
});

describe('run audit: resuming', () => {
  it('measures drift from the start a first record holds', () => {
    const batch = [item('a b', 6, 0, 1, 0), item('c d', 6, 0, 0, 1)];
    const fresh = new RunAudit(setup);
    const first = fresh.observe(1, [item('a', 3, 0, 0, 0), item('b', 3, 0, 0, 0)]).record;
    const continued = fresh.observe(2, batch).record;
    const resumed = new RunAudit(setup, auditStartOf(first)).observe(2, batch).record;
    assert.deepEqual(resumed, continued);
    assert.equal(resumed.length.meanDrift, 2);
    assert.deepEqual(new RunAudit(setup).observe(2, batch).record.length.meanDrift, 1);
  });
});

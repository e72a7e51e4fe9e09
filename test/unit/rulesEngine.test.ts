import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RuleOutcome } from '../../src/core/rules/engine';
import { countChars, countTokens, RulesError, weightedSum } from '../../src/core/rules/engine';
import { compileRuleFile as compileRules } from '../../src/core/rules/check';
import type { RewardRulesInput } from '../../src/core/rules/schema';

type RuleIn = RewardRulesInput['rules'][number];

function one(rule: RuleIn, completion: string, sample: Record<string, unknown> = {}): RuleOutcome {
  const c = compileRules({ rules: [rule] });
  const [o] = c.evaluate(completion, sample);
  assert.ok(o);
  return o;
}

describe('answer rules', () => {
  it('exact compare after normalisation, with the extraction in the reason', () => {
    const rule: RuleIn = { name: 'acc', kind: 'answer', extract: { type: 'tag' } };
    const ok = one(rule, '<answer> Paris. </answer>', { answer: 'Paris' });
    assert.equal(ok.reward, 1);
    assert.match(ok.reason, /<answer> gave "Paris", as expected/);
    const bad = one(rule, '<answer>Lyon</answer>', { answer: 'Paris' });
    assert.equal(bad.reward, 0);
    assert.equal(bad.reason, '<answer> gave "Lyon", expected "Paris"');
    const none = one(rule, 'no tags', { answer: 'Paris' });
    assert.equal(none.reward, 0);
    assert.equal(none.reason, 'no <answer> answer found');
  });

  it('case-insensitive only when asked', () => {
    const rule: RuleIn = { name: 'acc', kind: 'answer', extract: { type: 'tag' } };
    assert.equal(one(rule, '<answer>paris</answer>', { answer: 'Paris' }).reward, 0);
    const ci: RuleIn = { ...rule, normalize: { caseInsensitive: true } };
    assert.equal(one(ci, '<answer>paris</answer>', { answer: 'Paris' }).reward, 1);
  });

  it('numeric compare with absolute and relative tolerance, fractions and commas', () => {
    const rule: RuleIn = { name: 'n', kind: 'answer', extract: { type: 'lastNumber' }, compare: 'numeric' };
    assert.equal(one(rule, 'so 1,234', { answer: 1234 }).reward, 1);
    assert.equal(one(rule, 'it is 0.5', { answer: '1/2' }).reward, 1);
    assert.equal(one(rule, 'it is 0.5000001', { answer: '0.5' }).reward, 1, 'default tolerance 1e-6');
    assert.equal(one(rule, 'it is 0.51', { answer: '0.5' }).reward, 0);
    assert.equal(one({ ...rule, tolerance: 0.02 }, 'it is 0.51', { answer: '0.5' }).reward, 1);
    assert.equal(one({ ...rule, relativeTolerance: 0.01 }, 'about 1005', { answer: 1000 }).reward, 1);
    assert.equal(one({ ...rule, relativeTolerance: 0.001 }, 'about 1005', { answer: 1000 }).reward, 0);
    const boxed: RuleIn = { name: 'b', kind: 'answer', extract: { type: 'boxed' }, compare: 'numeric' };
    const frac = one(boxed, '\\boxed{\\frac{3}{4}}', { answer: '0.75' });
    assert.equal(frac.reward, 1);
    const word = one(boxed, '\\boxed{three}', { answer: '3' });
    assert.equal(word.reward, 0);
    assert.equal(word.reason, '\\boxed{} gave "three", not a number');
  });

  it('oneOf accepts any listed value; exact refuses a list field', () => {
    const rule: RuleIn = {
      name: 'o',
      kind: 'answer',
      extract: { type: 'tag' },
      compare: 'oneOf',
      field: 'accepted',
    };
    assert.equal(one(rule, '<answer>NYC</answer>', { accepted: ['New York', 'NYC'] }).reward, 1);
    const miss = one(rule, '<answer>LA</answer>', { accepted: ['New York', 'NYC'] });
    assert.equal(miss.reward, 0);
    assert.match(miss.reason, /expected one of "New York", "NYC"/);
    const exact = one({ ...rule, compare: 'exact' }, '<answer>NYC</answer>', { accepted: ['NYC'] });
    assert.equal(exact.reward, 0);
    assert.match(exact.error ?? '', /holds a list: use "compare": "oneOf"/);
  });

  it('regex extractor reads a capture group', () => {
    const rule: RuleIn = {
      name: 'r',
      kind: 'answer',
      extract: { type: 'regex', pattern: 'final answer is (\\S+)', flags: 'i' },
    };
    assert.equal(one(rule, 'The Final Answer is 12', { answer: '12' }).reward, 1);
  });

  it('a missing sample field is an error, scored 0 and counted, and the run goes on', () => {
    const c = compileRules({ rules: [{ name: 'acc', kind: 'answer', extract: { type: 'lastNumber' } }] });
    const [o] = c.evaluate('42', { solution: '42' });
    assert.deepEqual(o, {
      name: 'acc',
      reward: 0,
      reason: "error: sample has no field 'answer'",
      error: "sample has no field 'answer'",
    });
    c.evaluate('42', {});
    assert.equal(c.evaluate('42', { answer: 42 })[0]?.reward, 1);
    assert.deepEqual(c.errorCounts(), { acc: 2 });
  });
});

describe('format rules', () => {
  const r1: RuleIn = { name: 'fmt', kind: 'format', tags: ['think', 'answer'], allowTextOutside: false };
  it('passes the R1 format', () => {
    const o = one(r1, '<think>\nreason\n</think>\n<answer>4</answer>\n');
    assert.deepEqual([o.reward, o.reason], [1, 'has <think> then <answer>']);
  });
  it('reports what is wrong', () => {
    assert.equal(one(r1, '<think>x</think>').reason, 'missing <answer>');
    assert.equal(one(r1, '<think>x</think><answer>4').reason, 'missing </answer>');
    assert.equal(
      one(r1, '<answer>4</answer><think>x</think>').reason,
      '<answer> opens before </think> closes',
    );
    assert.equal(
      one(r1, '<think>a</think><think>b</think><answer>4</answer>').reason,
      '<think> appears 2 times, expected once',
    );
    assert.equal(
      one(r1, 'Sure! <think>a</think><answer>4</answer>').reason,
      'text outside the tags: "Sure!"',
    );
    assert.equal(one(r1, '<think>a</think>so<answer>4</answer>').reason, 'text outside the tags: "so"');
    assert.equal(one(r1, '<think>a</think><answer>4</answer> bye').reason, 'text after </answer>: "bye"');
  });
  it('order, exactlyOnce and allowTextOutside can be relaxed', () => {
    const loose: RuleIn = {
      name: 'f',
      kind: 'format',
      tags: ['think', 'answer'],
      order: false,
      exactlyOnce: false,
    };
    assert.equal(one(loose, 'hi <answer>4</answer> <think>x</think><think>y</think>').reward, 1);
    assert.equal(one(loose, '<answer>4</answer><think>x</think><think>y').reward, 0);
  });
  it('a full-match pattern must match the whole completion', () => {
    const rule: RuleIn = { name: 'p', kind: 'format', pattern: 'Answer: \\d+', flags: '' };
    assert.equal(one(rule, 'Answer: 12').reward, 1);
    const o = one(rule, 'Answer: 12 ok');
    assert.deepEqual([o.reward, o.reason], [0, 'does not fully match the format pattern']);
  });
});

describe('regex rules', () => {
  it('mustMatch and mustNotMatch show the match', () => {
    const must: RuleIn = { name: 'cite', kind: 'regex', pattern: '\\[\\d+\\]' };
    assert.deepEqual(Object.values(one(must, 'see [3] here')).slice(1), [1, 'found "[3]"']);
    assert.deepEqual(Object.values(one(must, 'none')).slice(1), [0, 'pattern not found']);
    const not: RuleIn = { name: 'nochinese', kind: 'regex', pattern: '\\p{Han}', mode: 'mustNotMatch' };
    assert.deepEqual(Object.values(one(not, 'plain')).slice(1), [1, 'no forbidden match']);
    assert.deepEqual(Object.values(one(not, 'mixed 中文')).slice(1), [0, 'forbidden match "中"']);
  });
});

describe('length rules', () => {
  it('counts tokens as whitespace-separated words and chars as code points', () => {
    assert.equal(countTokens('  one two\tthree\nfour  '), 4);
    assert.equal(countTokens(''), 0);
    assert.equal(countChars('a😀b'), 3);
    const rule: RuleIn = { name: 'len', kind: 'length', unit: 'tokens', min: 2, max: 3 };
    assert.deepEqual(Object.values(one(rule, 'one')).slice(1), [0, '1 token < min 2']);
    assert.deepEqual(Object.values(one(rule, 'one two')).slice(1), [1, '2 tokens']);
    assert.deepEqual(Object.values(one(rule, 'a b c d')).slice(1), [0, '4 tokens > max 3']);
    const chars: RuleIn = { name: 'c', kind: 'length', max: 3 };
    assert.equal(one(chars, 'a😀b').reward, 1);
    assert.equal(one(chars, 'abcd').reward, 0);
  });
});

describe('combinators', () => {
  const file: RewardRulesInput = {
    rules: [
      { name: 'hasAnswer', kind: 'format', tags: ['answer'], reward: false },
      { name: 'short', kind: 'length', unit: 'tokens', max: 5, reward: false },
      { name: 'both', kind: 'all', rules: ['hasAnswer', 'short'], weight: 2 },
      { name: 'either', kind: 'any', rules: ['hasAnswer', 'short'] },
      { name: 'long', kind: 'not', rule: 'short' },
    ],
  };
  const c = compileRules(file);
  it('only reward rules are components; helpers are evaluated for combinators', () => {
    assert.deepEqual(c.names, ['both', 'either', 'long']);
    assert.deepEqual(c.allNames, ['hasAnswer', 'short', 'both', 'either', 'long']);
    assert.deepEqual(c.weights, { both: 2, either: 1, long: 1 });
  });
  it('all / any / not', () => {
    const outcome = (text: string): [string, number, string][] =>
      c.evaluate(text, {}).map((o) => [o.name, o.reward, o.reason]);
    assert.deepEqual(outcome('<answer>1</answer>'), [
      ['both', 1, 'all of hasAnswer, short passed'],
      ['either', 1, 'hasAnswer passed'],
      ['long', 0, 'short passed: 1 token'],
    ]);
    assert.deepEqual(outcome('a b c d e f g'), [
      ['both', 0, 'failed: hasAnswer (missing <answer>); short (7 tokens > max 5)'],
      ['either', 0, 'none passed: hasAnswer (missing <answer>); short (7 tokens > max 5)'],
      ['long', 1, 'short failed'],
    ]);
    const all = c.evaluateAll('<answer>1</answer>', {});
    assert.equal(all.length, 5);
    assert.equal(weightedSum(c.evaluate('<answer>1</answer>', {}), c.weights), 3);
  });
});

describe('compile errors', () => {
  it('throws RulesError naming each problem by path', () => {
    assert.throws(
      () =>
        compileRules({
          rules: [
            { name: 'a', kind: 'regex', pattern: '(?=x)' },
            { name: 'a', kind: 'all', rules: ['b'] },
          ],
        }),
      (err: unknown) => {
        assert.ok(err instanceof RulesError);
        assert.deepEqual(
          err.issues.map((i) => i.path.join('.')),
          ['rules.1.name', 'rules.0.pattern', 'rules.1.rules.0'],
        );
        assert.match(err.message, /^rules\[1\]\.name: duplicate rule name 'a'/);
        return true;
      },
    );
  });
  it('detects combinator cycles', () => {
    assert.throws(
      () =>
        compileRules({
          rules: [
            { name: 'x', kind: 'all', rules: ['y'] },
            { name: 'y', kind: 'any', rules: ['z'] },
            { name: 'z', kind: 'not', rule: 'x' },
          ],
        }),
      /combinator cycle: x → y → z → x/,
    );
  });
  it('refuses schema violations', () => {
    assert.throws(() => compileRules({ rules: [{ name: 'n', kind: 'length', max: -1 }] }), /rules\[0\]\.max/);
  });
});

// Bounds on scoring: combinator reasons stay small on any rule graph, big patterns are refused or warned about,
// and each completion's scoring has a size, work and time budget. Behaviour only: the timings are in
// test/bench/rules.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScoringBudget } from '../../src/core/rules/budget';
import { defaultScoringBudget } from '../../src/core/rules/budget';
import { compileRules, maxReasonChars, maxReasonDepth } from '../../src/core/rules/engine';
import { extractBoxed } from '../../src/core/rules/extract';
import type { RewardRulesInput } from '../../src/core/rules/schema';
import { rewardRulesSchema } from '../../src/core/rules/schema';
import { checkRulesText } from '../../src/core/rules/check';

type RuleIn = RewardRulesInput['rules'][number];

/** A clock that stands still unless a test drives it: a loaded machine must not trip the time budget. */
function compile(rules: RuleIn[], budget?: Partial<ScoringBudget>, now: () => number = () => 0) {
  const parsed = rewardRulesSchema.parse({ rules });
  return compileRules(parsed, { budget: { ...defaultScoringBudget, ...budget }, now });
}

/** Level k has two rules that both name both rules of level k-1: every level doubles the paths to the base. */
function diamond(depth: number): RuleIn[] {
  const rules: RuleIn[] = [
    { name: 'a0', kind: 'regex', pattern: 'never-there', reward: false },
    { name: 'b0', kind: 'length', max: 1, reward: false },
  ];
  for (let k = 1; k <= depth; k++) {
    const below = [`a${k - 1}`, `b${k - 1}`];
    rules.push({ name: `a${k}`, kind: 'any', rules: below, reward: k === depth });
    rules.push({ name: `b${k}`, kind: 'all', rules: below, reward: false });
  }
  return rules;
}

describe('combinator reasons are bounded', () => {
  it('a diamond 30 levels deep scores without error and every reason stays short', () => {
    const c = compile(diamond(30));
    const outcomes = c.evaluateAll('a completion of several words', {});
    assert.equal(outcomes.length, 62);
    for (const o of outcomes) {
      assert.equal(o.error, undefined, `${o.name}: ${o.error ?? ''}`);
      assert.equal(o.reward, 0);
      assert.ok(o.reason.length <= maxReasonChars, `${o.name}: ${o.reason.length} characters`);
    }
    const top = outcomes.find((o) => o.name === 'a30');
    assert.ok(top);
    // the nested reasons stop after maxReasonDepth levels: the deeper rules are named, not explained
    assert.equal(
      top.reason,
      'none passed: a29 (none passed: a28 (none passed: a27; b27); b28 (failed: a27; b27)); ' +
        'b29 (failed: a28 (none passed: a27; b27); b28 (failed: a27; b27))',
    );
    assert.equal(maxReasonDepth, 3);
  });

  it('rules that fail for the same reason share one mention of it', () => {
    const c = compile([
      { name: 'base', kind: 'regex', pattern: 'never-there', reward: false },
      { name: 'x', kind: 'all', rules: ['base'], reward: false },
      { name: 'y', kind: 'all', rules: ['base', 'base'], reward: false },
      { name: 'top', kind: 'any', rules: ['x', 'y', 'x'] },
    ]);
    assert.deepEqual(
      c.evaluate('text', {}).map((o) => o.reason),
      ['none passed: x, y (failed: base (pattern not found))'],
    );
  });

  it('a chain of combinators explains the nearest levels and names the rest', () => {
    const rules: RuleIn[] = [{ name: 'c0', kind: 'length', min: 100, reward: false }];
    for (let k = 1; k <= 10; k++)
      rules.push({ name: `c${k}`, kind: 'all', rules: [`c${k - 1}`], reward: k === 10 });
    rules.push({ name: 'notTop', kind: 'not', rule: 'c10' });
    const outcomes = compile(rules).evaluate('short', {});
    assert.deepEqual(
      outcomes.map((o) => [o.name, o.reward, o.reason]),
      [
        ['c10', 0, 'failed: c9 (failed: c8 (failed: c7))'],
        ['notTop', 1, 'c10 failed'],
      ],
    );
    const c3 = compile(rules)
      .evaluateAll('short', {})
      .find((o) => o.name === 'c3');
    assert.equal(c3?.reason, 'failed: c2 (failed: c1 (failed: c0 (5 characters < min 100)))');
  });
});

describe('pattern size', () => {
  const check = (pattern: string) =>
    checkRulesText(JSON.stringify({ rules: [{ name: 'r', kind: 'regex', pattern }] })).diagnostics.filter(
      (d) => d.code === 'regex-size',
    );
  it('a typical pattern passes, a large counted repetition is warned about, a huge one refused', () => {
    assert.deepEqual(check('<think>.*</think>\\s*<answer>.*</answer>'), []);
    const [warned] = check('(?:[a-z]+\\s){1000}');
    assert.equal(warned?.severity, 'warning');
    assert.match(
      warned.message,
      /compiles to 3,002 instructions: completions over 1,331 characters will score 0/,
    );
    const [refused] = check('(?:ab|cd){1000}');
    assert.equal(refused?.severity, 'error');
    assert.match(refused.message, /too large to score completions of even 1,000 characters/);
  });
});

describe('scoring budget', () => {
  it('a pattern whose work exceeds the budget scores 0 with the reason, without running', () => {
    const c = compile([{ name: 'words', kind: 'regex', pattern: '(?:[a-z]+\\s){1000}' }]);
    const words = 'a '.repeat(1000);
    assert.equal(
      c.evaluate(words, {})[0]?.reward,
      0,
      '3,002 instructions × 2,000 characters is over 4,000,000',
    );
    const roomier = compile([{ name: 'words', kind: 'regex', pattern: '(?:[a-z]+\\s){1000}' }], {
      maxRegexWork: 10_000_000,
    });
    assert.equal(roomier.evaluate(words, {})[0]?.reward, 1, 'within its budget the pattern is run');
    assert.equal(roomier.evaluate('a '.repeat(999), {})[0]?.reward, 0);
    const [long] = c.evaluate('ab '.repeat(7000), {});
    assert.equal(long?.reward, 0);
    assert.equal(long.error, undefined, 'a spent budget is not an error of the rule');
    assert.match(
      long.reason,
      /^over the scoring budget: the pattern's 3,002 instructions × 21,000 characters/,
    );
  });

  it('every place a pattern runs is budgeted: format, regex extractor', () => {
    const pattern = '(?:[a-z]+\\s){1000}';
    const text = 'ab '.repeat(7000);
    const c = compile(
      [
        { name: 'f', kind: 'format', pattern },
        { name: 'x', kind: 'answer', extract: { type: 'regex', pattern: `(${pattern})` } },
      ],
      {},
    );
    for (const o of c.evaluate(text, { answer: 'a' })) {
      assert.equal(o.reward, 0);
      assert.match(o.reason, /^over the scoring budget/, o.name);
    }
  });

  it('a completion over the size budget scores 0 on every rule, `not` included', () => {
    const c = compile(
      [
        { name: 'len', kind: 'length', max: 5, reward: false },
        { name: 'notLong', kind: 'not', rule: 'len' },
        { name: 'hasX', kind: 'regex', pattern: 'x' },
      ],
      { maxCompletionChars: 100 },
    );
    assert.deepEqual(
      c.evaluate('x'.repeat(100), {}).map((o) => o.reward),
      [1, 1],
    );
    const over = c.evaluate('x'.repeat(101), {});
    assert.deepEqual(
      over.map((o) => [o.name, o.reward, o.reason]),
      [
        ['notLong', 0, 'over the scoring budget: the completion has 101 characters, more than 100'],
        ['hasX', 0, 'over the scoring budget: the completion has 101 characters, more than 100'],
      ],
    );
  });

  it('once the time budget is spent, the rule that spent it and every later one score 0', () => {
    const times = [0, 0, 10, 10, 60, 60];
    const c = compile(
      [
        { name: 'first', kind: 'length', max: 100 },
        { name: 'slow', kind: 'regex', pattern: 'a' },
        { name: 'later', kind: 'length', max: 100 },
      ],
      { timeMs: 50 },
      () => times.shift() ?? 60,
    );
    const outcomes = c.evaluate('a', {});
    assert.deepEqual(
      outcomes.map((o) => o.reward),
      [1, 0, 0],
    );
    const spent = 'over the scoring budget: scoring this completion took 60 ms, more than 50 ms';
    assert.deepEqual(
      outcomes.map((o) => o.reason),
      ['1 character', spent, spent],
    );
    let clock = 0;
    const fresh = compile([{ name: 'one', kind: 'length', max: 100 }], { timeMs: 50 }, () => (clock += 20));
    assert.equal(fresh.evaluate('a', {})[0]?.reward, 1);
    assert.equal(fresh.evaluate('a', {})[0]?.reward, 1, 'the budget is per completion, not per run');
    assert.ok(clock > 50);
  });
});

/** The scanner this project used before: correct, but quadratic on many unbalanced boxes. */
function boxedReference(text: string): string | null {
  let from = text.length;
  while (from > 0) {
    const boxed = text.lastIndexOf('\\boxed', from - 1);
    const fbox = text.lastIndexOf('\\fbox', from - 1);
    const at = Math.max(boxed, fbox);
    if (at < 0) return null;
    let i = at + (at === boxed ? 6 : 5);
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
    if (text[i] === '{') {
      let depth = 0;
      for (let j = i; j < text.length; j++) {
        const ch = text[j];
        if (ch === '\\') j++;
        else if (ch === '{') depth++;
        else if (ch === '}' && --depth === 0) return text.slice(i + 1, j);
      }
    }
    from = at;
  }
  return null;
}

describe('boxed extractor in one pass', () => {
  it('agrees with the reference scanner on 5,000 random texts', () => {
    const pieces = ['\\boxed', '\\fbox', '{', '}', '\\', '\\\\', ' ', '\t', 'a', '1', '\\{', '\\}', 'x'];
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let k = 0; k < 5000; k++) {
      const text = Array.from({ length: 1 + random(24) }, () => pieces[random(pieces.length)]).join('');
      assert.equal(extractBoxed(text), boxedReference(text), JSON.stringify(text));
    }
  });

  it('reads the answer after 100 KB of unclosed boxes, and before them', () => {
    const junk = '\\boxed{'.repeat(15_000);
    assert.equal(extractBoxed(`${junk}\\boxed{42}`), '42');
    assert.equal(extractBoxed(`\\boxed{7} ${junk}`), '7');
    assert.equal(extractBoxed(junk), null);
  });
});

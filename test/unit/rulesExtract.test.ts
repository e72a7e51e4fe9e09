import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractBoxed, extractLastNumber, extractRegex, extractTag } from '../../src/core/rules/extract';
import { normalizeText, parseNumber } from '../../src/core/rules/normalize';
import { compileRegex } from '../../src/core/rules/regex';
import { normalizeSchema } from '../../src/core/rules/schema';

describe('extractors', () => {
  it('lastNumber takes the last number with sign, thousands commas, decimals, exponent, fraction', () => {
    assert.equal(extractLastNumber('first 12 then 7'), '7');
    assert.equal(extractLastNumber('x = -3.5 done'), '-3.5');
    assert.equal(extractLastNumber('total: 1,234,567 apples'), '1,234,567');
    assert.equal(extractLastNumber('rate 2.5e-3'), '2.5e-3');
    assert.equal(extractLastNumber('half is 1/2'), '1/2');
    assert.equal(extractLastNumber('5-3 = 2.'), '2');
    assert.equal(extractLastNumber('compute 5-3'), '3', 'a minus between digits is subtraction, not a sign');
    assert.equal(extractLastNumber('worth .75'), '.75');
    assert.equal(extractLastNumber('no digits here'), null);
    assert.equal(extractLastNumber('var x2 = 9'), '9', 'digits inside identifiers are skipped');
  });

  it('boxed reads the last \\boxed{} with nested braces', () => {
    assert.equal(extractBoxed('so \\boxed{42}'), '42');
    assert.equal(extractBoxed('\\boxed{1} then \\boxed{\\frac{1}{2}}'), '\\frac{1}{2}');
    assert.equal(extractBoxed('\\boxed {x^{2}+1}'), 'x^{2}+1');
    assert.equal(extractBoxed('\\fbox{7}'), '7');
    assert.equal(extractBoxed('\\boxed{\\{a\\}}'), '\\{a\\}', 'escaped braces do not count');
    assert.equal(
      extractBoxed('\\boxed{3} and an unfinished \\boxed{4'),
      '3',
      'an unbalanced last box falls back',
    );
    assert.equal(extractBoxed('\\boxed'), null);
    assert.equal(extractBoxed('no box'), null);
  });

  it('tag reads the last complete pair', () => {
    assert.equal(extractTag('<answer>1</answer><answer> 2 </answer>', 'answer'), ' 2 ');
    assert.equal(extractTag('<answer>open only', 'answer'), null);
    assert.equal(extractTag('</answer> close only', 'answer'), null);
    assert.equal(extractTag('<think>a</think>', 'answer'), null);
  });

  it('regex reads a numbered or named group of the last match', () => {
    const c = compileRegex('answer: (?P<val>\\w+)', 'i');
    assert.ok(c.ok);
    assert.equal(extractRegex('Answer: a ... answer: b', c.re, 1), 'b');
    assert.equal(extractRegex('Answer: a', c.re, 'val'), 'a');
    assert.equal(extractRegex('Answer: a', c.re, 0), 'Answer: a');
    assert.equal(extractRegex('nothing', c.re, 1), null);
  });
});

describe('normalisation and numbers', () => {
  const defaults = normalizeSchema.parse({});
  it('applies the default options', () => {
    assert.equal(normalizeText('  The   Answer. ', defaults), 'The Answer');
    assert.equal(normalizeText('$1,000$', defaults), '1000');
  });
  it('each option can be turned off or on', () => {
    assert.equal(normalizeText('A.', { ...defaults, stripTrailingPeriod: false }), 'A.');
    assert.equal(normalizeText('AbC', { ...defaults, caseInsensitive: true }), 'abc');
    assert.equal(normalizeText('a  b', { ...defaults, collapseWhitespace: false }), 'a  b');
    assert.equal(normalizeText(' a ', { ...defaults, trim: false, collapseWhitespace: false }), ' a ');
    assert.equal(normalizeText('1,234', { ...defaults, thousandsSeparators: false }), '1,234');
    assert.equal(normalizeText('$5', { ...defaults, stripDollar: false }), '$5');
  });
  it('parses decimals, exponents, fractions and \\frac', () => {
    assert.equal(parseNumber('-12.5'), -12.5);
    assert.equal(parseNumber('1,234'), 1234);
    assert.equal(parseNumber('2e3'), 2000);
    assert.equal(parseNumber('3/4'), 0.75);
    assert.equal(parseNumber('\\frac{1}{4}'), 0.25);
    assert.equal(parseNumber('-\\dfrac{1}{2}'), -0.5);
    assert.equal(parseNumber('1/0'), null);
    assert.equal(parseNumber('x+1'), null);
    assert.equal(parseNumber(''), null);
  });
});

describe('user regexes run on RE2', () => {
  it('reports backreferences and lookaround as unsupported instead of throwing', () => {
    const back = compileRegex('(a)\\1');
    assert.ok(!back.ok);
    assert.match(back.message, /backreferences .* not supported/);
    const look = compileRegex('foo(?=bar)');
    assert.ok(!look.ok);
    assert.match(look.message, /lookahead\/lookbehind/);
    const behind = compileRegex('(?<!x)y');
    assert.ok(!behind.ok);
    assert.match(behind.message, /lookahead\/lookbehind/);
    const broken = compileRegex('[abc');
    assert.ok(!broken.ok);
    assert.match(broken.message, /invalid regular expression: missing closing \]/);
  });
  it('honours the i, m and s flags and rejects others', () => {
    const c = compileRegex('^b.c$', 'ims');
    assert.ok(c.ok);
    assert.ok(c.re.test('a\nB\nC'));
    const plain = compileRegex('^b.c$');
    assert.ok(plain.ok);
    assert.ok(!plain.re.test('a\nB\nC'));
    const bad = compileRegex('a', 'g');
    assert.ok(!bad.ok);
    assert.match(bad.message, /unknown regex flag 'g'/);
  });
  it('a catastrophic pattern on 10,000 characters stays fast', () => {
    const c = compileRegex('(a+)+$');
    assert.ok(c.ok);
    const text = `${'a'.repeat(10_000)}!`;
    const t0 = performance.now();
    assert.equal(c.re.test(text), false);
    assert.ok(
      performance.now() - t0 < 500,
      'RE2 is linear: this takes milliseconds, a backtracking engine never ends',
    );
  });
});

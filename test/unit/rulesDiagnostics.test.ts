import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RuleDiagnostic } from '../../src/core/rules/check';
import { checkRulesText, formatDiagnostic, LineIndex } from '../../src/core/rules/check';

const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'rules');

/** The range of the n-th occurrence of `needle` in `text`, computed independently of the parser. */
function rangeOf(text: string, needle: string, nth = 0, after = ''): RuleDiagnostic['range'] {
  let at = after === '' ? -1 : text.indexOf(after) + after.length - 1;
  for (let k = 0; k <= nth; k++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `${needle} #${nth} not in text`);
  }
  const pos = (offset: number): { line: number; character: number } => {
    const before = text.slice(0, offset).split('\n');
    return { line: before.length - 1, character: (before[before.length - 1] ?? '').length };
  };
  return { start: pos(at), end: pos(at + needle.length) };
}

function brief(d: RuleDiagnostic): [string, RuleDiagnostic['range'], string] {
  return [d.severity, d.range, d.message];
}

describe('rule-file diagnostics', () => {
  it('the broken fixture: unsupported regex, duplicate name, unknown combinator reference, unknown field', () => {
    const text = readFileSync(join(fixtures, 'broken.rewards.json'), 'utf8');
    const { rules, diagnostics } = checkRulesText(text, { datasetFields: ['prompt', 'answer'] });
    assert.equal(rules, undefined);
    assert.deepEqual(diagnostics.map(brief), [
      [
        'error',
        rangeOf(text, '"solution"'),
        "the dataset has no field 'solution'; its fields: prompt, answer",
      ],
      [
        'error',
        rangeOf(text, '"(\\\\w+) \\\\1"'),
        'backreferences (\\1, \\k<name>) are not supported: rules use RE2, which matches in linear time (invalid escape sequence)',
      ],
      ['error', rangeOf(text, '"format"', 2), "duplicate rule name 'format' (first defined by rule 1)"],
      ['error', rangeOf(text, '"acuracy"'), "unknown rule 'acuracy' in 'strict'"],
    ]);
    assert.ok(diagnostics.every((d) => d.source === 'semantic'));
  });

  it('without dataset fields, field references are not checked', () => {
    const text = readFileSync(join(fixtures, 'broken.rewards.json'), 'utf8');
    assert.equal(checkRulesText(text).diagnostics.length, 3);
  });

  it('the good fixture (comments, trailing commas) has no diagnostics and fills defaults', () => {
    const text = readFileSync(join(fixtures, 'good.rewards.json'), 'utf8');
    const { rules, diagnostics } = checkRulesText(text, { datasetFields: ['prompt', 'answer'] });
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      rules?.rules.map((r) => [r.name, r.kind, r.weight]),
      [
        ['format', 'format', 1],
        ['accuracy', 'answer', 1],
        ['concise', 'length', 0.5],
      ],
    );
  });

  it('an empty rule set', () => {
    const text = '{\n  "rules": []\n}\n';
    assert.deepEqual(checkRulesText(text).diagnostics.map(brief), [
      ['error', rangeOf(text, '[]'), 'the rule set is empty: add at least one rule'],
    ]);
  });

  it('lookaround, a bad flag-free pattern, a missing capture group, an unknown named group', () => {
    const text = [
      '{ "rules": [',
      '  { "name": "a", "kind": "regex", "pattern": "x(?=y)" },',
      '  { "name": "b", "kind": "format", "pattern": "[a-" },',
      '  { "name": "c", "kind": "answer", "extract": { "type": "regex", "pattern": "\\\\d+" } },',
      '  { "name": "d", "kind": "answer", "extract": { "type": "regex", "pattern": "(?P<v>\\\\d+)", "group": "w" } },',
      '  { "name": "e", "kind": "answer", "extract": { "type": "regex", "pattern": "(\\\\d+)", "group": 2 } }',
      '] }',
    ].join('\n');
    const got = checkRulesText(text).diagnostics.map(brief);
    assert.deepEqual(got, [
      [
        'error',
        rangeOf(text, '"x(?=y)"'),
        'lookahead/lookbehind ((?=…), (?!…), (?<=…), (?<!…)) is not supported: rules use RE2, which matches in linear time (invalid or unsupported Perl syntax)',
      ],
      ['error', rangeOf(text, '"[a-"'), 'invalid regular expression: missing closing ]'],
      [
        'error',
        rangeOf(text, '"\\\\d+"'),
        'the pattern has no capture group: add one (…) or set "group": 0 for the whole match',
      ],
      ['error', rangeOf(text, '"w"'), "the pattern has no group named 'w'"],
      [
        'error',
        rangeOf(text, '2', 0, '"group": '),
        'group 2 does not exist: the pattern has 1 capture group',
      ],
    ]);
  });

  it('cycles, self-references, all helpers, and length bounds', () => {
    const text = [
      '{ "rules": [',
      '  { "name": "x", "kind": "all", "rules": ["y"], "reward": false },',
      '  { "name": "y", "kind": "not", "rule": "x", "reward": false },',
      '  { "name": "z", "kind": "any", "rules": ["z"], "reward": false },',
      '  { "name": "l", "kind": "length", "min": 5, "max": 2, "reward": false },',
      '  { "name": "w", "kind": "length", "reward": false }',
      '] }',
    ].join('\n');
    assert.deepEqual(checkRulesText(text).diagnostics.map(brief), [
      ['error', rangeOf(text, '['), 'every rule has "reward": false: at least one rule must be a reward'],
      ['error', rangeOf(text, '"x"', 1), 'combinator cycle: x → y → x'],
      ['error', rangeOf(text, '"z"', 1), "rule 'z' refers to itself"],
      ['error', rangeOf(text, '5'), '"min" (5) is larger than "max" (2): the rule can never pass'],
      ['warning', rangeOf(text, '"length"', 1), 'a length rule without "min" or "max" always passes'],
    ]);
  });

  it('schema errors point at the offending value or key', () => {
    const text = [
      '{',
      '  "rules": [',
      '    { "name": "a", "kind": "answr" },',
      '    { "name": "b", "kind": "regex", "pattern": "x", "mode": "never" },',
      '    { "name": "c", "kind": "length", "max": 3, "maximum": 4 },',
      '    { "name": "d", "kind": "answer" },',
      '    { "name": "e", "kind": "answer", "extract": { "type": "lastWord" } },',
      '    { "name": "bad name", "kind": "length", "max": 1 }',
      '  ],',
      '  "extra": 1',
      '}',
    ].join('\n');
    const got = checkRulesText(text).diagnostics.map((d) => [d.range, d.message.split(':')[0]]);
    assert.deepEqual(got, [
      [rangeOf(text, '"answr"'), 'unknown rule kind "answr"'],
      [rangeOf(text, '"never"'), 'Invalid option'],
      [rangeOf(text, '"maximum"'), "unknown property 'maximum'"],
      [rangeOf(text, '"answer"', 0), "missing property 'extract'"],
      [rangeOf(text, '"lastWord"'), 'unknown extractor "lastWord"'],
      [rangeOf(text, '"bad name"'), 'Invalid string'],
      [rangeOf(text, '"extra"'), "unknown property 'extra'"],
    ]);
  });

  it('an empty or comment-only file, and a byte-order mark', () => {
    for (const text of ['', '  \n', '// nothing yet\n/* still nothing */']) {
      assert.deepEqual(
        checkRulesText(text).diagnostics.map((d) => [d.message, d.range.start]),
        [['the file is empty: expected an object with "rules"', { line: 0, character: 0 }]],
      );
    }
    const bom = '\uFEFF{ "rules": [{ "name": "a", "kind": "lenght" }] }';
    assert.deepEqual(checkRulesText(bom).diagnostics.map(brief), [
      [
        'error',
        rangeOf(bom, '"lenght"'),
        'unknown rule kind "lenght": expected one of answer, format, regex, length, all, any, not',
      ],
    ]);
  });

  it('JSON syntax errors stop further checks', () => {
    const text = '{ "rules": [ { "name": "a" } ';
    const { diagnostics } = checkRulesText(text);
    assert.ok(diagnostics.length > 0);
    assert.ok(diagnostics.every((d) => d.source === 'syntax'));
    assert.match(diagnostics[0]?.message ?? '', /^JSON syntax: /);
  });

  it('line index handles \\r\\n and formats one-based positions', () => {
    const idx = new LineIndex('a\r\nbc\nd');
    assert.deepEqual(idx.position(4), { line: 1, character: 1 });
    assert.deepEqual(idx.position(6), { line: 2, character: 0 });
    assert.deepEqual(idx.position(7), { line: 2, character: 1 });
    const d: RuleDiagnostic = {
      message: 'm',
      severity: 'error',
      range: { start: { line: 1, character: 1 }, end: { line: 1, character: 2 } },
      source: 'semantic',
    };
    assert.equal(formatDiagnostic('f.rewards.json', d), 'f.rewards.json:2:2: error: m');
  });
});

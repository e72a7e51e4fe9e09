// Deeply nested JSON is refused with one line naming file:line:col, before any recursive reader sees it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findDeepNesting, formatNestingProblem, maxJsonNesting } from '../../src/core/jsonNesting';
import { checkRulesText } from '../../src/core/rules/check';
import { parseVerlConfig, VerlConfigError } from '../../src/verl/configFile';

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('the JSON nesting guard', () => {
  it('accepts the limit and names the first bracket past it', () => {
    assert.equal(findDeepNesting(nested(maxJsonNesting)), undefined);
    const deep = findDeepNesting(`{\n  "a": ${nested(maxJsonNesting)}}`);
    assert.ok(deep);
    assert.deepEqual(
      { line: deep.line, column: deep.column, offset: deep.offset },
      {
        line: 2,
        // the object is level 1, so the 100th `[` (column 7 + 100) is the first too deep
        column: 7 + maxJsonNesting,
        offset: 2 + 6 + maxJsonNesting,
      },
    );
    assert.match(formatNestingProblem('f.json', deep), /^f\.json:2:107: nested more than 100 levels deep/);
  });

  it('does not count brackets inside strings or comments, and closes count down', () => {
    const brackets = '['.repeat(500);
    assert.equal(findDeepNesting(`{"a": "${brackets}", "b": "\\"${brackets}"}`), undefined);
    assert.equal(findDeepNesting(`// ${brackets}\n/* ${brackets} */ {"x": 1}`), undefined);
    assert.equal(findDeepNesting(Array.from({ length: 500 }, () => nested(50)).join(',')), undefined);
    assert.equal(findDeepNesting(`"unterminated ${brackets}`), undefined);
    assert.equal(findDeepNesting('/ not a comment [[['), undefined);
  });

  it('a rules file 20,000 levels deep is one syntax diagnostic, not a stack overflow', () => {
    const { rules, diagnostics } = checkRulesText(`{"rules": [${nested(20_000)}]}`);
    assert.equal(rules, undefined);
    assert.deepEqual(
      diagnostics.map((d) => [d.source, d.range.start.line, d.range.start.character]),
      [['syntax', 0, 10 + maxJsonNesting - 1]],
    );
    assert.match(diagnostics[0]?.message ?? '', /nested more than 100 levels deep/);
  });

  it('a verl configuration 20,000 levels deep is refused with file:line:col', () => {
    assert.throws(
      () => parseVerlConfig(`{"name": ${nested(20_000)}}`, 'x.verl.json'),
      (err: unknown) => {
        assert.ok(err instanceof VerlConfigError);
        assert.match(err.message, /^x\.verl\.json:1:109: nested more than 100 levels deep/);
        return true;
      },
    );
  });
});

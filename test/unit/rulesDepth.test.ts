// A rules file 100,000 levels deep, or a chain of 100,000 combinators, is one clear diagnostic: neither the editor's
// parse nor the cycle search recurses once per level.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOO_DEEP, checkRulesText } from '../../src/core/rules/check';
import { checkSemantics } from '../../src/core/rules/semantics';
import { parseRulesText, propertyValue, rulesLocation } from '../../src/host/rules/rulesDocument';

const DEPTH = 100_000;
/** A rule whose `pattern` holds an object nested DEPTH levels: valid JSON, unreadable by a recursive parser. */
const deepText = `{"rules": [{"name": "a", "kind": "format", "pattern": ${'{"x":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}}]}`;

/** r0 → r1 → … → r(n-1) through `not` combinators; the last one refers to `last`. */
function chain(n: number, last: string): unknown {
  const rules: unknown[] = Array.from({ length: n }, (_, k) => ({
    name: `r${k}`,
    kind: 'not',
    rule: k + 1 < n ? `r${k + 1}` : last,
  }));
  rules.push({ name: 'base', kind: 'format', pattern: '[a-z]+' });
  return { rules };
}

describe('rules nested or chained 100,000 deep', () => {
  it('the editor parse gives no tree and no location, without a RangeError; shallow text still parses', () => {
    assert.equal(parseRulesText(deepText), undefined);
    assert.equal(rulesLocation(deepText, deepText.length - 5), undefined);
    const shallow = '{"rules": [{"name": "a", "kind": "format"}]}';
    const root = parseRulesText(shallow);
    assert.ok(root);
    assert.deepEqual(rulesLocation(shallow, shallow.indexOf('"a"') + 1)?.path, ['rules', 0, 'name']);
    assert.equal(propertyValue(root.children![0]!.children![1]!.children![0]!, 'kind')?.value, 'format');
  });

  it('checking the file gives one diagnostic, at the first bracket too deep', () => {
    const { rules, diagnostics } = checkRulesText(deepText);
    assert.equal(rules, undefined);
    assert.equal(diagnostics.length, 1);
    const [d] = diagnostics;
    assert.equal(d!.code, TOO_DEEP);
    assert.match(d!.message, /^nested more than 100 levels deep/);
    // `{"rules": [{` is three levels, so the pattern's 98th `{"x":` is the 101st.
    assert.deepEqual(d!.range.start, { line: 0, character: deepText.indexOf('{"x":') + 97 * 5 });
  });

  it('a chain of 100,000 combinators closing into a cycle is one cycle diagnostic with a bounded message', () => {
    const issues = checkSemantics(chain(DEPTH, 'r0')).filter((i) => i.code === 'cycle');
    assert.equal(issues.length, 1);
    const [cycle] = issues;
    assert.deepEqual(cycle!.path, ['rules', DEPTH - 1, 'rule']);
    assert.equal(
      cycle!.message,
      `combinator cycle: r0 → r1 → r2 → r3 → r4 → … ${DEPTH - 10} more … → r99995 → r99996 → r99997 → r99998 → r99999 → r0`,
    );
    assert.ok(cycle!.message.length < 200);
  });

  it('the same chain ending in a plain rule has no cycle, and a short cycle is named in full', () => {
    assert.deepEqual(
      checkSemantics(chain(DEPTH, 'base')).filter((i) => i.code === 'cycle'),
      [],
    );
    assert.deepEqual(
      checkSemantics(chain(3, 'r1'))
        .filter((i) => i.code === 'cycle')
        .map((i) => i.message),
      ['combinator cycle: r1 → r2 → r1'],
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countRuleErrors } from '../../src/trainer/trainer';

describe('rule errors during a run', () => {
  it('counts per rule the completions on which a rule threw, and names the first', () => {
    const ok = { name: 'accuracy', reward: 1 as const, reason: 'matched' };
    const threw = (name: string, error: string) => ({ name, reward: 0 as const, reason: 'error', error });
    const { counts, first } = countRuleErrors([
      { outcomes: [ok, { name: 'format', reward: 1, reason: 'ok' }] },
      { outcomes: [threw('accuracy', 'field "answer" is not a string'), threw('format', 'boom')] },
      { outcomes: [threw('accuracy', 'second')] },
    ]);
    assert.deepEqual(counts, { accuracy: 2, format: 1 });
    assert.equal(first, 'accuracy: field "answer" is not a string');
  });

  it('reports nothing when every rule ran', () => {
    assert.deepEqual(countRuleErrors([{ outcomes: [{ name: 'a', reward: 0, reason: 'no number' }] }]), {
      counts: {},
      first: null,
    });
  });
});

// The samples page's completions table, without a DOM: every completion of every step, searched in prompts and
// completions, filtered by rule result, advantage sign and audit flags, sorted; long completions collapsed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostToSamplesSchema, SamplesViewStateSchema } from '../../src/protocol/samples';
import type { CompletionQuery, SampleGroup } from '../../src/protocol/samples';
import {
  AUDIT_FLAG,
  DEFAULT_FILTERS,
  DEFAULT_QUERY,
  LONG_COMPLETION_CHARS,
  completionRows,
  filtersActive,
  flaggedView,
  flagsOf,
  knownFlags,
  parseRuleResult,
  preview,
  queryCompletions,
} from '../../webview/samples/model';

interface Made {
  text: string;
  correct: 0 | 1;
  format: 0 | 1;
  advantage: number;
  tokens?: number;
  flags?: string[];
  audit?: boolean;
}

function group(
  step: number,
  prompt: string,
  completions: Made[],
  extra: Partial<SampleGroup> = {},
): SampleGroup {
  const message = HostToSamplesSchema.parse({
    type: 'append',
    id: 'r',
    records: [
      {
        v: 1,
        step,
        promptId: prompt,
        prompt,
        sample: { answer: '5' },
        completions: completions.map((c) => ({
          text: c.text,
          tokens: c.tokens ?? c.text.length,
          rewards: { correct: c.correct, format: c.format },
          reasons: {},
          advantage: c.advantage,
          correct: c.correct === 1,
          ...(c.flags ? { flags: c.flags } : {}),
          ...(c.audit !== undefined ? { audit: c.audit } : {}),
        })),
        ...extra,
      },
    ],
  });
  assert.equal(message.type, 'append');
  return (message as { records: SampleGroup[] }).records[0]!;
}

const RECORDS = [
  group(2, 'What is 2+3?', [
    { text: '<answer>5</answer>', correct: 1, format: 1, advantage: 0.5 },
    { text: 'five', correct: 0, format: 0, advantage: -0.5, audit: true },
  ]),
  group(4, 'What is 1+1?', [
    { text: '<answer>2</answer>', correct: 1, format: 1, advantage: 0 },
    { text: '<answer>2</answer>', correct: 1, format: 1, advantage: 0 },
  ]),
  group(
    6,
    'Sort 3 1 2',
    [
      { text: 'I think the answer is 1 2 3', correct: 1, format: 0, advantage: 1.2, tokens: 9 },
      { text: '<answer>3 2 1</answer>', correct: 0, format: 1, advantage: -1.2, flags: ['length-hack'] },
    ],
    { flags: ['duplicate-prompt'] },
  ),
];
const rows = completionRows(RECORDS);
const q = (patch: Partial<CompletionQuery>): CompletionQuery => ({ ...DEFAULT_QUERY, ...patch });
const texts = (query: CompletionQuery): string[] =>
  queryCompletions(rows, query).map((r) => `${r.step}:${r.completion.text}`);

describe('samples page: the completions table across steps', () => {
  it('holds every completion of every step, in sampled order', () => {
    assert.equal(rows.length, 6);
    assert.deepEqual(texts(DEFAULT_QUERY), [
      '2:<answer>5</answer>',
      '2:five',
      '4:<answer>2</answer>',
      '4:<answer>2</answer>',
      '6:I think the answer is 1 2 3',
      '6:<answer>3 2 1</answer>',
    ]);
    assert.equal(filtersActive(DEFAULT_QUERY), false);
  });

  it('searches prompts and completions, ignoring case', () => {
    assert.deepEqual(texts(q({ text: 'FIVE' })), ['2:five']);
    // A prompt match keeps all of that group's completions.
    assert.deepEqual(texts(q({ text: '1+1' })), ['4:<answer>2</answer>', '4:<answer>2</answer>']);
    assert.deepEqual(texts(q({ text: '  answer is ' })), ['6:I think the answer is 1 2 3']);
    assert.deepEqual(texts(q({ text: 'nowhere' })), []);
    assert.equal(filtersActive(q({ text: 'x' })), true);
    assert.equal(filtersActive(q({ text: '   ' })), false);
  });

  it('filters by a rule’s result and by the advantage’s sign', () => {
    assert.deepEqual(texts(q({ ruleResult: 'correct:0' })), ['2:five', '6:<answer>3 2 1</answer>']);
    assert.deepEqual(texts(q({ ruleResult: 'format:0' })), ['2:five', '6:I think the answer is 1 2 3']);
    assert.deepEqual(texts(q({ ruleResult: 'format:1', advantage: 'negative' })), [
      '6:<answer>3 2 1</answer>',
    ]);
    assert.deepEqual(texts(q({ advantage: 'zero' })), ['4:<answer>2</answer>', '4:<answer>2</answer>']);
    assert.deepEqual(texts(q({ advantage: 'positive' })), [
      '2:<answer>5</answer>',
      '6:I think the answer is 1 2 3',
    ]);
    assert.deepEqual(parseRuleResult('a:b:1'), { rule: 'a:b', reward: 1 }, 'a rule name may hold a colon');
    assert.equal(parseRuleResult('correct:2'), undefined);
    assert.equal(parseRuleResult(':1'), undefined);
  });

  it('filters by audit flags: the `flags` names and the `audit`/`flagged` booleans, of a group or a completion', () => {
    assert.deepEqual(flagsOf(RECORDS[0]!, RECORDS[0]!.completions[1]!), [AUDIT_FLAG]);
    assert.deepEqual(flagsOf(RECORDS[2]!, RECORDS[2]!.completions[1]!), ['duplicate-prompt', 'length-hack']);
    assert.deepEqual(knownFlags(rows), ['audit', 'duplicate-prompt', 'length-hack']);
    assert.deepEqual(texts(q({ flag: '*' })), [
      '2:five',
      '6:I think the answer is 1 2 3',
      '6:<answer>3 2 1</answer>',
    ]);
    assert.deepEqual(texts(q({ flag: 'length-hack' })), ['6:<answer>3 2 1</answer>']);
    assert.deepEqual(texts(q({ flag: AUDIT_FLAG })), ['2:five']);
    const flagged = group(8, 'p', [{ text: 'x', correct: 1, format: 1, advantage: 0 }], { flagged: true });
    assert.deepEqual(flagsOf(flagged, flagged.completions[0]!), [AUDIT_FLAG]);
    // Flags are optional and typed: a malformed one is refused on arrival.
    assert.equal(
      HostToSamplesSchema.safeParse({ type: 'append', id: 'r', records: [{ ...RECORDS[0], flags: 'yes' }] })
        .success,
      false,
    );
  });

  it('sorts by advantage, tokens or length either way, ties in sampled order', () => {
    assert.deepEqual(texts(q({ sort: 'advantage', descending: true })), [
      '6:I think the answer is 1 2 3',
      '2:<answer>5</answer>',
      '4:<answer>2</answer>',
      '4:<answer>2</answer>',
      '2:five',
      '6:<answer>3 2 1</answer>',
    ]);
    assert.deepEqual(texts(q({ sort: 'tokens' }))[0], '2:five');
    assert.deepEqual(texts(q({ sort: 'length', descending: true }))[0], '6:I think the answer is 1 2 3');
    assert.deepEqual(texts(q({ sort: 'step', descending: true }))[0], '6:I think the answer is 1 2 3');
  });

  it('keeps the query in the view state, with defaults for a state saved before it existed', () => {
    const old = SamplesViewStateSchema.parse({ runId: 'r', step: 2 });
    assert.deepEqual(old.query, DEFAULT_QUERY);
    assert.equal(old.view, 'step');
    const kept = SamplesViewStateSchema.parse({
      runId: 'r',
      view: 'table',
      query: { text: 'five', flag: '*' },
    });
    assert.deepEqual(kept.query, q({ text: 'five', flag: '*' }));
  });
});

describe('samples page: long completions', () => {
  it('collapses a 20 KB completion to a preview cut at a break, and leaves short ones whole', () => {
    const long = 'step by step reasoning '.repeat(900); // ~20 KB
    const { shown, hidden } = preview(long);
    assert.ok(shown.length <= LONG_COMPLETION_CHARS && shown.length > LONG_COMPLETION_CHARS * 0.6);
    assert.equal(shown.length + hidden, long.length);
    assert.ok(long.startsWith(shown) && long[shown.length] === ' ', 'cut at a space');
    assert.deepEqual(preview('short'), { shown: 'short', hidden: 0 });
    const unbroken = 'x'.repeat(5000);
    assert.equal(preview(unbroken).shown.length, LONG_COMPLETION_CHARS);
  });
});

describe('the audit notification’s samples view', () => {
  it('opens the table on every flagged completion, clearing the other filters but keeping the sort', () => {
    const before = {
      ...DEFAULT_FILTERS,
      view: 'step' as const,
      query: { ...DEFAULT_QUERY, text: 'x', advantage: 'positive' as const, sort: 'advantage' as const },
    };
    const after = flaggedView(before);
    assert.equal(after.view, 'table');
    assert.deepEqual(after.query, { ...DEFAULT_QUERY, sort: 'advantage', flag: '*' });
    assert.equal(before.view, 'step', 'the filters it was given are left alone');
  });
});

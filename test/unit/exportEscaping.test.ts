// Strings from run folders reach a spreadsheet (CSV export) and Markdown (tooltips, hovers) as data only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeMarkdown, markdownCode } from '../../src/core/markdown';
import { metricsCsv } from '../../src/host/runs/csv';
import { metricsRecord } from './studioFixtures';

describe('CSV export against formula injection', () => {
  const csv = metricsCsv(
    ['=HYPERLINK("http://x","y")', '+1', '-2', '@SUM(A1)', '\tx', 'plain-run'].map((id) => ({
      id,
      rules: ['correct'],
      metrics: [metricsRecord(1, { loss: -0.25 })],
      evals: [],
    })),
  );
  const rows = csv.split('\r\n').slice(1, -1);
  const header = csv.split('\r\n')[0]!.split(',');

  it('a text cell that a spreadsheet would read as a formula gets a leading quote, and is quoted', () => {
    assert.deepEqual(
      rows.map((r) => r.slice(0, r.indexOf(',1,'))),
      ['"\'=HYPERLINK(""http://x"",""y"")"', '"\'+1"', '"\'-2"', '"\'@SUM(A1)"', '"\'\tx"', 'plain-run'],
    );
  });

  it('negative numbers in numeric columns stay numbers', () => {
    const loss = header.indexOf('loss');
    assert.ok(loss > 0);
    const cells = rows[5]!.split(',');
    assert.equal(cells[loss], '-0.25');
  });

  it('a guard name from metrics is neutralised the same way', () => {
    const record = metricsRecord(1);
    const fit = record.beta.correct;
    assert.ok(fit);
    const out = metricsCsv([
      {
        id: 'r',
        rules: ['correct'],
        metrics: [{ ...record, beta: { correct: { ...fit, guard: '=1+2' } } }],
        evals: [],
      },
    ]);
    const guard = out.split('\r\n')[0]!.split(',').indexOf('beta.correct.guard');
    assert.equal(out.split('\r\n')[1]!.split(',')[guard], '"\'=1+2"');
  });
});

describe('Markdown escaping', () => {
  it('escapes everything Markdown, HTML or theme icons could read, on one line', () => {
    assert.equal(
      escapeMarkdown('![x](https://e.invalid/p.png)'),
      '\\!\\[x\\]\\(https\\:\\/\\/e\\.invalid\\/p\\.png\\)',
    );
    assert.equal(escapeMarkdown('$(error) **bold** <img>'), '\\$\\(error\\) \\*\\*bold\\*\\* \\<img\\>');
    assert.equal(escapeMarkdown('a\nb\r\nc'), 'a b c');
    assert.equal(escapeMarkdown('run 7'), 'run 7');
  });

  it('a code span cannot be closed early by backticks inside it', () => {
    assert.equal(markdownCode('run-7'), '`run-7`');
    assert.equal(markdownCode('a`b'), '``a`b``');
    assert.equal(markdownCode('`x`'), '`` `x` ``');
    assert.equal(markdownCode('a\nb'), '`a b`');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { READING_HEADING, REPORT_MARKER, spliceReport } from '../tools/resultsDoc';

describe('docs/results.md generated section', () => {
  it('replaces only what lies between the marker and the reading, headings one level down, plots relinked', () => {
    const doc = `# Results\n\nintro\n\n${REPORT_MARKER}\n\nold numbers\n\n${READING_HEADING}\n\nprose\n`;
    const report = '# Estimator study: x\n\nWritten by code.\n\n## Plots\n\n![a.svg](a.svg)\n';
    assert.equal(
      spliceReport(doc, report, 'results'),
      `# Results\n\nintro\n\n${REPORT_MARKER}\n\nWritten by code.\n\n### Plots\n\n![a.svg](results/a.svg)\n\n\n${READING_HEADING}\n\nprose\n`,
    );
    assert.throws(() => spliceReport('no marker', report, 'results'), /marker/);
  });
});

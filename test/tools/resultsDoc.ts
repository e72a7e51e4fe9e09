// Regenerates the generated part of docs/results.md from a finished study folder, so that section is never
// edited by hand: `node out/test/tools/resultsDoc.js STUDY_DIR [DOC]` (after `bnpo experiment --report --out
// STUDY_DIR`). It replaces everything between the marker comment and "## Reading (ours)" with the folder's
// report.md (its title dropped, its headings one level down, its plots linked from docs/results/), and copies
// the plots next to the doc. The hand-written parts above and below stay as they are.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPORT_MARKER =
  '<!-- everything from here to "Reading" is report.md of the run, written by code -->';
export const READING_HEADING = '## Reading (ours)';

/** The doc with its generated section replaced by `report` (report.md as `bnpo experiment` writes it). */
export function spliceReport(doc: string, report: string, plotsFolder: string): string {
  const start = doc.indexOf(REPORT_MARKER);
  const end = doc.indexOf(READING_HEADING);
  if (start === -1 || end === -1 || end < start)
    throw new Error(`the doc needs the marker line and "${READING_HEADING}" after it`);
  const body = report
    .split('\n')
    .filter((line, i) => !(i === 0 && line.startsWith('# ')))
    .map((line) => (line.startsWith('#') ? `#${line}` : line))
    .join('\n')
    .replace(/\]\(([\w.-]+\.svg)\)/g, `](${plotsFolder}/$1)`)
    .trim();
  return `${doc.slice(0, start + REPORT_MARKER.length)}\n\n${body}\n\n\n${doc.slice(end)}`;
}

function main(argv: string[]): number {
  const [study, docFile = path.join('docs', 'results.md')] = argv;
  if (study === undefined) {
    process.stderr.write('usage: node out/test/tools/resultsDoc.js STUDY_DIR [DOC]\n');
    return 2;
  }
  const report = fs.readFileSync(path.join(study, 'report.md'), 'utf8');
  const plotsFolder = path.basename(docFile, '.md');
  const plotsDir = path.join(path.dirname(docFile), plotsFolder);
  fs.mkdirSync(plotsDir, { recursive: true });
  for (const svg of fs.readdirSync(study).filter((f) => f.endsWith('.svg')))
    fs.copyFileSync(path.join(study, svg), path.join(plotsDir, svg));
  fs.writeFileSync(docFile, spliceReport(fs.readFileSync(docFile, 'utf8'), report, plotsFolder));
  process.stdout.write(`${docFile}: generated section rewritten from ${study}/report.md\n`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`resultsDoc: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

// Only src/runDir/ opens run files: every other module of src/ that uses the file system must not name one (by its
// file name or through RUN_FILES); it gets paths and records from the library's functions. A second reader or writer
// of a run directory is how the four copies of the format this library replaced came about.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CHECKPOINT_FILES, RUN_FILES } from '../../src/runDir/layout';

const src = path.resolve(__dirname, '..', '..', '..', 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return full === path.join(src, 'runDir') ? [] : sources(full);
    return d.name.endsWith('.ts') ? [full] : [];
  });
}

const USES_FS = /from 'node:fs(\/promises)?'|from 'fs(\/promises)?'|require\('(node:)?fs'\)/;
const RUN_FILE_NAMES = [
  ...Object.values(RUN_FILES).filter((n) => n !== 'latest' && n !== 'checkpoints'),
  ...Object.values(CHECKPOINT_FILES),
];

/** The places a file of src/ names a run file in code (comments and describe() strings aside). */
function runFileMentions(text: string): string[] {
  const code = text
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
    .join('\n');
  const found: string[] = RUN_FILE_NAMES.filter(
    (n) => code.includes(`'${n}'`) || code.includes(`"${n}"`) || code.includes(`/${n}`),
  );
  if (/\bRUN_FILES\b|\bCHECKPOINT_FILES\b/.test(code)) found.push('RUN_FILES');
  return found;
}

describe('run-directory ownership', () => {
  it('finds a run-file name next to fs use (the check can fail)', () => {
    assert.deepEqual(runFileMentions("fs.readFileSync(path.join(dir, 'run.json'))"), ['run.json']);
    assert.deepEqual(runFileMentions('fs.rmSync(path.join(dir, RUN_FILES.lock))'), ['RUN_FILES']);
  });

  it('no module outside src/runDir/ uses fs on run files', () => {
    const offenders = sources(src)
      .map((file) => {
        const text = fs.readFileSync(file, 'utf8');
        return USES_FS.test(text) ? { file: path.relative(src, file), names: runFileMentions(text) } : null;
      })
      .filter((o): o is { file: string; names: string[] } => o !== null && o.names.length > 0);
    assert.deepEqual(offenders, []);
  });
});

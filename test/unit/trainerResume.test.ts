// Resuming your own run safely, and the command line's one-line errors: a run pins the files it trains on (resume
// uses exactly those, from any folder, and refuses when one changed unless told to accept it), `--steps N` extends
// a run, and every error a user can cause is one line, exit 2, with no stack and no half-written run folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { parseJsonl } from '../../src/protocol/jsonl';
import { RunConfigSchema, type RunConfigInput } from '../../src/protocol/runConfig';
import { MetricsRecordSchema, RunInfoSchema, type RunInfo } from '../../src/protocol/runDir';
import { RunDirError } from '../../src/runDir/errors';
import { Progress } from '../../src/trainer/progress';
import { train } from '../../src/trainer/trainer';
import { registerGradientsForTests } from './trainerSetup';

const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

const tiny: RunConfigInput = {
  task: 'sorting',
  digits: 3,
  steps: 2,
  promptsPerStep: 2,
  groupSize: 2,
  model: { dModel: 8, layers: 1, heads: 1, mlpRatio: 2 },
  sft: { maxSteps: 2, batchSize: 4, evalEvery: 1, targetAccuracy: 0.9 },
  eval: { every: 10, size: 4, temperature: 0.6 },
  checkpointEvery: 1,
  seed: 5,
  backend: 'cpu',
  rules: 'my.rewards.json',
};

function bnpo(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr, no stack frames. */
function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /^\s+at /m);
}

const readInfo = (dir: string): RunInfo =>
  RunInfoSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')));

describe('resume pins what the run trains on', () => {
  let work: string;
  let runDir: string;
  const rulesText = fs.readFileSync(path.join(root, 'media', 'tasks', 'sorting.rewards.json'), 'utf8');

  before(async () => {
    registerGradientsForTests();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-resume-'));
    fs.writeFileSync(path.join(work, 'my.rewards.json'), rulesText);
    const r = await train({
      config: RunConfigSchema.parse(tiny),
      configFile: path.join(work, 'run.bnporun.json'),
      baseDir: work,
      runsDir: path.join(work, 'runs'),
    });
    assert.equal(r.status, 'completed', r.error ?? '');
    runDir = r.runDir;
  });

  it('records resolved absolute paths and SHA-256 of the rules file', () => {
    const info = readInfo(runDir);
    const rules = path.join(work, 'my.rewards.json');
    assert.deepEqual(info.inputs?.rules, {
      path: rules,
      sha256: createHash('sha256').update(fs.readFileSync(rules)).digest('hex'),
    });
    assert.equal(fs.existsSync(path.join(runDir, 'run.lock')), false, 'the lock is released at the end');
  });

  it('refuses a completed run, and a changed rules file, in one line without touching the run', async () => {
    const before = fs.readFileSync(path.join(runDir, 'run.json'), 'utf8');
    assertOneLine(bnpo(['train', '--resume', runDir]).stderr, /already completed.*--steps N extends it/);
    fs.appendFileSync(path.join(work, 'my.rewards.json'), '\n');
    await assert.rejects(
      train({
        config: RunConfigSchema.parse({}),
        configFile: null,
        baseDir: root,
        runsDir: work,
        resumeDir: runDir,
        resume: { steps: 3 },
      }),
      (e: unknown) =>
        e instanceof RunDirError && /my\.rewards\.json: changed since the run started/.test(e.message),
    );
    const refused = bnpo(['train', '--resume', runDir, '--steps', '3']);
    assert.equal(refused.code, 2);
    assertOneLine(refused.stderr, /changed since the run started.*--accept-changed-inputs/);
    assert.equal(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'), before);
  });

  it('--steps N extends the run from another folder, on the pinned file, and records both', () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-elsewhere-'));
    // A different rules file of the same name where the resume is started: it must not be used.
    fs.writeFileSync(
      path.join(elsewhere, 'my.rewards.json'),
      '{"rules": [{"name": "other", "kind": "length"}]}',
    );
    const r = bnpo(['train', '--resume', runDir, '--steps', '3', '--accept-changed-inputs'], elsewhere);
    assert.equal(r.code, 0, r.stderr);
    const info = readInfo(runDir);
    assert.equal(info.status, 'completed');
    assert.equal(info.totalSteps, 3);
    assert.equal(info.rulesFile, path.join(work, 'my.rewards.json'));
    assert.ok(!info.rules.includes('other'));
    const events = (info.history ?? []).map((h) => h.event);
    assert.deepEqual(events, ['extended', 'inputChanged', 'resumed']);
    const metrics = parseJsonl(
      fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8'),
      MetricsRecordSchema,
      {
        file: 'metrics',
      },
    );
    assert.deepEqual(
      metrics.records.map((m) => m.step),
      [1, 2, 3],
    );
    assert.match(r.stdout, /resume: step-2: the newest checkpoint/);
  });

  it('a corrupt run.json and a corrupt checkpoint are one line each (exit 2)', () => {
    const copy = path.join(work, 'copy');
    fs.cpSync(runDir, copy, { recursive: true });
    for (const c of fs.readdirSync(path.join(copy, 'checkpoints')).filter((n) => n.startsWith('step-')))
      fs.truncateSync(path.join(copy, 'checkpoints', c, 'weights.bin'), 7);
    const ev = bnpo(['eval', copy]);
    assert.equal(ev.code, 2);
    assertOneLine(ev.stderr, /no valid checkpoint: step-3 \(.*weights\.bin: 7 bytes/);
    const resumed = bnpo(['train', '--resume', copy, '--steps', '9']);
    assert.equal(resumed.code, 2);
    assertOneLine(resumed.stderr, /no valid checkpoint.*would drop 3 recorded RL steps/);
    fs.writeFileSync(path.join(copy, 'run.json'), '{"v": 1, "id": ');
    const bad = bnpo(['train', '--resume', copy]);
    assert.equal(bad.code, 2);
    assertOneLine(bad.stderr, /run\.json: not JSON/);
  });
});

describe('command-line input', () => {
  it('negative numbers are values, rejected by range, not "ambiguous"', () => {
    for (const args of [
      ['train', '--steps', '-1'],
      ['train', '--seed', '-3'],
    ]) {
      const r = bnpo(args);
      assert.equal(r.code, 2);
      assertOneLine(r.stderr, /must be a whole number/);
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-eval-'));
    fs.writeFileSync(path.join(work, 'run.json'), '{}');
    assertOneLine(bnpo(['eval', work, '--size', '0']).stderr, /run\.json|--size/);
  });

  it('a too-small context is one line and leaves no run folder', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-ctx-'));
    fs.writeFileSync(
      path.join(work, 'c.bnporun.json'),
      JSON.stringify({ model: { context: 3 }, backend: 'cpu' }),
    );
    const r = bnpo([
      'train',
      '--config',
      path.join(work, 'c.bnporun.json'),
      '--out',
      path.join(work, 'runs'),
    ]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, /model\.context 3 is shorter than prompt/);
    assert.equal(fs.existsSync(path.join(work, 'runs')), false);
    const name = bnpo(['train', '--config', writeName(work), '--out', path.join(work, 'runs')]);
    assert.equal(name.code, 2);
    assert.match(name.stderr, /name: name uses letters, digits/);
    assert.equal(fs.existsSync(path.join(work, 'runs')), false);
  });
});

function writeName(dir: string): string {
  const file = path.join(dir, 'n.bnporun.json');
  fs.writeFileSync(file, JSON.stringify({ name: '../../escape' }));
  return file;
}

describe('progress where output is not a TTY', () => {
  it('prints a bounded number of step lines, each with an ETA, and every warm-start line', () => {
    const lines: string[] = [];
    const progress = new Progress({ write: (s: string) => lines.push(s), isTTY: false });
    const event = (phase: 'sft' | 'rl', step: number, total: number) => ({
      phase,
      step,
      total,
      reward: 0.5,
      accuracy: 0.5,
      evalAccuracy: null,
      line: `${phase} step ${step}`,
    });
    for (let s = 1; s <= 3; s++) progress.progress(event('sft', s * 10, 1000));
    for (let s = 1; s <= 500; s++) progress.progress(event('rl', s, 500));
    assert.equal(lines.filter((l) => l.startsWith('sft step')).length, 3);
    const rl = lines.filter((l) => l.startsWith('rl step'));
    assert.equal(rl.length, 25);
    assert.ok(rl.every((l) => /ETA \S+\n$/.test(l)));
    assert.match(rl.at(-1)!, /^rl step 500 /);
  });

  it('draws a bar for the warm start on a TTY', () => {
    let out = '';
    const progress = new Progress({ write: (s: string) => (out += s), isTTY: true });
    progress.progress({
      phase: 'sft',
      step: 50,
      total: 100,
      reward: null,
      accuracy: null,
      evalAccuracy: 0.2,
      line: '',
    });
    assert.match(out, /^sft \[#{12}-{12}\] 50\/100 held-out 20\.0%/);
  });
});

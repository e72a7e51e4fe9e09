import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  RulesServeReadySchema,
  RulesServeResponseSchema,
  RulesServeErrorSchema,
} from '../../src/protocol/rulesServe';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli.js');
const fixtures = join('test', 'fixtures', 'rules');

function bnpo(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bnpo rules (CLI)', () => {
  before(() => {
    execFileSync(process.execPath, ['esbuild.js'], { cwd: root, stdio: 'inherit' });
  });

  it('check prints file:line:col diagnostics and exits 1 on errors', () => {
    const r = bnpo('rules', 'check', join(fixtures, 'broken.rewards.json'));
    assert.equal(r.status, 1);
    const file = join(fixtures, 'broken.rewards.json');
    assert.deepEqual(r.stdout.trim().split('\n'), [
      `${file}:7:55: error: backreferences (\\1, \\k<name>) are not supported: rules use RE2, which matches in linear time (invalid escape sequence)`,
      `${file}:8:15: error: duplicate rule name 'format' (first defined by rule 1)`,
      `${file}:9:60: error: unknown rule 'acuracy' in 'strict'`,
    ]);
  });

  it('check with --dataset also checks sample fields; a good file exits 0', () => {
    const broken = bnpo(
      'rules',
      'check',
      join(fixtures, 'broken.rewards.json'),
      '--dataset',
      join(fixtures, 'dataset.jsonl'),
    );
    assert.equal(broken.status, 1);
    assert.match(
      broken.stdout,
      /broken\.rewards\.json:6:84: error: the dataset has no field 'solution'; its fields: prompt, answer, difficulty\n/,
    );
    const good = bnpo('rules', 'check', join(fixtures, 'good.rewards.json'));
    assert.equal(good.status, 0);
    assert.equal(good.stdout, `${join(fixtures, 'good.rewards.json')}: ok, 3 rules (3 rewards)\n`);
  });

  it('test prints the per-rule table with failure reasons', () => {
    const r = bnpo(
      'rules',
      'test',
      join(fixtures, 'good.rewards.json'),
      '--samples',
      join(fixtures, 'samples.jsonl'),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /: 5 completions\n/);
    assert.match(r.stdout, /\nformat\s+3\/5\s+60\.0%\s+0\n/);
    assert.match(r.stdout, /\naccuracy\s+2\/5\s+40\.0%\s+0\n/);
    assert.match(r.stdout, /\nconcise\s+5\/5\s+100\.0%\s+0\n/);
    assert.match(r.stdout, /accuracy failed on:\n {2}line 2: <answer> gave "13", expected "12"\n/);
    assert.match(r.stdout, /step 10, p1 #2: text after <\/answer>: "done"/);
  });

  it('test refuses a broken rule file (exit 2, diagnostics on stderr) and bad usage', () => {
    const r = bnpo(
      'rules',
      'test',
      join(fixtures, 'broken.rewards.json'),
      '--samples',
      join(fixtures, 'samples.jsonl'),
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, /broken\.rewards\.json:8:15: error: duplicate rule name 'format'/);
    const usage = bnpo('rules', 'test', join(fixtures, 'good.rewards.json'));
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /test needs --samples JSONL/);
    const missing = bnpo('rules', 'check', 'nope.rewards.json');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read rule file nope\.rewards\.json/);
  });

  it('serve answers each JSON-lines request with per-rule rewards, reasons and errors', async () => {
    const child = spawn(
      process.execPath,
      [cli, 'rules', 'serve', '--rules', join(fixtures, 'good.rewards.json')],
      {
        cwd: root,
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.write(
      `${JSON.stringify({
        id: 7,
        items: [
          { completion: '<think>3+4</think><answer>7</answer>', sample: { answer: '7' } },
          { completion: 'no format', sample: {} },
        ],
      })}\n`,
    );
    child.stdin.write('not json\n');
    child.stdin.end(`${JSON.stringify({ id: 'b', items: [] })}\n`);
    assert.equal(await done, 0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    assert.equal(lines.length, 4);
    const ready = RulesServeReadySchema.parse(lines[0]);
    assert.deepEqual(ready.rules, ['format', 'accuracy', 'concise']);
    const first = RulesServeResponseSchema.parse(lines[1]);
    assert.equal(first.id, 7);
    assert.deepEqual(first.results[0]?.rewards, { format: 1, accuracy: 1, concise: 1 });
    assert.equal(first.results[0]?.total, 2.5);
    assert.deepEqual(first.results[1]?.rewards, { format: 0, accuracy: 0, concise: 1 });
    assert.deepEqual(first.results[1]?.errors, { accuracy: "sample has no field 'answer'" });
    assert.equal(first.results[1]?.reasons.format, 'missing <think>');
    const bad = RulesServeErrorSchema.parse(lines[2]);
    assert.equal(bad.id, null);
    assert.match(bad.error, /^not JSON/);
    assert.deepEqual(RulesServeResponseSchema.parse(lines[3]), { type: 'result', id: 'b', results: [] });
  });

  it('deeply nested rule and run-config files are refused in one line, without a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnpo-deep-'));
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const rulesFile = join(dir, 'deep.rewards.json');
    writeFileSync(rulesFile, `{"rules": [${deep}]}`);
    const check = bnpo('rules', 'check', rulesFile);
    assert.equal(check.status, 1);
    assert.deepEqual(check.stdout.trim().split('\n'), [
      `${rulesFile}:1:110: error: nested more than 100 levels deep (arrays and objects): not a file this tool reads`,
    ]);
    assert.doesNotMatch(check.stderr, /RangeError|\n\s+at /);
    const configFile = join(dir, 'deep.bnporun.json');
    writeFileSync(configFile, `{\n  "steps": ${deep}}`);
    const train = bnpo('train', '--config', configFile, '--steps', '1');
    assert.equal(train.status, 2);
    assert.equal(
      train.stderr.trim(),
      `bnpo train: ${configFile}:2:111: nested more than 100 levels deep (arrays and objects): not a file this tool reads`,
    );
  });

  it('train takes --dataset and --rules, names the docs in --help, and wants rules with a dataset', () => {
    const help = bnpo('train', '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--dataset FILE .*docs\/datasets\.md/);
    assert.match(help.stdout, /docs\/run-config\.md/);
    const noRules = bnpo('train', '--dataset', 'media/examples/reverse.jsonl', '--steps', '1');
    assert.equal(noRules.status, 2);
    assert.equal(noRules.stderr.trim(), 'bnpo train: rules: a dataset needs a reward-rule file (`rules`)');
    const missing = bnpo(
      'train',
      '--dataset',
      'no-such.jsonl',
      '--rules',
      'media/examples/reverse.rewards.json',
    );
    assert.equal(missing.status, 2);
    assert.match(
      missing.stderr,
      new RegExp(`^bnpo train: ${join(root, 'no-such.jsonl')}: cannot read the dataset`),
    );
  });
});

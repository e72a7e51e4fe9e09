// *Launch on TRL…*'s command line: a `*.trl.json` (comments allowed) → `python -m bnpo_trl.launch` with every path
// resolved against the config's folder and a run folder under the runs root; bad configs are located lines.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { editorJsonSchemaText } from '../../src/core/editorSchema';
import { configFrom } from '../../src/host/config';
import { TRL_JSON_SCHEMA_FILE, TrlRunConfigSchema } from '../../src/protocol/trl';
import { buildTrlCommand, parseTrlConfig, TrlConfigError } from '../../src/host/trl/trlCommand';
import { untrustedRefusal } from '../../src/host/trust';

const root = path.resolve(__dirname, '..', '..', '..');
const NOW = new Date('2026-12-02T14:05:06.789Z');

describe('the TRL launch command', () => {
  it('resolves the config’s paths, keeps a hub id as written, and passes every setting to the entry', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-trl-cmd-'));
    fs.mkdirSync(path.join(base, 'models', 'tiny'), { recursive: true });
    const text = `{
      // comments and trailing commas, as in every config of ours
      "name": "sums", "model": "models/tiny", "dataset": "data/sums.jsonl", "rules": "../digits.rewards.json",
      "steps": 7, "groupSize": 8, "lr": 2e-6,
    }`;
    const config = parseTrlConfig(text, 'sums.trl.json');
    const options = {
      baseDir: base,
      runsFolder: '/ws/.bnpo/runs',
      python: '/venv/bin/python',
      cli: '/ext/dist/cli.js',
      now: NOW,
    };
    const command = buildTrlCommand(config, options);
    assert.equal(command.runId, 'sums-20261202T140506Z');
    assert.equal(command.runDir, '/ws/.bnpo/runs/sums-20261202T140506Z');
    assert.deepEqual(command.argv, [
      '/venv/bin/python',
      '-m',
      'bnpo_trl.launch',
      ...['--model', path.join(base, 'models', 'tiny')],
      ...['--dataset', path.join(base, 'data', 'sums.jsonl')],
      ...['--rules', path.join(path.dirname(base), 'digits.rewards.json')],
      ...['--run-dir', '/ws/.bnpo/runs/sums-20261202T140506Z'],
      ...['--cli', '/ext/dist/cli.js'],
      ...['--name', 'sums'],
      ...['--steps', '7'],
      ...['--group-size', '8'],
      ...['--prompts-per-step', '4'],
      ...['--lr', '0.000002'],
      ...['--max-completion-length', '64'],
      ...['--temperature', '1'],
      ...['--seed', '1'],
      ...['--sample-every', '5'],
    ]);
    assert.deepEqual(command.env, { PYTHONUNBUFFERED: '1', BNPO_CLI: '/ext/dist/cli.js' });
    const hub = buildTrlCommand(
      parseTrlConfig(
        '{"model": "Qwen/Qwen2.5-0.5B", "dataset": "d.jsonl", "rules": "r.json", "cpu": true}',
        'h.trl.json',
      ),
      options,
    );
    assert.deepEqual(hub.argv.slice(3, 5), ['--model', 'Qwen/Qwen2.5-0.5B']);
    assert.equal(hub.argv[hub.argv.length - 1], '--cpu');
    assert.match(hub.runId, /^trl-/);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('refuses a bad config with file:line:col and the field, and a name that could leave the runs root', () => {
    const problems = (text: string): readonly string[] => {
      try {
        parseTrlConfig(text, 'x.trl.json');
      } catch (err) {
        assert.ok(err instanceof TrlConfigError);
        return err.problems;
      }
      return assert.fail('accepted');
    };
    assert.deepEqual(
      problems('{\n  "model": "m",\n  "dataset": "d.jsonl",\n  "rules": "r.json",\n  "groupSize": 1\n}'),
      [
        'x.trl.json:5:16: groupSize: groupSize (G) must be at least 2: an advantage compares completions of the same prompt',
      ],
    );
    assert.match(
      problems('{"model": "m", "dataset": "d", "rules": "r", "name": "../../x"}')[0]!,
      /^x\.trl\.json:1:\d+: name: name uses letters/,
    );
    assert.match(problems('{"model": "m", "dataset": "d", "rules": "r", "stepz": 3}')[0]!, /stepz/);
    assert.deepEqual(problems('{"dataset": "d", "rules": "r"}').length, 1);
    assert.match(problems('{"model": }')[0]!, /^x\.trl\.json:1:11: not valid JSON/);
    assert.match(
      problems(`{"model": ${'['.repeat(500)}}`)[0]!,
      /^x\.trl\.json:1:\d+: nested more than 100 levels deep/,
    );
  });

  it('takes the Python from bnpo.trl.python: a name as written, a relative path against the folder', () => {
    const settings = (value: string) => ({
      get: <T>(key: string, d: T): T => (key === 'trl.python' ? (value as T) : d),
    });
    assert.equal(configFrom(settings('python3.11'), '/ws').trlPython, 'python3.11');
    assert.equal(configFrom(settings('.venv/bin/python'), '/ws').trlPython, '/ws/.venv/bin/python');
    assert.equal(configFrom(settings('/opt/v/bin/python'), '/ws').trlPython, '/opt/v/bin/python');
    assert.equal(configFrom(settings('  '), '/ws').trlPython, 'python3');
  });

  it('is refused in an untrusted workspace', () => {
    assert.equal(untrustedRefusal(true, 'runTrl'), undefined);
    assert.match(
      untrustedRefusal(false, 'runTrl') ?? '',
      /^BNPO cannot launch a TRL run: this workspace is not trusted/,
    );
  });

  it('gives *.trl.json files the committed editor schema (run `npm run schemas` if not)', () => {
    assert.equal(
      fs.readFileSync(path.join(root, TRL_JSON_SCHEMA_FILE), 'utf8'),
      editorJsonSchemaText(TrlRunConfigSchema),
    );
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      contributes: { jsonValidation: { fileMatch: string; url: string }[] };
    };
    assert.ok(
      manifest.contributes.jsonValidation.some(
        (v) => v.fileMatch === '*.trl.json' && v.url === `./${TRL_JSON_SCHEMA_FILE}`,
      ),
    );
  });
});

import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { describeRule } from '../../src/core/rules/describe';
import { compileRuleFile as compileRules } from '../../src/core/rules/check';
import { checkRulesText } from '../../src/core/rules/check';
import { formatReportMarkdown, formatReportText, testRules } from '../../src/core/rules/report';
import { datasetFieldsFromText, parseSamplesText } from '../../src/core/rules/samplesFile';
import { latestRuleFigures, latestRunForRules } from '../../src/host/rules/runLookup';
import { ruleSnippets, starterRulesFile } from '../../src/host/rules/snippets';
import { rewardRulesSchema } from '../../src/core/rules/schema';
import { loadRulesFile, loadRulesText, RulesFileError } from '../../src/trainer/rulesFile';

const root = join(__dirname, '..', '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'bnpo-rules-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('samples files', () => {
  it('reads flat lines, inline sample fields, run records, and reports bad lines', () => {
    const text = [
      '{"completion": "a", "sample": {"answer": "1"}}',
      '{"text": "b", "answer": "2", "prompt": "p"}',
      '{"response": "c", "sample": {"answer": "3"}, "answer": "ignored", "extra": 1}',
      'not json',
      '{"neither": true}',
      '{"step": 4, "promptId": "q", "prompt": "P", "sample": {"answer": "4"}, "completions": [{"text": "d"}, {"text": "e"}]}',
      '{"completion": "torn',
    ].join('\n');
    const { items, problems } = parseSamplesText(text);
    assert.deepEqual(
      items.map((i) => [i.completion, i.sample, i.line, i.label]),
      [
        ['a', { answer: '1' }, 1, 'line 1'],
        ['b', { answer: '2', prompt: 'p' }, 2, 'line 2'],
        ['c', { answer: '3', extra: 1 }, 3, 'line 3'],
        ['d', { prompt: 'P', answer: '4' }, 6, 'step 4, q #1'],
        ['e', { prompt: 'P', answer: '4' }, 6, 'step 4, q #2'],
      ],
    );
    assert.deepEqual(
      problems.map((p) => p.line),
      [4, 5],
    );
    assert.match(problems[0]?.message ?? '', /^not JSON/);
  });

  it('takes dataset fields from the first lines', () => {
    assert.deepEqual(datasetFieldsFromText('{"q": 1, "a": 2}\n\n{"a": 3, "b": 4}\nbroken\n'), [
      'q',
      'a',
      'b',
    ]);
    assert.deepEqual(datasetFieldsFromText('{"x": 1}\n{"y": 1}\n', 1), ['x']);
    assert.deepEqual(datasetFieldsFromText(''), []);
  });
});

describe('rule test reports', () => {
  const compiled = compileRules({
    rules: [
      { name: 'fmt', kind: 'format', tags: ['answer'] },
      { name: 'acc', kind: 'answer', extract: { type: 'tag' } },
      { name: 'helper', kind: 'length', max: 3, reward: false },
    ],
  });
  const { items } = parseSamplesText(
    [
      '{"completion": "<answer>1</answer>", "sample": {"answer": "1"}}',
      '{"completion": "<answer>2</answer>", "sample": {"answer": "1"}}',
      '{"completion": "1", "sample": {}}',
    ].join('\n'),
  );
  const report = testRules(compiled, items);
  it('counts passes, errors and failure reasons per rule, helpers included', () => {
    assert.deepEqual(
      report.rules.map((r) => [r.name, r.reward, r.passed, r.total, r.errors]),
      [
        ['fmt', true, 2, 3, 0],
        ['acc', true, 1, 3, 1],
        ['helper', false, 1, 3, 0],
      ],
    );
    assert.deepEqual(report.rules[1]?.failures, [
      { label: 'line 2', reason: '<answer> gave "2", expected "1"' },
      { label: 'line 3', reason: "error: sample has no field 'answer'" },
    ]);
  });
  it('renders a text table and a Markdown table', () => {
    const text = formatReportText(report, 'r on s');
    assert.deepEqual(text.split('\n').slice(0, 7), [
      'r on s: 3 completions',
      '',
      'rule             passed   rate  errors',
      '---------------  ------  -----  ------',
      'fmt                 2/3  66.7%       0',
      'acc                 1/3  33.3%       1',
      'helper (helper)     1/3  33.3%       0',
    ]);
    assert.match(
      text,
      /\nacc failed on:\n {2}line 2: <answer> gave "2", expected "1"\n {2}line 3: error: sample has no field 'answer'\n/,
    );
    const md = formatReportMarkdown(report, 'r on s');
    assert.match(md, /\| `acc` \| 1\/3 \| 33\.3% \| 1 \|/);
    assert.match(
      md,
      /## `acc` failed on 2 of 3\n\n\| Sample \| Reason \|\n\|---\|---\|\n\| line 2 \| &lt;answer> gave "2", expected "1" \|/,
    );
  });
});

describe('rule descriptions', () => {
  it('says in one sentence what each kind rewards', () => {
    const file = rewardRulesSchema.parse({
      rules: [
        { name: 'a', kind: 'answer', extract: { type: 'boxed' }, compare: 'numeric', tolerance: 0.01 },
        { name: 'f', kind: 'format', tags: ['think', 'answer'], allowTextOutside: false },
        { name: 'r', kind: 'regex', pattern: 'x', flags: 'i', mode: 'mustNotMatch' },
        { name: 'l', kind: 'length', unit: 'tokens', max: 10 },
        { name: 'n', kind: 'not', rule: 'r' },
      ],
    });
    assert.deepEqual(file.rules.map(describeRule), [
      "Rewards a completion when the last \\boxed{…} answer equals the sample's `answer` as a number (within 0.01).",
      'Rewards a completion that has <think>…</think> then <answer>…</answer>, each exactly once, with nothing but whitespace outside them.',
      'Rewards a completion that contains no match of `/x/i`.',
      'Rewards a completion at most 10 whitespace-separated words long.',
      'Rewards a completion when `r` fails.',
    ]);
  });
});

describe('shipped rule files', () => {
  it('the starter file and the built-in tasks’ rule files pass every check', () => {
    const starter = checkRulesText(starterRulesFile, { datasetFields: ['prompt', 'answer'] });
    assert.deepEqual(starter.diagnostics, []);
    assert.deepEqual(
      starter.rules?.rules.filter((r) => r.reward).map((r) => r.name),
      ['format', 'accuracy', 'tidy'],
    );
    const tasks = join(root, 'media', 'tasks');
    const files = readdirSync(tasks).filter((f) => f.endsWith('.rewards.json'));
    assert.ok(files.length > 0);
    for (const f of files) {
      const { diagnostics } = checkRulesText(readFileSync(join(tasks, f), 'utf8'), {
        datasetFields: ['prompt', 'answer', 'solutions'],
      });
      assert.deepEqual(diagnostics, [], f);
    }
  });
  it('every snippet, its placeholders filled with their defaults, is a valid rule', () => {
    for (const s of ruleSnippets) {
      const body = s.body
        .replace(/\$\{\d+\|([^,|]+)[^}]*\}/g, '$1')
        .replace(/\$\{\d+:([^}]*)\}/g, '$1')
        .replace(/\\\\/g, '\\');
      const { diagnostics } = checkRulesText(`{ "rules": [${body}] }`);
      assert.deepEqual(diagnostics, [], s.label);
    }
  });
});

describe('loading a rule file for a run', () => {
  it('refuses a broken file with file:line:col of every error', async () => {
    const broken = join(root, 'test', 'fixtures', 'rules', 'broken.rewards.json');
    await assert.rejects(loadRulesFile(broken), (err: unknown) => {
      assert.ok(err instanceof RulesFileError);
      assert.equal(
        err.message,
        [
          `${broken}:7:55: error: backreferences (\\1, \\k<name>) are not supported: rules use RE2, which matches in linear time (invalid escape sequence)`,
          `${broken}:8:15: error: duplicate rule name 'format' (first defined by rule 1)`,
          `${broken}:9:60: error: unknown rule 'acuracy' in 'strict'`,
        ].join('\n'),
      );
      return true;
    });
    await assert.rejects(
      loadRulesFile(join(scratch, 'missing.rewards.json')),
      /missing\.rewards\.json: cannot read/,
    );
  });
  it('checks sample fields when the dataset fields are known, and returns warnings', () => {
    assert.throws(
      () =>
        loadRulesText(
          'r.rewards.json',
          '{"rules": [{"name": "a", "kind": "answer", "extract": {"type": "boxed"}}]}',
          ['q'],
        ),
      { name: 'RulesFileError', message: /^r\.rewards\.json:1:34: error: the dataset has no field 'answer'/ },
    );
    const loaded = loadRulesText('r.rewards.json', '{"rules": [{"name": "a", "kind": "length"}]}');
    assert.deepEqual(loaded.compiled.names, ['a']);
    assert.deepEqual(loaded.warnings, [
      'r.rewards.json:1:34: warning: a length rule without "min" or "max" always passes',
    ]);
  });
});

describe('finding the latest run of a rule file', () => {
  const runs = join(scratch, 'runs');
  const rules = join(scratch, 'ws', 'math.rewards.json');
  function run(id: string, rulesFile: string, metrics: string, mtime: number): void {
    const dir = join(runs, id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ v: 1, id, status: 'completed', rulesFile }));
    writeFileSync(join(dir, 'metrics.jsonl'), metrics);
    const t = new Date(mtime);
    utimesSync(join(dir, 'run.json'), t, t);
    utimesSync(join(dir, 'metrics.jsonl'), t, t);
  }
  it('matches relative and absolute rulesFile paths and picks the newest', async () => {
    run('old', rules, '{"step": 1, "rewards": {"acc": 0.1}}\n', 1_000_000);
    run(
      'new',
      'math.rewards.json',
      '{"step": 5, "rewards": {"acc": 0.5}, "beta": {"acc": {"alpha": 2, "beta": 3}}}\n{"step": 6, "rew',
      2_000_000,
    );
    run('other', join(scratch, 'ws', 'other.rewards.json'), '', 3_000_000);
    mkdirSync(join(runs, 'junk'));
    writeFileSync(join(runs, 'junk', 'run.json'), '{ torn');
    const found = await latestRunForRules(runs, rules, [join(scratch, 'ws')]);
    assert.equal(found?.id, 'new');
    const figures = await latestRuleFigures(found?.dir ?? '', 'acc');
    assert.deepEqual(figures, { step: 5, passRate: 0.5, beta: { alpha: 2, beta: 3 } });
    assert.equal((await latestRuleFigures(found?.dir ?? '', 'missing'))?.passRate, undefined);
    assert.equal(
      (await latestRunForRules(runs, rules))?.id,
      'old',
      'without base folders the relative path does not match',
    );
    assert.equal(await latestRunForRules(join(scratch, 'nowhere'), rules), undefined);
  });
});

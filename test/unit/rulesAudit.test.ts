import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import {
  auditRules,
  DEGENERATE_FORMS,
  degenerateForms,
  formatAuditText,
  lengthCap,
  rewardsNothing,
} from '../../src/core/rules/audit';
import { auditDiagnostics } from '../../src/core/rules/auditCheck';
import { checkRulesText, compileRuleFile } from '../../src/core/rules/check';
import type { RewardRulesInput } from '../../src/core/rules/schema';

const root = join(__dirname, '..', '..', '..');
const fixture = (name: string): string => readFileSync(join(root, 'test', 'fixtures', 'audit', name), 'utf8');
const dataset = fixture('dataset.jsonl')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Record<string, unknown>);

function compiledFixture(name: string) {
  const { rules, diagnostics } = checkRulesText(fixture(name));
  assert.ok(rules, diagnostics.map((d) => d.message).join('\n'));
  return compileRuleFile(rules);
}

function flagged(name: string): Record<string, string[]> {
  const report = auditRules(compiledFixture(name), dataset);
  return Object.fromEntries(report.rules.map((r) => [r.name, r.rewards.map((f) => f.form)]));
}

const tagged: RewardRulesInput = {
  rules: [
    { name: 'format', kind: 'format', tags: ['think', 'answer'] },
    { name: 'accuracy', kind: 'answer', extract: { type: 'tag', tag: 'answer' } },
  ],
};

describe('reward audit: the degenerate battery', () => {
  it('generates each form from the gold answer and the rules’ tags', () => {
    const rules = compileRuleFile(tagged).rules;
    const f = degenerateForms(rules, '42', ['7', '42', '2'], 100);
    assert.deepEqual(Object.keys(f).sort(), ['reference', ...DEGENERATE_FORMS].sort());
    assert.equal(f.empty, '');
    assert.equal(f.tagsOnly, '<think></think>\n<answer></answer>');
    assert.match(f.reference, /^<think>[^<]+<\/think>\n<answer>42<\/answer>$/);
    assert.match(f.answerOutsideTags, /<answer><\/answer>\n42$/);
    assert.equal([...f.truncated].length, 100);
    assert.ok(f.truncated.startsWith('<think>') && !f.truncated.includes('<answer>'));
    assert.match(f.answerRepeated, /<answer>(42 ){11}42<\/answer>/);
    assert.match(f.everyCandidate, /<answer>7, 42, 2<\/answer>/);
    assert.match(f.junkAppended, /<answer>42 or maybe 7 or 2<\/answer>/);
    assert.match(f.junkPrepended, /<answer>maybe 7 or 2 or 42<\/answer>/);
    assert.match(f.boxedRepeated, /<answer>(\\boxed\{42\} ){11}\\boxed\{42\}<\/answer>/);
  });

  it('puts the answer in \\boxed{} for boxed rules without tags, and finds near decoys without a dataset', () => {
    const rules = compileRuleFile({
      rules: [{ name: 'acc', kind: 'answer', extract: { type: 'boxed' } }],
    }).rules;
    const f = degenerateForms(rules, '5', [], 50);
    assert.match(f.reference, /\n\\boxed\{5\}$/);
    assert.match(f.everyCandidate, /\\boxed\{12, 5, 18\}$/);
  });

  it('takes the length cap from the tightest chars length rule', () => {
    const rules = compileRuleFile({
      rules: [
        { name: 'a', kind: 'length', max: 300 },
        { name: 'b', kind: 'length', max: 200 },
        { name: 'c', kind: 'length', unit: 'tokens', max: 10 },
      ],
    }).rules;
    assert.equal(lengthCap(rules), 200);
    assert.equal(lengthCap(compileRuleFile(tagged).rules), 1024);
  });

  it('scores every form with every rule it tests', () => {
    const report = auditRules(compileRuleFile(tagged), dataset);
    assert.equal(report.samples, dataset.length);
    const format = report.rules.find((r) => r.name === 'format')!;
    // tags checked, contents not: tags-only and an empty answer tag pass on every sample
    assert.deepEqual(
      format.rewards.map((f) => [f.form, f.passed, f.total]),
      [
        ['tagsOnly', 4, 4],
        ['answerOutsideTags', 4, 4],
      ],
    );
    assert.equal(format.rewards[0]?.example, '<think></think>\n<answer></answer>');
    const accuracy = report.rules.find((r) => r.name === 'accuracy')!;
    assert.deepEqual(accuracy.rewards, []);
    assert.equal(accuracy.neverPasses, false);
  });
});

describe('reward audit: hackable and sound rule files', () => {
  it('flags the hackable file for exactly the forms it rewards', () => {
    assert.deepEqual(flagged('hackable.rewards.json'), {
      format: ['tagsOnly', 'answerOutsideTags'],
      accuracy: ['answerOutsideTags', 'answerRepeated', 'junkAppended', 'boxedRepeated'],
    });
    const format = auditRules(compiledFixture('hackable.rewards.json'), dataset).rules[0]!;
    assert.equal(rewardsNothing(format)?.form, 'tagsOnly');
  });

  it('does not flag the sound file', () => {
    assert.deepEqual(flagged('sound.rewards.json'), { format: [], accuracy: [] });
    const report = auditRules(compiledFixture('sound.rewards.json'), dataset);
    assert.ok(report.rules.every((r) => !r.alwaysPasses && !r.neverPasses));
    assert.match(formatAuditText(report, 'sound'), /no rule rewards a degenerate completion\n$/);
  });

  it('reports rules that always or never pass', () => {
    const report = auditRules(
      compileRuleFile({
        rules: [
          { name: 'short', kind: 'length', max: 5000 },
          { name: 'wrong', kind: 'regex', pattern: 'never written' },
        ],
      }),
      dataset,
    );
    const [short, wrong] = report.rules;
    assert.equal(short?.alwaysPasses, true);
    assert.equal(rewardsNothing(short)?.form, 'empty');
    assert.equal(wrong?.neverPasses, true);
    const text = formatAuditText(report, 'odd');
    assert.match(
      text,
      /short: always passes, rewards 2 degenerate forms\n {2}empty \(empty completion\): 4\/4, e\.g\. ""\n/,
    );
    assert.match(text, /wrong: never passes\n/);
  });
});

describe('bnpo rules audit (CLI)', () => {
  const cli = join(root, 'dist', 'cli.js');
  const bnpo = (...args: string[]) =>
    spawnSync(process.execPath, [cli, 'rules', 'audit', ...args], { cwd: root, encoding: 'utf8' });
  const file = (name: string): string => join('test', 'fixtures', 'audit', name);
  before(() => {
    execFileSync(process.execPath, ['esbuild.js'], { cwd: root, stdio: 'inherit' });
  });

  it('prints the forms each rule rewards and exits 1 when one rewards tags-only output', () => {
    const r = bnpo(file('hackable.rewards.json'), '--dataset', file('dataset.jsonl'));
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /^format: rewards 2 degenerate forms\n {2}tagsOnly \(only the tags, nothing inside\): 4\/4, e\.g\. "<think><\/think>\\n<answer><\/answer>"$/m,
    );
    assert.match(
      r.stdout,
      /^ {2}junkAppended \(the answer with junk appended\): 4\/4, e\.g\. ".*<answer>7 or maybe 42 or 2<\/answer>"$/m,
    );
    assert.match(r.stdout, /\n2 rules flagged\n$/);
  });

  it('--json gives the report; a sound file exits 0', () => {
    const r = bnpo(file('sound.rewards.json'), '--dataset', file('dataset.jsonl'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { samples: number; rules: { name: string; rewards: unknown[] }[] };
    assert.equal(report.samples, 4);
    assert.deepEqual(
      report.rules.map((x) => [x.name, x.rewards.length]),
      [
        ['format', 0],
        ['accuracy', 0],
      ],
    );
  });

  it('refuses a bad --cap in one line', () => {
    const r = bnpo(file('sound.rewards.json'), '--cap', '-3');
    assert.equal(r.status, 2);
    assert.equal(r.stderr, "bnpo rules: --cap must be a positive whole number of characters, got '-3'\n");
  });
});

describe('reward audit: editor warning', () => {
  it('warns on the kind of a rule that rewards empty or tags-only output, not on sound rules', () => {
    const text = fixture('hackable.rewards.json');
    const { rules } = checkRulesText(text);
    const warnings = auditDiagnostics(text, rules!);
    assert.equal(warnings.length, 1);
    const [w] = warnings;
    assert.equal(w?.severity, 'warning');
    assert.deepEqual(w?.path, ['rules', 0, 'kind']);
    assert.equal(w?.range.start.line, 4);
    assert.match(
      w?.message ?? '',
      /^rule 'format' rewards a degenerate completion \(only the tags, nothing inside/,
    );
    const sound = fixture('sound.rewards.json');
    assert.deepEqual(auditDiagnostics(sound, checkRulesText(sound).rules!), []);
  });
});

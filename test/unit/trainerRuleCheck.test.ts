// A rules file the model can never satisfy is found before training: a reward rule no demonstration passes is
// named with why (characters the vocabulary lacks), and K flat steps of zero variance are said once.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { compileRuleFile } from '../../src/core/rules/check';
import { RunInfoSchema } from '../../src/protocol/runDir';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { train } from '../../src/trainer/trainer';
import { unreachableRules, ZERO_VARIANCE_STEPS, ZeroVarianceWatch } from '../../src/trainer/ruleCheck';
import { datasetTask } from '../../src/trainer/tasks';
import { registerGradientsForTests } from './trainerSetup';

/** R1-style rules: a think/answer format and the answer inside <answer>. */
const R1 = compileRuleFile({
  rules: [
    { name: 'format', kind: 'format', tags: ['think', 'answer'] },
    { name: 'accuracy', kind: 'answer', extract: { type: 'tag' } },
    { name: 'number', kind: 'answer', extract: { type: 'lastNumber' }, compare: 'numeric' },
  ],
});

function plainDataset(): ReturnType<typeof datasetTask> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-rulecheck-'));
  const file = path.join(dir, 'plain.jsonl');
  const lines = Array.from({ length: 20 }, (_, i) =>
    JSON.stringify({ prompt: `${i}+1=`, answer: String(i + 1) }),
  );
  fs.writeFileSync(file, lines.join('\n') + '\n');
  try {
    return datasetTask({ train: file, heldOutFraction: 0.2 }, dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('rules checked against the demonstrations', () => {
  it('names each reward rule no demonstration passes, and the characters the vocabulary cannot produce', () => {
    const task = plainDataset();
    const warnings = unreachableRules(R1, task.heldOut, new Set(task.tokenizer.vocab));
    assert.equal(warnings.length, 2, warnings.join('\n'));
    const [format, accuracy] = warnings;
    assert.match(format!, /reward rule 'format' passes none of the \d+ demonstrations/);
    assert.match(format!, /the vocabulary has no "<", .*">", "\/"/);
    assert.match(accuracy!, /reward rule 'accuracy'/);
    assert.match(accuracy!, /"<"/);
    assert.ok(!warnings.some((w) => w.includes("'number'")), 'a rule the demonstrations pass is not named');
  });

  it('says nothing when every reward rule passes some demonstration', () => {
    const task = plainDataset();
    const reachable = compileRuleFile({
      rules: [{ name: 'number', kind: 'answer', extract: { type: 'lastNumber' }, compare: 'numeric' }],
    });
    assert.deepEqual(unreachableRules(reachable, task.heldOut, new Set(task.tokenizer.vocab)), []);
  });
});

describe('zero variance in the first steps', () => {
  it(`warns once after ${ZERO_VARIANCE_STEPS} steps in which every group had zero variance`, () => {
    const watch = new ZeroVarianceWatch();
    const said = Array.from({ length: ZERO_VARIANCE_STEPS + 3 }, () => watch.observe(1));
    assert.equal(said.filter((w) => w !== undefined).length, 1);
    assert.match(said[ZERO_VARIANCE_STEPS - 1] ?? '', /zero reward variance for the first 5 steps/);
  });

  it('stays quiet once any group had a signal', () => {
    const watch = new ZeroVarianceWatch();
    const said = [1, 1, 0.75, 1, 1, 1, 1, 1].map((share) => watch.observe(share));
    assert.deepEqual(
      said.filter((w) => w !== undefined),
      [],
    );
  });
});

describe('a run on rules it can never satisfy (cpu, in process)', () => {
  before(() => registerGradientsForTests());

  it('warns in trainer.log and in run.json before training, and again after the flat first steps', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-rulecheck-run-'));
    try {
      const rulesFile = path.join(dir, 'r1.rewards.json');
      fs.writeFileSync(
        rulesFile,
        JSON.stringify({ rules: [{ name: 'format', kind: 'format', tags: ['answer'] }] }),
      );
      const config = RunConfigSchema.parse({
        task: 'sorting',
        digits: 3,
        rules: rulesFile,
        steps: ZERO_VARIANCE_STEPS,
        promptsPerStep: 2,
        groupSize: 2,
        model: { dModel: 16, layers: 1, heads: 2, mlpRatio: 2 },
        sft: { maxSteps: 1, batchSize: 4, evalEvery: 1, targetAccuracy: 0.9 },
        eval: { every: 100, size: 4, temperature: 0.6 },
        checkpointEvery: 100,
        backend: 'cpu',
        seed: 3,
      });
      const runsDir = path.join(dir, 'runs');
      const r = await train({ config, configFile: null, baseDir: dir, runsDir });
      assert.equal(r.status, 'completed', r.error ?? '');
      const info = RunInfoSchema.parse(JSON.parse(fs.readFileSync(path.join(r.runDir, 'run.json'), 'utf8')));
      const warnings = info.warnings ?? [];
      assert.equal(warnings.length, 2, warnings.join('\n'));
      assert.match(warnings[0]!, /reward rule 'format' passes none of the .*vocabulary has no "<"/);
      assert.match(warnings[1]!, /zero reward variance for the first 5 steps/);
      const log = fs.readFileSync(path.join(r.runDir, 'trainer.log'), 'utf8');
      assert.match(log, /warning: reward rule 'format'/);
      assert.match(log, /warning: every group had zero reward variance/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

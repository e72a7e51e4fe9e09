// The example under media/examples is what docs/datasets.md tells people to copy: it must stay valid.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseJsonc } from 'jsonc-parser';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { loadRulesFile, loadRulesText } from '../../src/trainer/rulesFile';
import { readDataset } from '../../src/trainer/tasks';

const examples = join(__dirname, '..', '..', '..', 'media', 'examples');

describe('media/examples/reverse', () => {
  const config = RunConfigSchema.parse(
    parseJsonc(readFileSync(join(examples, 'reverse.bnporun.json'), 'utf8'), [], {
      allowTrailingComma: true,
    }),
  );
  const train = config.dataset?.train;
  const rules = config.rules;

  it('is a dataset run whose files exist and parse', async () => {
    assert.ok(train !== undefined && rules !== undefined);
    const data = readDataset(join(examples, train));
    assert.ok(data.length >= 200);
    const loaded = await loadRulesFile(join(examples, rules), Object.keys(data[0]!.sample));
    assert.deepEqual(loaded.warnings, []);
    assert.deepEqual(loaded.compiled.names, ['correct', 'one_word', 'right_length']);
  });

  it('its rules reward the dataset answers and refuse wrong ones', () => {
    assert.ok(train !== undefined && rules !== undefined);
    const data = readDataset(join(examples, train));
    const file = join(examples, rules);
    const { compiled } = loadRulesText(file, readFileSync(file, 'utf8'));
    for (const e of data.slice(0, 50)) {
      assert.deepEqual(
        compiled.evaluate(e.target, e.sample).map((o) => o.reward),
        [1, 1, 1],
        e.prompt,
      );
      assert.equal(compiled.evaluate(`${e.target}a`, e.sample)[0]?.reward, 0, 'one letter too many');
    }
  });
});

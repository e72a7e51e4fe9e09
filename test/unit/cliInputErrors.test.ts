// Mistakes on the command line and in a config file are named where they are: the bad sub-command in one line,
// a typo'd key at its own line:col with the key it was probably meant to be.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { closest, configKeysAt, editDistance } from '../../src/cli/configKeys';
import { runConfigJsonSchema } from '../../src/protocol/runConfig';
import { run as rulesCommand } from '../../src/cli/rules';
import { readConfigFile } from '../../src/cli/train';
import { UsageError } from '../../src/cli/usage';

describe('an unknown sub-command', () => {
  it('names it in one line, without the usage text (`rules lint`)', async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string) => written.push(String(chunk)) > 0;
    try {
      await assert.rejects(
        rulesCommand(['lint', 'x.rewards.json']),
        (err: unknown) =>
          err instanceof UsageError &&
          /^unknown sub-command 'lint': use check, test, audit or serve/.test(err.message),
      );
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(written, [], 'nothing but the one error line (printed by main)');
  });
});

describe('a typo in a config key', () => {
  it('measures edit distance and suggests only near keys', () => {
    assert.equal(editDistance('stpes', 'steps'), 1, 'a swap is one edit');
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(closest('stpes', ['steps', 'seed']), 'steps');
    assert.equal(closest('dmodel', ['dModel', 'layers']), 'dModel');
    assert.equal(closest('banana', ['steps', 'seed']), undefined);
    assert.ok(configKeysAt(runConfigJsonSchema(), ['model']).includes('dModel'));
    assert.ok(configKeysAt(runConfigJsonSchema(), []).includes('promptsPerStep'));
  });

  it("is reported at the key's line and column, with did you mean", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-keys-'));
    const file = path.join(dir, 'c.bnporun.json');
    fs.writeFileSync(file, '{\n  "steps": 3,\n  "model": {\n    "dmodel": 16\n  },\n    "groupSzie": 4\n}\n');
    try {
      assert.throws(
        () => readConfigFile(file),
        (err: unknown) => {
          assert.ok(err instanceof UsageError);
          const lines = err.message.split('\n').sort();
          assert.deepEqual(lines, [
            `${file}:4:5: model: unknown key 'dmodel' (did you mean 'dModel'?)`,
            `${file}:6:5: (root): unknown key 'groupSzie' (did you mean 'groupSize'?)`,
          ]);
          return true;
        },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Checked before the run folder exists: a configuration whose memory cannot fit the backend, a context too short
// for prompt + completion, and a dataset file that is not UTF-8, each one line saying what to change.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { selectBackend } from '../../src/trainer/backend';
import { parameterCount, trainingBytes, WASM_MEMORY_BYTES } from '../../src/trainer/memory';
import { Policy } from '../../src/trainer/model';
import { Rng } from '../../src/trainer/rng';
import { DatasetError, readDataset } from '../../src/trainer/tasks';
import { ConfigError, train } from '../../src/trainer/trainer';
import { registerGradientsForTests } from './trainerSetup';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-upfront-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function refusal(config: Record<string, unknown>): Promise<Error> {
  const runsDir = path.join(dir, 'runs');
  const parsed = RunConfigSchema.parse({ task: 'sorting', digits: 3, ...config });
  const err = await train({ config: parsed, configFile: null, baseDir: dir, runsDir }).then(
    () => assert.fail('the run was not refused'),
    (e: unknown) => e as Error,
  );
  assert.equal(fs.existsSync(runsDir), false, 'a refused run leaves no run folder');
  assert.equal(err.message.includes('\n'), false, `one line: ${err.message}`);
  return err;
}

describe('checks before the run folder exists', () => {
  before(async () => {
    registerGradientsForTests();
    await selectBackend('cpu');
  });

  it('counts parameters exactly as the model allocates them', () => {
    const dims = { vocab: 20, context: 12, dModel: 16, layers: 2, heads: 2, mlpRatio: 2, tiedOutput: false };
    const policy = new Policy(dims, new Rng(1));
    const allocated = [...policy.params.values()].reduce((n, v) => n + v.size, 0);
    assert.equal(parameterCount(dims), allocated);
    policy.dispose();
  });

  it('refuses an absurd dModel for the wasm backend, saying what to lower', async () => {
    const config = RunConfigSchema.parse({ model: { dModel: 16384, heads: 4 }, backend: 'wasm' });
    const dims = { ...config.model, vocab: 40, context: 16 };
    assert.ok(trainingBytes(config, dims) > WASM_MEMORY_BYTES);
    const err = await refusal({ model: { dModel: 16384, heads: 4 }, backend: 'wasm' });
    assert.ok(err instanceof ConfigError);
    assert.match(
      err.message,
      /needs at least [\d.]+ GiB .* the wasm backend has 4\.0 GiB: lower model\.dModel/,
    );
  });

  it('says which key to change when the context is too short', async () => {
    const err = await refusal({ model: { context: 3 }, backend: 'cpu' });
    assert.match(err.message, /model\.context 3 is shorter than prompt .*: raise model\.context to \d+/);
  });

  it('names the line of a dataset that is not UTF-8', () => {
    const file = path.join(dir, 'latin1.jsonl');
    const good = Buffer.from('{"prompt":"é=","answer":"1"}\n', 'utf8');
    const bad = Buffer.from('{"prompt":"caf\xe9=","answer":"2"}\n', 'latin1');
    fs.writeFileSync(file, Buffer.concat([good, good, bad]));
    assert.throws(
      () => readDataset(file),
      (err: unknown) =>
        err instanceof DatasetError && err.message === `${file}:3: not UTF-8 text (save the file as UTF-8)`,
    );
  });
});

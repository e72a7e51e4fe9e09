// `bnpo eval RUN_DIR`: loads the latest (or a chosen) checkpoint of a run and evaluates it on the held-out split.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RUN_FILES, RunInfoSchema } from '../protocol/runDir';
import { describeBackend, selectBackend } from '../trainer/backend';
import { Policy } from '../trainer/model';
import { Rng } from '../trainer/rng';
import { latestCheckpoint, readCheckpoint, readCheckpointMeta } from '../trainer/runWriter';
import { CharTokenizer } from '../trainer/tokenizer';
import { evaluate, loadTask, modelDims } from '../trainer/trainer';
import { parseCommandLine, UsageError } from './usage';

const HELP = `usage: bnpo eval RUN_DIR [--step N] [--temperature T] [--size N] [--backend NAME]`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      step: { type: 'string' },
      temperature: { type: 'string' },
      size: { type: 'string' },
      backend: { type: 'string' },
    },
    HELP,
    { positionals: true },
  );
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(HELP);
  const dir = path.resolve(positionals[0]!);
  const runFile = path.join(dir, RUN_FILES.run);
  if (!fs.existsSync(runFile)) throw new UsageError(`${dir}: not a run directory (no run.json)`);
  const info = RunInfoSchema.parse(JSON.parse(fs.readFileSync(runFile, 'utf8')));
  const ckpt =
    values.step !== undefined
      ? path.join(dir, RUN_FILES.checkpoints, `step-${values.step}`)
      : latestCheckpoint(dir);
  if (ckpt === null || !fs.existsSync(path.join(ckpt, 'meta.json'))) {
    throw new UsageError(
      `${dir}: no checkpoint${values.step !== undefined ? ` for step ${values.step}` : ''}`,
    );
  }
  let config = info.config;
  if (values.temperature !== undefined)
    config = { ...config, eval: { ...config.eval, temperature: Number(values.temperature) } };
  if (values.size !== undefined) config = { ...config, eval: { ...config.eval, size: Number(values.size) } };
  const baseDir = info.configFile !== null ? path.dirname(info.configFile) : process.cwd();
  const loaded = await loadTask(config, baseDir);
  const backend = await selectBackend((values.backend ?? config.backend) as typeof config.backend);
  process.stderr.write(describeBackend(backend) + '\n');
  const meta = readCheckpointMeta(ckpt);
  const tokenizer = new CharTokenizer(meta.vocab);
  // The checkpoint's own position table fixes the context, whatever the task's current defaults say.
  const context = meta.weights.find((w) => w.name === 'wpe')?.shape[0];
  const dims = {
    ...modelDims(config, loaded.task, tokenizer.size),
    ...(context !== undefined ? { context } : {}),
  };
  const policy = new Policy(dims, new Rng(0));
  const params = [...policy.params.values()];
  const data = readCheckpoint(
    ckpt,
    params.map((p) => p.size),
  );
  tf.tidy(() => params.forEach((p, i) => p.assign(tf.tensor(data.weights[i]!, p.shape))));
  const r = await evaluate(policy, loaded, config, data.meta.step, tokenizer);
  policy.dispose();
  process.stdout.write(
    JSON.stringify(
      {
        run: dir,
        checkpoint: path.basename(ckpt),
        step: data.meta.step,
        accuracy: r.accuracy,
        rewards: r.rewards,
        temperature: config.eval.temperature,
        size: Math.min(config.eval.size, loaded.task.heldOut.length),
      },
      null,
      2,
    ) + '\n',
  );
  for (const e of r.examples)
    process.stdout.write(`${e.correct ? '✓' : '✗'} ${e.prompt}${e.completion}   (answer ${e.answer})\n`);
  return 0;
}

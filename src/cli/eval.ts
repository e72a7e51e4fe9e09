// `bnpo eval RUN_DIR`: loads the latest (or a chosen) checkpoint of a run and evaluates it on the held-out split.
import * as path from 'node:path';
import type { RunConfig } from '../protocol/runConfig';
import { checkpointProblem, readCheckpointMeta, selectCheckpoint } from '../runDir/checkpoints';
import { checkpointName, checkpointsDir } from '../runDir/layout';
import { requireRunInfo } from '../runDir/runInfo';
import { describeBackend, selectBackend } from '../trainer/backend';
import { loadCheckpointWeights } from '../trainer/checkpointWeights';
import { policySource } from '../trainer/policySource';
import { Rng } from '../trainer/rng';
import { pinnedConfig } from '../trainer/runHandle';
import { evaluate, loadTask } from '../trainer/trainer';
import { parseRunCommand, UsageError } from './usage';
import { explainUserErrors } from './userErrors';

const HELP = `usage: bnpo eval RUN_DIR [--step N] [--temperature T] [--size N] [--backend NAME]`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseRunCommand(
    argv,
    {
      step: { type: 'string' },
      temperature: { type: 'string' },
      size: { type: 'string' },
      backend: { type: 'string' },
    },
    HELP,
  );
  if (parsed === undefined) return 0;
  return explainUserErrors(() => evaluateRun(parsed.runDir, parsed.values));
}

/** The checkpoint to evaluate: step N when asked (it must be valid), else the newest valid one. */
export function chooseCheckpoint(dir: string, step: string | undefined): string {
  if (step === undefined) {
    const choice = selectCheckpoint(dir);
    if (choice.chosen === null) throw new UsageError(`${dir}: ${choice.reason}`);
    return choice.chosen.dir;
  }
  if (!/^\d+$/.test(step)) throw new UsageError(`--step must be a whole number, got '${step}'`);
  const ckpt = path.join(checkpointsDir(dir), checkpointName(Number(step)));
  const problem = checkpointProblem(ckpt);
  if (problem !== null) throw new UsageError(`${dir}: no usable checkpoint for step ${step}: ${problem}`);
  return ckpt;
}

/** `--temperature` (>= 0) and `--size` (a whole number >= 1) over the run's own evaluation settings. */
function evalSettings(
  config: RunConfig,
  temperature: string | undefined,
  size: string | undefined,
): RunConfig {
  let out = config;
  if (temperature !== undefined) {
    const t = Number(temperature);
    if (temperature.trim() === '' || !Number.isFinite(t) || t < 0)
      throw new UsageError(`--temperature must be a number >= 0 (0 = greedy), got '${temperature}'`);
    out = { ...out, eval: { ...out.eval, temperature: t } };
  }
  if (size !== undefined) {
    if (!/^\d+$/.test(size) || Number(size) < 1)
      throw new UsageError(`--size must be a whole number >= 1, got '${size}'`);
    out = { ...out, eval: { ...out.eval, size: Number(size) } };
  }
  return out;
}

async function evaluateRun(
  dir: string,
  values: { step?: string; temperature?: string; size?: string; backend?: string },
): Promise<number> {
  const info = requireRunInfo(dir);
  const ckpt = chooseCheckpoint(dir, values.step);
  const config = evalSettings(info.config, values.temperature, values.size);
  const baseDir = info.configFile !== null ? path.dirname(info.configFile) : process.cwd();
  const loaded = await loadTask(
    info.inputs !== undefined ? pinnedConfig(config, info.inputs) : config,
    baseDir,
  );
  const requested = (values.backend ?? config.backend) as typeof config.backend;
  const backend = await selectBackend(requested);
  process.stderr.write(describeBackend(backend) + '\n');
  const source = await policySource(config, loaded, baseDir, requested);
  const { policy, tokenizer } = source.build(new Rng(0), readCheckpointMeta(ckpt));
  const data = loadCheckpointWeights(policy.params, ckpt);
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

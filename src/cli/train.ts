// `bnpo train`: starts a run (or resumes one) and prints progress; also the child process the host forks.
import * as path from 'node:path';
import { ESTIMATOR_NAMES } from '../core/estimators';
import {
  BACKEND_NAMES,
  RunConfigSchema,
  TASK_NAMES,
  type RunConfig,
  type RunConfigInput,
} from '../protocol/runConfig';
import { isRunDir } from '../runDir/layout';
import { Progress } from '../trainer/progress';
import { train } from '../trainer/trainer';
import { parseCommandLine, UsageError } from './usage';
import { readConfigSource } from './configFile';
import { explainUserErrors } from './userErrors';

const HELP = `usage: bnpo train [--config FILE] [--task NAME | --dataset FILE --rules FILE] [--model DIR] [--estimator NAME] [--steps N] [--backend NAME] [--seed S] [--out DIR]
       bnpo train --resume RUN_DIR [--steps N] [--accept-changed-inputs]

  --config FILE     run configuration (JSON with comments): every key in docs/run-config.md,
                    an example in media/examples/reverse.bnporun.json
  --task NAME       built-in task: ${TASK_NAMES.join(', ')}
  --dataset FILE    train on your own JSONL prompts instead (line format: docs/datasets.md)
  --rules FILE      reward-rule file (*.rewards.json); required with --dataset
  --model DIR       fine-tune this Hugging Face model folder (LoRA unless the config says otherwise;
                    docs/models.md) instead of the built-in transformer
  --estimator NAME  ${ESTIMATOR_NAMES.join(', ')}
  --steps N         RL steps
  --backend NAME    ${BACKEND_NAMES.join(', ')}
  --seed S          seed for data, initialisation and sampling
  --out DIR         runs folder (default .bnpo/runs); each run is a new folder inside it
  --resume RUN_DIR  continue a stopped or killed run from its newest valid checkpoint, on the very files it
                    started with (run.json pins their paths and SHA-256); with --steps N, extend it to N steps
  --accept-changed-inputs
                    resume even though the rules or dataset file changed (recorded in run.json)
  --debug           show the stack of an unexpected error`;

/** Reads and validates a config file; problems name the file, line, column and field. */
export function readConfigFile(file: string): RunConfigInput {
  return readConfigSource(file, 'config', RunConfigSchema).value as RunConfigInput;
}

/** A whole number >= 0 from option `--name`. */
function wholeNumber(name: string, text: string): number {
  if (!/^\d+$/.test(text))
    throw new UsageError(`--${name} must be a whole number (0 or more), got '${text}'`);
  return Number(text);
}

export async function run(argv: string[]): Promise<number> {
  const cli = parseCommandLine(
    argv,
    {
      config: { type: 'string' },
      task: { type: 'string' },
      dataset: { type: 'string' },
      rules: { type: 'string' },
      model: { type: 'string' },
      estimator: { type: 'string' },
      steps: { type: 'string' },
      backend: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'string' },
      'accept-changed-inputs': { type: 'boolean' },
    },
    HELP,
  );
  if (cli === undefined) return 0;
  const { values } = cli;
  const progress = new Progress(process.stdout);
  const steps = values.steps !== undefined ? wholeNumber('steps', values.steps) : undefined;
  if (values.resume !== undefined) {
    const others = (['config', 'task', 'model', 'estimator', 'backend', 'seed', 'out'] as const).filter(
      (k) => values[k] !== undefined,
    );
    if (others.length > 0)
      throw new UsageError(`--resume continues a run as it was configured: --${others[0]} cannot change it`);
    const dir = path.resolve(values.resume);
    if (!isRunDir(dir)) throw new UsageError(`${dir}: not a run directory (no run.json)`);
    const result = await explainUserErrors(() =>
      train({
        config: RunConfigSchema.parse({}),
        configFile: null,
        baseDir: process.cwd(),
        runsDir: path.dirname(dir),
        resumeDir: dir,
        resume: {
          ...(steps !== undefined ? { steps } : {}),
          acceptChangedInputs: values['accept-changed-inputs'] === true,
        },
        reporters: [progress],
      }),
    );
    return progress.summary(result);
  }
  if (values['accept-changed-inputs'] === true)
    throw new UsageError('--accept-changed-inputs goes with --resume');
  const input: Record<string, unknown> =
    values.config !== undefined ? { ...readConfigFile(values.config) } : {};
  if (values.task !== undefined) input.task = values.task;
  // command-line paths are the user's, relative to the current folder (a config's are relative to the config)
  if (values.dataset !== undefined) input.dataset = { train: path.resolve(values.dataset) };
  if (values.rules !== undefined) input.rules = path.resolve(values.rules);
  if (values.model !== undefined) {
    const model = typeof input.model === 'object' && input.model !== null ? input.model : {};
    input.model = { ...model, path: path.resolve(values.model) };
  }
  if (values.estimator !== undefined) input.estimator = values.estimator;
  if (steps !== undefined) input.steps = steps;
  if (values.backend !== undefined) input.backend = values.backend;
  if (values.seed !== undefined) input.seed = wholeNumber('seed', values.seed);
  const parsed = RunConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('\n'),
    );
  }
  const config: RunConfig = parsed.data;
  const baseDir = values.config !== undefined ? path.dirname(path.resolve(values.config)) : process.cwd();
  // A bad dataset line, rule file or config is reported (file:line) before any run folder exists.
  const result = await explainUserErrors(() =>
    train({
      config,
      configFile: values.config !== undefined ? path.resolve(values.config) : null,
      baseDir,
      runsDir: path.resolve(values.out ?? path.join('.bnpo', 'runs')),
      reporters: [progress],
    }),
  );
  return progress.summary(result);
}

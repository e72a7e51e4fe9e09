// `bnpo train`: starts a run (or resumes one) and prints progress; also the child process the host forks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTree, findNodeAtLocation, parse as parseJsonc, type ParseError } from 'jsonc-parser';
import { ESTIMATOR_NAMES } from '../core/estimators';
import { findDeepNesting, formatNestingProblem } from '../core/jsonNesting';
import {
  BACKEND_NAMES,
  RunConfigSchema,
  TASK_NAMES,
  type RunConfig,
  type RunConfigInput,
} from '../protocol/runConfig';
import { Progress } from '../trainer/progress';
import { RulesFileError } from '../trainer/rulesFile';
import { DatasetError } from '../trainer/tasks';
import { loadTask, train } from '../trainer/trainer';
import { parseCommandLine, UsageError } from './usage';

const HELP = `usage: bnpo train [--config FILE] [--task NAME | --dataset FILE --rules FILE] [--estimator NAME] [--steps N] [--backend NAME] [--seed S] [--out DIR]
       bnpo train --resume RUN_DIR

  --config FILE     run configuration (JSON with comments): every key in docs/run-config.md,
                    an example in media/examples/reverse.bnporun.json
  --task NAME       built-in task: ${TASK_NAMES.join(', ')}
  --dataset FILE    train on your own JSONL prompts instead (line format: docs/datasets.md)
  --rules FILE      reward-rule file (*.rewards.json); required with --dataset
  --estimator NAME  ${ESTIMATOR_NAMES.join(', ')}
  --steps N         RL steps
  --backend NAME    ${BACKEND_NAMES.join(', ')}
  --seed S          seed for data, initialisation and sampling
  --out DIR         runs folder (default .bnpo/runs); each run is a new folder inside it
  --resume RUN_DIR  continue a stopped or killed run from its latest checkpoint`;

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/** Reads and validates a config file; problems name the file, line, column and field. */
export function readConfigFile(file: string): RunConfigInput {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: cannot read the config: ${(err as Error).message}`);
  }
  const deep = findDeepNesting(text);
  if (deep !== undefined) throw new UsageError(formatNestingProblem(file, deep));
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) throw new UsageError(`${file}:${lineCol(text, errors[0]!.offset)}: not valid JSON`);
  const parsed = RunConfigSchema.safeParse(value);
  if (!parsed.success) {
    const tree = parseTree(text);
    const lines = parsed.error.issues.map((i) => {
      const where = tree ? findNodeAtLocation(tree, i.path as (string | number)[]) : undefined;
      const field = i.path.length > 0 ? i.path.join('.') : '(root)';
      return `${file}:${where ? lineCol(text, where.offset) : '1:1'}: ${field}: ${i.message}`;
    });
    throw new UsageError(lines.join('\n'));
  }
  return value as RunConfigInput;
}

export async function run(argv: string[]): Promise<number> {
  const cli = parseCommandLine(
    argv,
    {
      config: { type: 'string' },
      task: { type: 'string' },
      dataset: { type: 'string' },
      rules: { type: 'string' },
      estimator: { type: 'string' },
      steps: { type: 'string' },
      backend: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'string' },
    },
    HELP,
  );
  if (cli === undefined) return 0;
  const { values } = cli;
  const progress = new Progress(process.stdout);
  if (values.resume !== undefined) {
    const dir = path.resolve(values.resume);
    if (!fs.existsSync(path.join(dir, 'run.json')))
      throw new UsageError(`${dir}: not a run directory (no run.json)`);
    const result = await train({
      config: RunConfigSchema.parse({}),
      configFile: null,
      baseDir: process.cwd(),
      runsDir: path.dirname(dir),
      resumeDir: dir,
      onProgress: (e) => progress.update(e),
      onLog: (l) => progress.log(l),
    });
    return progress.summary(result);
  }
  const input: Record<string, unknown> =
    values.config !== undefined ? { ...readConfigFile(values.config) } : {};
  const int = (name: string, text: string) => {
    if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, got '${text}'`);
    return Number(text);
  };
  if (values.task !== undefined) input.task = values.task;
  // command-line paths are the user's, relative to the current folder (a config's are relative to the config)
  if (values.dataset !== undefined) input.dataset = { train: path.resolve(values.dataset) };
  if (values.rules !== undefined) input.rules = path.resolve(values.rules);
  if (values.estimator !== undefined) input.estimator = values.estimator;
  if (values.steps !== undefined) input.steps = int('steps', values.steps);
  if (values.backend !== undefined) input.backend = values.backend;
  if (values.seed !== undefined) input.seed = int('seed', values.seed);
  const parsed = RunConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('\n'),
    );
  }
  const config: RunConfig = parsed.data;
  const baseDir = values.config !== undefined ? path.dirname(path.resolve(values.config)) : process.cwd();
  // A bad dataset line or rule file is the user's input: report it (file:line) and start no run at all.
  try {
    await loadTask(config, baseDir);
  } catch (err) {
    if (err instanceof DatasetError || err instanceof RulesFileError) throw new UsageError(err.message);
    throw err;
  }
  const result = await train({
    config,
    configFile: values.config !== undefined ? path.resolve(values.config) : null,
    baseDir,
    runsDir: path.resolve(values.out ?? path.join('.bnpo', 'runs')),
    onProgress: (e) => progress.update(e),
    onLog: (l) => progress.log(l),
  });
  return progress.summary(result);
}

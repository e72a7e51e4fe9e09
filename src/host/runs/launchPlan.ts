// What a launch is, decided without VS Code: the trainer's arguments, its environment and the configuration the
// palette's choices produce. The run manager executes it.
import * as path from 'node:path';
import type { EstimatorName } from '../../core/estimators';
import type { BackendName, RunConfigInput, TaskName } from '../../protocol/runConfig';
import { RUN_CONFIG_FILE_SUFFIX } from '../../protocol/runConfigJsonSchema';
import type { EnvPolicy } from '../process/supervisor';
import { buildEnv } from '../process/supervisor';
import { modelName } from './hfCache';

export type LaunchRequest =
  | { readonly kind: 'config'; readonly configFile: string }
  | { readonly kind: 'resume'; readonly runDir: string };

/** Arguments for `node dist/cli.js …`: a new run writes into `runsFolder`, a resume into its own folder. */
export function trainArgs(cli: string, request: LaunchRequest, runsFolder: string): string[] {
  return request.kind === 'config'
    ? [cli, 'train', '--config', request.configFile, '--out', runsFolder]
    : [cli, 'train', '--resume', request.runDir];
}

/**
 * The trainer's environment, an allow-list: the extension host's own variables (its NODE_OPTIONS, its VSCODE_* IPC
 * handles, a debugger's hooks) must not leak into the child. In desktop VS Code process.execPath is Electron's
 * binary; ELECTRON_RUN_AS_NODE makes it behave as plain Node.
 */
export const TRAINER_ENV: EnvPolicy = {
  allow:
    /^(PATH|HOME|USER|USERPROFILE|LANG|LC_[A-Z]+|TZ|TMPDIR|TEMP|TMP|SYSTEMROOT|CUDA_[A-Z_]+|LD_LIBRARY_PATH|NVIDIA_[A-Z_]+|VK_[A-Z_]+|BNPO_[A-Z_]+)$/,
  set: { ELECTRON_RUN_AS_NODE: '1' },
};

/** What the trainer sees of `base`. */
export function trainEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return buildEnv(base, TRAINER_ENV);
}

export type RunSize = 'quick' | 'full';

/** A tiny model and a short run: minutes on a laptop CPU, for trying the studio or a rule change. */
export const QUICK_RUN: RunConfigInput = {
  steps: 40,
  groupSize: 4,
  promptsPerStep: 8,
  model: { dModel: 32, layers: 1, heads: 2, mlpRatio: 2 },
  sft: { maxSteps: 120, batchSize: 32, evalEvery: 20 },
  eval: { every: 5, size: 50 },
  sampleEvery: 2,
  checkpointEvery: 5,
};

export interface LaunchPicks {
  readonly source: { readonly task: TaskName } | { readonly dataset: string };
  /** Absolute path of a rules file; undefined: the task's built-in rules. */
  readonly rules: string | undefined;
  readonly estimator: EstimatorName;
  readonly backend: BackendName;
  readonly size: RunSize;
  /** A Hugging Face model folder (absolute); undefined: the built-in demo model. */
  readonly model?: string | undefined;
}

/** The run configuration the palette's choices describe (written to a file so it can be edited and relaunched). */
export function configFromPicks(picks: LaunchPicks): RunConfigInput {
  const config: RunConfigInput = {
    ...(picks.size === 'quick' ? QUICK_RUN : {}),
    estimator: picks.estimator,
    backend: picks.backend,
  };
  if ('task' in picks.source) config.task = picks.source.task;
  else config.dataset = { train: picks.source.dataset };
  if (picks.rules !== undefined) config.rules = picks.rules;
  // A model folder replaces the built-in model's sizes; LoRA is the default for it.
  if (picks.model !== undefined) config.model = { path: picks.model };
  return config;
}

/** `<folder>/<task or dataset>[-<model folder>]-<estimator>[-quick].bnporun.json`. */
export function configFileFor(folder: string, picks: LaunchPicks): string {
  const source = 'task' in picks.source ? picks.source.task : path.basename(picks.source.dataset, '.jsonl');
  const model = picks.model === undefined ? '' : `-${modelName(picks.model)}`;
  const name = `${source}${model}-${picks.estimator}${picks.size === 'quick' ? '-quick' : ''}`.replace(
    /[^\w.-]+/g,
    '_',
  );
  return path.join(folder, `${name}${RUN_CONFIG_FILE_SUFFIX}`);
}

// What a run needs before its first step: the task, its reward rules, the rule that counts as "correct", and the
// model's dimensions checked against the task's lengths.
import * as path from 'node:path';
import type { CompiledRules } from '../core/rules/engine';
import { builtinTaskOf, type RunConfig } from '../protocol/runConfig';
import type { ModelDims } from './model';
import { loadRulesFile } from './rulesFile';
import { builtinTask, datasetTask, type TaskSource } from './tasks';

export interface LoadedTask {
  readonly task: TaskSource;
  readonly rules: CompiledRules;
  readonly rulesFile: string;
  readonly accuracyRule: string;
}

/** Thrown for a configuration that cannot train (the user's to fix): the CLI prints it on one line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The task, its rules and the rule that counts as "correct" (first `answer` rule, else the first reward rule). */
export async function loadTask(config: RunConfig, baseDir: string): Promise<LoadedTask> {
  const builtin = builtinTaskOf(config);
  const task =
    builtin === undefined
      ? datasetTask(config.dataset!, baseDir, config.maxNewTokens)
      : builtinTask(builtin, config.digits);
  const rulesFile = config.rules !== undefined ? path.resolve(baseDir, config.rules) : task.defaultRules;
  if (rulesFile === null) throw new ConfigError('a dataset needs a reward-rule file (`rules`)');
  const fields =
    config.dataset !== undefined
      ? [...new Set(task.heldOut.flatMap((e) => Object.keys(e.sample)))]
      : undefined;
  const loaded = await loadRulesFile(rulesFile, fields);
  const compiled = loaded.compiled;
  if (compiled.names.length === 0)
    throw new ConfigError(`${rulesFile}: no rule is a reward (every rule has "reward": false)`);
  const answer = compiled.rules.rules.find((r) => r.reward && r.kind === 'answer');
  return { task, rules: compiled, rulesFile, accuracyRule: answer?.name ?? compiled.names[0]! };
}

export function modelDims(config: RunConfig, task: TaskSource, vocab: number): ModelDims {
  const maxNew = config.maxNewTokens ?? task.maxNew;
  const needed = task.maxPrompt + maxNew;
  const context = config.model.context ?? needed;
  if (context < needed) {
    throw new ConfigError(
      `model.context ${context} is shorter than prompt (${task.maxPrompt}) + completion (${maxNew}): ` +
        `raise model.context to ${needed}, or shorten the prompts or maxNewTokens`,
    );
  }
  return { ...config.model, vocab, context };
}

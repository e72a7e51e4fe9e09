// A `*.trl.json` run config → the command line of engines/trl's entry (`python -m bnpo_trl.launch`), with every
// path resolved against the config file's folder and a run folder under the runs root the studio follows.
// No VS Code here: unit-tested.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfigText, ConfigFileError } from '../../core/configText';
import type { TrlRunConfig } from '../../protocol/trl';
import { TrlRunConfigSchema } from '../../protocol/trl';
import { verlRunId } from '../../verl/command';

export const TRL_ENTRY_MODULE = 'bnpo_trl.launch';

/** A problem with a TRL config file, `file:line:col: field: message` when the place is known. */
export class TrlConfigError extends ConfigFileError {
  override readonly name = 'TrlConfigError';
}

/** Parses and validates a `*.trl.json` text (comments and trailing commas allowed); throws TrlConfigError. */
export function parseTrlConfig(text: string, file: string): TrlRunConfig {
  return parseConfigText(text, file, TrlRunConfigSchema, TrlConfigError);
}

export interface TrlCommand {
  readonly runId: string;
  readonly runDir: string;
  readonly argv: readonly string[];
  /** Set on top of the allowed environment. */
  readonly env: Readonly<Record<string, string>>;
}

export interface TrlCommandOptions {
  /** The config file's folder: relative paths in it resolve here, and the process runs here. */
  readonly baseDir: string;
  /** Absolute runs root (`bnpo.runsFolder`). */
  readonly runsFolder: string;
  /** The Python of a venv with bnpo-trl installed (`bnpo.trl.python`). */
  readonly python: string;
  /** BNPO Studio's CLI (`bnpo rules serve` scores the rules). */
  readonly cli: string;
  readonly now: Date;
}

/** A model is a folder when one exists there (relative to the config); otherwise a hub id, passed as written. */
function modelArg(model: string, baseDir: string): string {
  const local = path.resolve(baseDir, model);
  return path.isAbsolute(model) || fs.existsSync(local) ? local : model;
}

export function buildTrlCommand(config: TrlRunConfig, options: TrlCommandOptions): TrlCommand {
  const runId = verlRunId(config.name, options.now);
  const runDir = path.join(options.runsFolder, runId);
  const at = (file: string): string => path.resolve(options.baseDir, file);
  const argv = [
    options.python,
    '-m',
    TRL_ENTRY_MODULE,
    ...['--model', modelArg(config.model, options.baseDir)],
    ...['--dataset', at(config.dataset)],
    ...['--rules', at(config.rules)],
    ...['--run-dir', runDir],
    ...['--cli', options.cli],
    ...['--name', config.name],
    ...['--steps', String(config.steps)],
    ...['--group-size', String(config.groupSize)],
    ...['--prompts-per-step', String(config.promptsPerStep)],
    ...['--lr', String(config.lr)],
    ...['--max-completion-length', String(config.maxCompletionLength)],
    ...['--temperature', String(config.temperature)],
    ...['--seed', String(config.seed)],
    ...['--sample-every', String(config.sampleEvery)],
    ...(config.cpu ? ['--cpu'] : []),
  ];
  // Unbuffered, so each line reaches the log channel as it is printed.
  return { runId, runDir, argv, env: { PYTHONUNBUFFERED: '1', BNPO_CLI: options.cli } };
}

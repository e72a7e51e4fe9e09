// Loads a reward-rule file for a run or a CLI command. A file with any error never starts a run: the error
// names the file, line and column of each problem.
import { readFile } from 'node:fs/promises';
import type { CompiledRules } from '../core/rules/engine';
import { compileRules } from '../core/rules/engine';
import type { RuleDiagnostic } from '../core/rules/check';
import { checkRulesText, formatDiagnostic } from '../core/rules/check';
import type { RewardRules } from '../core/rules/schema';

export interface LoadedRules {
  path: string;
  rules: RewardRules;
  compiled: CompiledRules;
  /** warnings as `file:line:col: warning: message`; they do not stop a run */
  warnings: string[];
}

/** Thrown when a rule file cannot be read or has errors; the message is `file:line:col: error: message` lines. */
export class RulesFileError extends Error {
  override readonly name = 'RulesFileError';
  constructor(
    readonly file: string,
    readonly diagnostics: readonly RuleDiagnostic[],
    message: string,
  ) {
    super(message);
  }
}

export async function loadRulesFile(file: string, datasetFields?: readonly string[]): Promise<LoadedRules> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new RulesFileError(file, [], `${file}: cannot read the reward-rule file: ${reason}`);
  }
  return loadRulesText(file, text, datasetFields);
}

/** The same checks on text already in memory (e.g. a rule file shipped inside the bundle). */
export function loadRulesText(file: string, text: string, datasetFields?: readonly string[]): LoadedRules {
  const options = datasetFields === undefined ? {} : { datasetFields };
  const { rules, diagnostics } = checkRulesText(text, options);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (rules === undefined || errors.length > 0) {
    throw new RulesFileError(file, errors, errors.map((d) => formatDiagnostic(file, d)).join('\n'));
  }
  return {
    path: file,
    rules,
    compiled: compileRules(rules),
    warnings: diagnostics.filter((d) => d.severity === 'warning').map((d) => formatDiagnostic(file, d)),
  };
}

// Errors the user causes and can fix (a bad dataset line, rules file or config; a locked, corrupt or finished
// run; a model folder that cannot be read or trained): the CLI prints them as one line and exits 2. Anything else is a bug and keeps its stack (with --debug).
import { RunDirError } from '../runDir/errors';
import { RulesFileError } from '../trainer/rulesFile';
import { isModelProblem } from '../trainer/policySource';
import { ConfigError } from '../trainer/setup';
import { DatasetError } from '../trainer/tasks';
import { UsageError } from './usage';

export async function explainUserErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (
      err instanceof DatasetError ||
      err instanceof RulesFileError ||
      err instanceof ConfigError ||
      err instanceof RunDirError ||
      isModelProblem(err)
    )
      throw new UsageError(err.message);
    throw err;
  }
}

// `bnpo verl command --config FILE`: print the verl command line (with the bnpo_verl plug-in loaded) that
// "BNPO: Launch on verl…" would run, so it can be run by hand, in a batch script or on a cluster head node.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseVerlConfig, VerlConfigError } from '../verl/configFile';
import { buildVerlCommand, verlRunDir, verlRunId } from '../verl/command';
import { parseCommandLine, UsageError } from './usage';

export const USAGE = `usage: bnpo verl command --config FILE [--run-dir DIR] [--run-id ID] [--json]

Prints the command that runs a verl config (*.verl.json): verl.trainer.main_ppo with the bnpo_verl plug-in
(estimator bnpo_beta, rules scored by \`bnpo rules serve\`, the run directory written by the \`bnpo\` tracking
backend), locally or as \`ray job submit\` when the config's launch.mode is "ray".

options:
  --config FILE   the verl run config
  --run-dir DIR   run directory the plug-in writes (default: the config's runDir, else .bnpo/runs/<run id>)
  --run-id ID     verl experiment name (default: <name>-<UTC time>)
  --json          print {"mode", "argv", "env", "pluginEnv", "overrides", "shell"} instead of the shell form
  -h, --help      print this help

Note: "bnpo" here is Beta Normalization Policy Optimization, not TRL's batch-normalized loss_type="bnpo".
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      config: { type: 'string' },
      'run-dir': { type: 'string' },
      'run-id': { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
    { positionals: true },
  );
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [sub, extra] = positionals;
  if (sub !== 'command' || extra !== undefined) {
    throw new UsageError(
      sub === undefined ? 'missing sub-command: command' : `unknown sub-command '${positionals.join(' ')}'`,
    );
  }
  if (values.config === undefined) throw new UsageError('command needs --config FILE');
  const file = values.config;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --config ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let config;
  try {
    config = parseVerlConfig(text, file);
  } catch (err) {
    if (err instanceof VerlConfigError) {
      for (const p of err.problems.slice(1)) process.stderr.write(`${p}\n`);
      throw new UsageError(err.problems[0] ?? 'invalid config');
    }
    throw err;
  }
  const baseDir = path.dirname(path.resolve(file));
  const runId = values['run-id'] ?? verlRunId(config.name, new Date());
  const runDir =
    values['run-dir'] !== undefined
      ? path.resolve(values['run-dir'])
      : verlRunDir(config, { baseDir, runsFolder: path.resolve('.bnpo', 'runs'), runId });
  const command = buildVerlCommand(config, {
    runDir,
    runId,
    baseDir,
    defaultCli: path.resolve(__dirname, 'cli.js'),
    configFile: path.resolve(file),
  });
  process.stdout.write(values.json === true ? `${JSON.stringify(command)}\n` : `${command.shell}\n`);
  return 0;
}

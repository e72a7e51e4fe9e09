// "BNPO: Launch on TRL…": a *.trl.json run config → engines/trl's entry (`python -m bnpo_trl.launch`, trlCommand.ts)
// run by the venv's Python of `bnpo.trl.python`, as a supervised child process that writes a run folder under the
// runs root. The studio follows it like any other run; Stop reaches it through the supervisor.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TRL_CONFIG_SUFFIX } from '../../protocol/trl';
import { readConfig } from '../editorConfig';
import { PythonLauncher, pickConfigFile, readConfigOrReport, reportCrash } from '../process/pythonLaunch';
import type { Supervisor } from '../process/supervisor';
import { buildTrlCommand, parseTrlConfig } from './trlCommand';

/** A TRL step on a real model can take a while; Stop waits this long for it to end before SIGKILL. */
export const TRL_STOP_TIMEOUT_MS = 60_000;

export class TrlLauncher extends PythonLauncher {
  constructor(extensionUri: vscode.Uri, supervisor: Supervisor) {
    super(extensionUri, supervisor, 'BNPO TRL');
  }

  /** Starts the run; its run folder, or undefined when the user cancelled or the config is invalid. */
  async launch(arg?: vscode.Uri): Promise<string | undefined> {
    const uri = arg ?? (await pickConfig());
    if (uri === undefined) return undefined;
    const config = await readConfigOrReport(uri, parseTrlConfig, this.log);
    if (config === undefined) return undefined;
    const settings = readConfig(uri);
    const baseDir = path.dirname(uri.fsPath);
    const command = buildTrlCommand(config, {
      baseDir,
      runsFolder: settings.runsFolder,
      python: settings.trlPython,
      cli: this.cli,
      now: new Date(),
    });
    const label = `TRL run ${command.runId}`;
    const child = this.startPython({
      label,
      argv: command.argv,
      env: command.env,
      cwd: baseDir,
      stopTimeoutMs: TRL_STOP_TIMEOUT_MS,
      runDir: command.runDir,
    });
    void child.exit.then((exit) => reportCrash(this.log, label, exit));
    this.log.show(true);
    void vscode.window.showInformationMessage(`BNPO: ${label} started; it writes ${command.runDir}.`);
    return command.runDir;
  }
}

function pickConfig(): Promise<vscode.Uri | undefined> {
  return pickConfigFile({
    suffix: TRL_CONFIG_SUFFIX,
    title: 'BNPO: Launch on TRL: run config',
    placeHolder: `A ${TRL_CONFIG_SUFFIX} file (model, JSONL dataset, rules, G, prompts per step, steps, lr)`,
    browseLabel: 'Choose a TRL config file…',
    filterName: 'TRL run config',
    openLabel: 'Launch on TRL',
  });
}

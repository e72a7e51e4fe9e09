// "BNPO: Launch on verl…": a *.verl.json run config → verl's command line with the bnpo_verl plug-in loaded
// (src/verl/command.ts), run here as a supervised child process, submitted to a Ray cluster with
// `ray job submit`, or only shown. The plug-in writes the run directory, so the studio follows the run like any other.
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseVerlConfig } from '../../verl/configFile';
import type { VerlRunConfig } from '../../protocol/verl';
import type { VerlCommand } from '../../verl/command';
import { buildVerlCommand, verlRunDir, verlRunId } from '../../verl/command';
import { allowedByTrust } from '../commands';
import { readConfig } from '../editorConfig';
import { PythonLauncher, pickConfigFile, readConfigOrReport, reportCrash } from '../process/pythonLaunch';
import type { Supervisor } from '../process/supervisor';

export const VERL_CONFIG_SUFFIX = '.verl.json';
export const VERL_STOP_TIMEOUT_MS = 15_000;

type Action = 'run' | 'show';

/** Optional second argument of the command, for code lenses, keybindings and tests: skip the action pick. */
export interface LaunchOnVerlOptions {
  readonly action?: Action;
}

/** Starts verl runs through the extension's supervisor; they survive a window reload like the trainer does. */
export class VerlLauncher extends PythonLauncher {
  constructor(extensionUri: vscode.Uri, supervisor: Supervisor) {
    super(extensionUri, supervisor, 'BNPO verl');
  }

  async launch(arg?: vscode.Uri, options: LaunchOnVerlOptions = {}): Promise<void> {
    const uri = arg ?? (await pickConfig());
    if (uri === undefined) return;
    const config = await this.readConfigFile(uri);
    if (config === undefined) return;
    const action = options.action ?? (await pickAction(config));
    if (action === undefined) return;
    const runId = verlRunId(config.name, new Date());
    const baseDir = path.dirname(uri.fsPath);
    const runDir = verlRunDir(config, { baseDir, runsFolder: readConfig(uri).runsFolder, runId });
    const command = buildVerlCommand(config, {
      runDir,
      runId,
      baseDir,
      defaultCli: this.cli,
      configFile: uri.fsPath,
    });
    if (action === 'show') {
      await showCommand(command, uri);
      return;
    }
    if (!allowedByTrust('runVerl')) return;
    mkdirSync(runDir, { recursive: true });
    const label = command.mode === 'local' ? `verl run ${runId}` : `ray job submit for ${runId}`;
    const child = this.startPython({
      label,
      argv: command.argv,
      env: command.env,
      cwd: baseDir,
      stopTimeoutMs: VERL_STOP_TIMEOUT_MS,
      // A local driver serves the run folder (Stop in the Runs view reaches its process group); `ray job submit`
      // only hands the job to the cluster, whose driver runs elsewhere.
      ...(command.mode === 'local' ? { runDir } : {}),
    });
    void child.exit.then((exit) => {
      if (command.mode === 'ray' && exit.code === 0) {
        void vscode.window.showInformationMessage(
          `BNPO: submitted ${runId} to ${config.launch.mode === 'ray' ? config.launch.address : 'Ray'}; the studio follows ${runDir}.`,
        );
      } else reportCrash(this.log, label, exit);
    });
    this.log.show(true);
    void vscode.window.showInformationMessage(
      command.mode === 'local'
        ? `BNPO: verl run ${runId} started; it writes ${runDir}.`
        : `BNPO: submitting ${runId} with ray job submit…`,
    );
  }

  private readConfigFile(uri: vscode.Uri): Promise<VerlRunConfig | undefined> {
    return readConfigOrReport(uri, parseVerlConfig, this.log);
  }
}

function pickConfig(): Promise<vscode.Uri | undefined> {
  return pickConfigFile({
    suffix: VERL_CONFIG_SUFFIX,
    title: 'BNPO: Launch on verl (1/2): run config',
    placeHolder: `A ${VERL_CONFIG_SUFFIX} file (model, parquet data, rules, G, batch, lr, clip, nodes/GPUs)`,
    browseLabel: 'Choose a verl config file…',
    filterName: 'verl run config',
    openLabel: 'Launch on verl',
  });
}

async function pickAction(config: VerlRunConfig): Promise<Action | undefined> {
  const where =
    config.launch.mode === 'local'
      ? {
          label: '$(play) Run on this machine',
          detail: `python -m verl.trainer.main_ppo on ${config.nodes} node(s) × ${config.gpusPerNode} GPU(s)`,
        }
      : {
          label: '$(cloud-upload) Submit to the Ray cluster',
          detail: `ray job submit --address ${config.launch.address}`,
        };
  const items: (vscode.QuickPickItem & { action: Action })[] = [
    { ...where, action: 'run' },
    {
      label: '$(terminal) Show command',
      detail: 'Open the command line in an editor instead of running it',
      action: 'show',
    },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'BNPO: Launch on verl (2/2): what to do',
  });
  return picked?.action;
}

async function showCommand(command: VerlCommand, config: vscode.Uri): Promise<void> {
  const header = [
    `# verl command for ${vscode.workspace.asRelativePath(config)} (generated by BNPO Studio).`,
    '# Needs verl 0.7 and the bnpo_verl plug-in (engines/verl) where it runs; see docs/scale-out.md.',
    '',
  ];
  const doc = await vscode.workspace.openTextDocument({
    language: 'shellscript',
    content: `${header.join('\n')}${command.shell}\n`,
  });
  await vscode.window.showTextDocument(doc, { preview: false });
}

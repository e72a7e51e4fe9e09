// "BNPO: Launch on verl…": a *.verl.json run config → verl's command line with the bnpo_verl plug-in loaded
// (src/verl/command.ts), run here as a supervised child process, submitted to a Ray cluster with
// `ray job submit`, or only shown. The plug-in writes the run directory, so the studio follows the run like any other.
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseVerlConfig, VerlConfigError } from '../../verl/configFile';
import type { VerlRunConfig } from '../../protocol/verl';
import type { VerlCommand } from '../../verl/command';
import { buildVerlCommand, verlRunDir, verlRunId } from '../../verl/command';
import { Disposable } from '../disposable';
import { resolveSettingPath } from '../rules/datasetFields';
import { VerlProcess } from './verlProcess';

export const VERL_CONFIG_SUFFIX = '.verl.json';
export const LAUNCH_ON_VERL_COMMAND = 'bnpo.launchOnVerl';

type Action = 'run' | 'show';

/** Optional second argument of the command, for code lenses, keybindings and tests: skip the action pick. */
export interface LaunchOnVerlOptions {
  readonly action?: Action;
}

/** Everything verl runs started from this window; they are stopped (bounded) when the extension goes. */
export class VerlLauncher extends Disposable {
  private readonly log: vscode.LogOutputChannel;
  private readonly running = new Set<VerlProcess>();

  constructor(private readonly extensionUri: vscode.Uri) {
    super();
    this.log = this._register(vscode.window.createOutputChannel('BNPO verl', { log: true }));
    this._register({
      dispose: () => {
        for (const p of this.running) p.dispose();
        this.running.clear();
      },
    });
  }

  async launch(arg?: vscode.Uri, options: LaunchOnVerlOptions = {}): Promise<void> {
    const uri = arg ?? (await pickConfig());
    if (uri === undefined) return;
    let config: VerlRunConfig;
    try {
      config = parseVerlConfig(readFileSync(uri.fsPath, 'utf8'), uri.fsPath);
    } catch (err) {
      const problems =
        err instanceof VerlConfigError ? err.problems : [err instanceof Error ? err.message : String(err)];
      for (const p of problems) this.log.error(p);
      const choice = await vscode.window.showErrorMessage(
        `BNPO: ${problems[0] ?? 'invalid verl config'}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
        'Open Config',
        'Show Log',
      );
      if (choice === 'Open Config') await vscode.window.showTextDocument(uri);
      if (choice === 'Show Log') this.log.show(true);
      return;
    }
    const action = options.action ?? (await pickAction(config));
    if (action === undefined) return;
    const runId = verlRunId(config.name, new Date());
    const baseDir = path.dirname(uri.fsPath);
    const runsFolder = resolveSettingPath(
      vscode.workspace.getConfiguration('bnpo', uri).get<string>('runsFolder', '.bnpo/runs'),
      uri,
    );
    const runDir = verlRunDir(config, {
      baseDir,
      runsFolder: runsFolder ?? path.join(baseDir, '.bnpo', 'runs'),
      runId,
    });
    const command = buildVerlCommand(config, {
      runDir,
      runId,
      baseDir,
      defaultCli: vscode.Uri.joinPath(this.extensionUri, 'dist', 'cli.js').fsPath,
      configFile: uri.fsPath,
    });
    if (action === 'show') {
      await showCommand(command, uri);
      return;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage(
        'BNPO: launching verl runs code on this machine and is refused until the workspace is trusted. "Show command" works everywhere.',
      );
      return;
    }
    mkdirSync(runDir, { recursive: true });
    const label = command.mode === 'local' ? `verl run ${runId}` : `ray job submit for ${runId}`;
    const child = new VerlProcess({
      argv: command.argv,
      env: command.env,
      cwd: baseDir,
      label,
      log: this.log,
      onExit: (code) => {
        this.running.delete(child);
        if (command.mode === 'ray' && code === 0) {
          void vscode.window.showInformationMessage(
            `BNPO: submitted ${runId} to ${config.launch.mode === 'ray' ? config.launch.address : 'Ray'}; the studio follows ${runDir}.`,
          );
        }
      },
    });
    this.running.add(child);
    this.log.show(true);
    void vscode.window.showInformationMessage(
      command.mode === 'local'
        ? `BNPO: verl run ${runId} started; it writes ${runDir}.`
        : `BNPO: submitting ${runId} with ray job submit…`,
    );
  }
}

async function pickConfig(): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles(`**/*${VERL_CONFIG_SUFFIX}`, '**/node_modules/**', 50);
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri };
  const items: Item[] = found
    .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
    .map((uri) => ({ label: `$(settings) ${vscode.workspace.asRelativePath(uri)}`, uri }));
  items.push({ label: '$(folder-opened) Choose a verl config file…' });
  const picked = await vscode.window.showQuickPick(items, {
    title: 'BNPO: Launch on verl (1/2): run config',
    placeHolder: `A ${VERL_CONFIG_SUFFIX} file (model, parquet data, rules, G, batch, lr, clip, nodes/GPUs)`,
  });
  if (picked === undefined) return undefined;
  if (picked.uri !== undefined) return picked.uri;
  const chosen = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'verl run config': ['json'] },
    openLabel: 'Launch on verl',
  });
  return chosen?.[0];
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

/** Extension-scope registrations: the command and the launcher that owns the runs. */
export function registerVerl(context: vscode.ExtensionContext): vscode.Disposable[] {
  const launcher = new VerlLauncher(context.extensionUri);
  return [
    launcher,
    vscode.commands.registerCommand(
      LAUNCH_ON_VERL_COMMAND,
      (uri?: vscode.Uri, options?: LaunchOnVerlOptions) => launcher.launch(uri, options),
    ),
  ];
}

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
import { allowedByTrust } from '../commands';
import { Disposable } from '../disposable';
import { readConfig } from '../editorConfig';
import type { EnvPolicy, ExitInfo, Supervisor } from '../process/supervisor';

export const VERL_CONFIG_SUFFIX = '.verl.json';
export const VERL_STOP_TIMEOUT_MS = 15_000;
const LINES_IN_CRASH_REPORT = 5;

/**
 * What verl (Python, Ray, CUDA) may read of the editor's environment, besides what the plug-in needs (set on
 * top): the system, Python and virtualenv/conda, GPU and NCCL, Ray, Hugging Face caches and proxies. The extension
 * host's own variables (NODE_OPTIONS, VSCODE_*, ELECTRON_*) stay behind.
 */
const VERL_ENV_ALLOW =
  /^(PATH|HOME|USER|LOGNAME|SHELL|USERPROFILE|LANG|LC_[A-Z]+|TZ|TMPDIR|TEMP|TMP|SYSTEMROOT|LD_LIBRARY_PATH|PYTHON[A-Z_]*|VIRTUAL_ENV|CONDA_[A-Z_]+|CUDA_[A-Z_]+|NVIDIA_[A-Z_]+|NCCL_[A-Z_]+|ROCR?_[A-Z_]+|HIP_[A-Z_]+|RAY_[A-Z_]+|HF_[A-Z_]+|HUGGINGFACE_[A-Z_]+|TRANSFORMERS_[A-Z_]+|VLLM_[A-Z_]+|WANDB_[A-Z_]+|TOKENIZERS_PARALLELISM|OMP_NUM_THREADS|(HTTPS?|NO)_PROXY|(https?|no)_proxy|SSL_CERT_(FILE|DIR)|REQUESTS_CA_BUNDLE|BNPO_[A-Z_]+)$/;

export function verlEnv(pluginEnv: Readonly<Record<string, string>>): EnvPolicy {
  return { allow: VERL_ENV_ALLOW, set: pluginEnv };
}

type Action = 'run' | 'show';

/** Optional second argument of the command, for code lenses, keybindings and tests: skip the action pick. */
export interface LaunchOnVerlOptions {
  readonly action?: Action;
}

/** Starts verl runs through the extension's supervisor; they survive a window reload like the trainer does. */
export class VerlLauncher extends Disposable {
  private readonly log: vscode.LogOutputChannel;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly supervisor: Supervisor,
  ) {
    super();
    this.log = this._register(vscode.window.createOutputChannel('BNPO verl', { log: true }));
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
      defaultCli: vscode.Uri.joinPath(this.extensionUri, 'dist', 'cli.js').fsPath,
      configFile: uri.fsPath,
    });
    if (action === 'show') {
      await showCommand(command, uri);
      return;
    }
    if (!allowedByTrust('runVerl')) return;
    mkdirSync(runDir, { recursive: true });
    const label = command.mode === 'local' ? `verl run ${runId}` : `ray job submit for ${runId}`;
    const child = this.supervisor.start({
      label,
      argv: command.argv,
      runtime: 'exec',
      env: verlEnv(command.env),
      cwd: baseDir,
      stopTimeoutMs: VERL_STOP_TIMEOUT_MS,
      // A local driver serves the run folder (Stop in the Runs view reaches its process group); `ray job submit`
      // only hands the job to the cluster, whose driver runs elsewhere.
      ...(command.mode === 'local' ? { runDir } : {}),
      log: this.log,
    });
    void child.exit.then((exit) => {
      if (command.mode === 'ray' && exit.code === 0) {
        void vscode.window.showInformationMessage(
          `BNPO: submitted ${runId} to ${config.launch.mode === 'ray' ? config.launch.address : 'Ray'}; the studio follows ${runDir}.`,
        );
      } else this.reportCrash(label, exit);
    });
    this.log.show(true);
    void vscode.window.showInformationMessage(
      command.mode === 'local'
        ? `BNPO: verl run ${runId} started; it writes ${runDir}.`
        : `BNPO: submitting ${runId} with ray job submit…`,
    );
  }

  private async readConfigFile(uri: vscode.Uri): Promise<VerlRunConfig | undefined> {
    try {
      return parseVerlConfig(readFileSync(uri.fsPath, 'utf8'), uri.fsPath);
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
      return undefined;
    }
  }

  /** A crash, reported once with the last lines of its output; never restarted. */
  private reportCrash(label: string, exit: ExitInfo): void {
    if (exit.stopped || exit.code === 0) return;
    const why =
      exit.startError !== undefined
        ? `could not start: ${exit.startError}`
        : exit.signal !== null
          ? `was killed by ${exit.signal}`
          : `exited with status ${exit.code ?? '?'}`;
    this.log.error(`${label} ${why}`);
    const last = exit.lastLines.slice(-LINES_IN_CRASH_REPORT).join('\n');
    void vscode.window
      .showErrorMessage(`BNPO: ${label} ${why}.${last ? `\n${last}` : ''}`, 'Show Log')
      .then((choice) => {
        if (choice === 'Show Log') this.log.show(true);
      });
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

// What the launchers of Python engines (verl, TRL) share: the environment they may see, the config-file pick, and
// the two reports a user gets (a config that does not parse, a process that crashed). Never restarted.
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { ConfigFileError } from '../../core/configText';
import { Disposable } from '../disposable';
import type { EnvPolicy, ExitInfo, Supervised, Supervisor } from './supervisor';

const LINES_IN_CRASH_REPORT = 5;

/**
 * What a Python engine (Python, Ray, CUDA) may read of the editor's environment, besides what the launcher sets on
 * top: the system, Python and virtualenv/conda, GPU and NCCL, Ray, Hugging Face caches and proxies. The extension
 * host's own variables (NODE_OPTIONS, VSCODE_*, ELECTRON_*) stay behind.
 */
const PYTHON_ENV_ALLOW =
  /^(PATH|HOME|USER|LOGNAME|SHELL|USERPROFILE|LANG|LC_[A-Z]+|TZ|TMPDIR|TEMP|TMP|SYSTEMROOT|LD_LIBRARY_PATH|PYTHON[A-Z_]*|VIRTUAL_ENV|CONDA_[A-Z_]+|CUDA_[A-Z_]+|NVIDIA_[A-Z_]+|NCCL_[A-Z_]+|ROCR?_[A-Z_]+|HIP_[A-Z_]+|RAY_[A-Z_]+|HF_[A-Z_]+|HUGGINGFACE_[A-Z_]+|TRANSFORMERS_[A-Z_]+|VLLM_[A-Z_]+|WANDB_[A-Z_]+|TOKENIZERS_PARALLELISM|OMP_NUM_THREADS|(HTTPS?|NO)_PROXY|(https?|no)_proxy|SSL_CERT_(FILE|DIR)|REQUESTS_CA_BUNDLE|BNPO_[A-Z_]+)$/;

export function pythonEnv(set: Readonly<Record<string, string>>): EnvPolicy {
  return { allow: PYTHON_ENV_ALLOW, set };
}

/** What differs between two Python engines' processes; the rest of the launch spec is the same for both. */
export interface PythonProcess {
  readonly label: string;
  readonly argv: readonly string[];
  /** Set on top of the allowed environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly stopTimeoutMs: number;
  /** The run folder the process writes (Stop in the Runs view reaches it through the supervisor). */
  readonly runDir?: string;
}

/** A launcher of a Python engine: its own log channel, the one supervisor, and the extension's CLI. */
export abstract class PythonLauncher extends Disposable {
  protected readonly log: vscode.LogOutputChannel;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly supervisor: Supervisor,
    channel: string,
  ) {
    super();
    this.log = this._register(vscode.window.createOutputChannel(channel, { log: true }));
  }

  /** BNPO Studio's CLI as shipped with the extension (`bnpo rules serve` scores the rules). */
  protected get cli(): string {
    return vscode.Uri.joinPath(this.extensionUri, 'dist', 'cli.js').fsPath;
  }

  /** Starts the process through the supervisor: no message channel, the Python allow-list, this log. */
  protected startPython(spec: PythonProcess): Supervised {
    const { env, ...rest } = spec;
    return this.supervisor.start({ ...rest, runtime: 'exec', env: pythonEnv(env), log: this.log });
  }
}

export interface ConfigPick {
  /** `.verl.json`, `.trl.json` */
  readonly suffix: string;
  readonly title: string;
  readonly placeHolder: string;
  readonly browseLabel: string;
  readonly filterName: string;
  readonly openLabel: string;
}

/** A config file of the workspace (or one chosen on disk); undefined when the user cancels. */
export async function pickConfigFile(pick: ConfigPick): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles(`**/*${pick.suffix}`, '**/node_modules/**', 50);
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri };
  const items: Item[] = found
    .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
    .map((uri) => ({ label: `$(settings) ${vscode.workspace.asRelativePath(uri)}`, uri }));
  items.push({ label: `$(folder-opened) ${pick.browseLabel}` });
  const picked = await vscode.window.showQuickPick(items, {
    title: pick.title,
    placeHolder: pick.placeHolder,
  });
  if (picked === undefined) return undefined;
  if (picked.uri !== undefined) return picked.uri;
  const chosen = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { [pick.filterName]: ['json'] },
    openLabel: pick.openLabel,
  });
  return chosen?.[0];
}

/** Reads and parses a config file; its problems go to `log` and one error message, and the result is undefined. */
export async function readConfigOrReport<T>(
  uri: vscode.Uri,
  parse: (text: string, file: string) => T,
  log: vscode.LogOutputChannel,
): Promise<T | undefined> {
  try {
    return parse(readFileSync(uri.fsPath, 'utf8'), uri.fsPath);
  } catch (err) {
    const problems =
      err instanceof ConfigFileError ? err.problems : [err instanceof Error ? err.message : String(err)];
    for (const p of problems) log.error(p);
    const choice = await vscode.window.showErrorMessage(
      `BNPO: ${problems[0] ?? 'invalid config'}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      'Open Config',
      'Show Log',
    );
    if (choice === 'Open Config') await vscode.window.showTextDocument(uri);
    if (choice === 'Show Log') log.show(true);
    return undefined;
  }
}

/** A crash, reported once with the last lines of its output; a stop or a clean exit is no crash. */
export function reportCrash(log: vscode.LogOutputChannel, label: string, exit: ExitInfo): void {
  if (exit.stopped || exit.code === 0) return;
  const why =
    exit.startError !== undefined
      ? `could not start: ${exit.startError}`
      : exit.signal !== null
        ? `was killed by ${exit.signal}`
        : `exited with status ${exit.code ?? '?'}`;
  log.error(`${label} ${why}`);
  const last = exit.lastLines.slice(-LINES_IN_CRASH_REPORT).join('\n');
  void vscode.window
    .showErrorMessage(`BNPO: ${label} ${why}.${last ? `\n${last}` : ''}`, 'Show Log')
    .then((choice) => {
      if (choice === 'Show Log') log.show(true);
    });
}

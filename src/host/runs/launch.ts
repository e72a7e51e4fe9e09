// The palette's way to a launch: a run-config file from the workspace, or a built-in task / dataset with rules,
// estimator, backend and size chosen in quick picks (written to .bnpo/configs/ so the run can be edited and
// relaunched, and so run.json names the file it came from).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ESTIMATOR_NAMES, ESTIMATORS } from '../../core/estimators';
import { BACKEND_NAMES, DEFAULT_TASK, RunConfigSchema, TASK_NAMES } from '../../protocol/runConfig';
import type { BackendName, RunConfigInput, TaskName } from '../../protocol/runConfig';
import { RUN_CONFIG_FILE_SUFFIX } from '../../protocol/runConfigJsonSchema';
import { hfHubDir, isModelFolder, scanHfCache } from './hfCache';
import type { LaunchPicks, LaunchRequest, RunSize } from './launchPlan';
import { QUICK_RUN, configFileFor, configFromPicks } from './launchPlan';

const BACKEND_INFO: Record<BackendName, string> = {
  auto: 'best available: tensorflow (CUDA), webgpu, wasm, then cpu',
  tensorflow: '@tensorflow/tfjs-node(-gpu)',
  webgpu: 'WebGPU through Dawn (Vulkan GPUs)',
  wasm: 'WebAssembly with SIMD',
  cpu: 'plain JavaScript',
};

type SourceItem = vscode.QuickPickItem & {
  pick?: { config: vscode.Uri } | { task: TaskName } | 'dataset' | 'browse';
};

function relative(folder: vscode.Uri, uri: vscode.Uri): string {
  return path.relative(folder.fsPath, uri.fsPath) || path.basename(uri.fsPath);
}

/** Asks what to train; undefined when the user cancels. */
export async function pickLaunch(folder: vscode.Uri): Promise<LaunchRequest | undefined> {
  const configs = await vscode.workspace.findFiles(`**/*${RUN_CONFIG_FILE_SUFFIX}`, '**/node_modules/**', 50);
  const defaults = RunConfigSchema.parse({});
  const items: SourceItem[] = [];
  if (configs.length > 0) {
    items.push({ label: 'Run configurations', kind: vscode.QuickPickItemKind.Separator });
    for (const uri of configs.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
      items.push({
        label: `$(settings) ${relative(folder, uri)}`,
        description: 'run configuration',
        pick: { config: uri },
      });
    }
  }
  items.push({ label: 'Built-in tasks', kind: vscode.QuickPickItemKind.Separator });
  for (const task of TASK_NAMES) {
    items.push({
      label: `$(beaker) ${task}`,
      description: task === DEFAULT_TASK ? 'built-in task (default)' : 'built-in task',
      pick: { task },
    });
  }
  items.push({ label: 'More', kind: vscode.QuickPickItemKind.Separator });
  items.push({
    label: '$(database) Dataset (JSONL file)…',
    description: 'your prompts and answers',
    pick: 'dataset',
  });
  items.push({
    label: '$(folder-opened) Run configuration file…',
    description: 'choose a file',
    pick: 'browse',
  });
  const source = await vscode.window.showQuickPick(items, {
    title: 'BNPO: Launch Training Run (1/6): what to train on',
    placeHolder: 'A run configuration, a built-in task or a dataset',
    matchOnDescription: true,
  });
  if (!source?.pick) return undefined;
  if (source.pick === 'browse') {
    const chosen = await vscode.window.showOpenDialog({
      title: 'Run configuration',
      defaultUri: folder,
      filters: { 'Run configuration': ['json', 'jsonc'] },
    });
    return chosen?.[0] ? { kind: 'config', configFile: chosen[0].fsPath } : undefined;
  }
  if (typeof source.pick === 'object' && 'config' in source.pick) {
    return { kind: 'config', configFile: source.pick.config.fsPath };
  }
  let dataSource: LaunchPicks['source'];
  if (source.pick === 'dataset') {
    const chosen = await vscode.window.showOpenDialog({
      title: 'Training prompts (JSONL: {"prompt": …, "answer": …} per line)',
      defaultUri: folder,
      filters: { 'JSON Lines': ['jsonl'] },
    });
    if (!chosen?.[0]) return undefined;
    dataSource = { dataset: chosen[0].fsPath };
  } else {
    dataSource = { task: source.pick.task };
  }
  const model = await pickModel(folder);
  if (model === null) return undefined;
  const rules = await pickRules(folder, 'task' in dataSource ? dataSource.task : undefined);
  if (rules === null) return undefined;
  const estimator = await pickFrom(
    ESTIMATOR_NAMES,
    (e) => ESTIMATORS[e].summary,
    'BNPO: Launch Training Run (4/6): advantage estimator',
  );
  if (!estimator) return undefined;
  const backend = await pickFrom(
    BACKEND_NAMES,
    (b) => BACKEND_INFO[b],
    'BNPO: Launch Training Run (5/6): backend',
  );
  if (!backend) return undefined;
  const size = await pickFrom<RunSize>(
    ['quick', 'full'],
    (s) =>
      s === 'quick'
        ? `tiny model, ${QUICK_RUN.steps ?? ''} steps of ${QUICK_RUN.promptsPerStep ?? ''}×${QUICK_RUN.groupSize ?? ''}: minutes on a CPU`
        : `the defaults: ${defaults.steps} steps of ${defaults.promptsPerStep}×${defaults.groupSize}, a ${defaults.model.layers}-layer model`,
    'BNPO: Launch Training Run (6/6): size',
  );
  if (!size) return undefined;
  const picks: LaunchPicks = { source: dataSource, rules, estimator, backend, size, model };
  const file = configFileFor(path.join(folder.fsPath, '.bnpo', 'configs'), picks);
  writeConfig(file, configFromPicks(picks));
  return { kind: 'config', configFile: file };
}

function writeConfig(file: string, config: RunConfigInput): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
}

async function pickFrom<T extends string>(
  values: readonly T[],
  describe: (value: T) => string,
  title: string,
): Promise<T | undefined> {
  const picked = await vscode.window.showQuickPick(
    values.map((value, i) => ({
      label: value,
      description: i === 0 ? `${describe(value)} (default)` : describe(value),
      value,
    })),
    { title },
  );
  return picked?.value;
}

/** undefined: the task's built-in rules; null: cancelled. */
async function pickRules(folder: vscode.Uri, task: TaskName | undefined): Promise<string | undefined | null> {
  const files = await vscode.workspace.findFiles('**/*.rewards.json', '**/node_modules/**', 50);
  type Item = vscode.QuickPickItem & { file?: string; browse?: true };
  const items: Item[] = [];
  if (task) items.push({ label: `$(star) Built-in rules for ${task}`, description: 'default' });
  for (const uri of files) items.push({ label: `$(law) ${relative(folder, uri)}`, file: uri.fsPath });
  items.push({ label: '$(folder-opened) Rules file…', browse: true });
  const picked = await vscode.window.showQuickPick(items, {
    title: 'BNPO: Launch Training Run (3/6): reward rules',
    placeHolder: task
      ? 'The task’s built-in rules, or a *.rewards.json file'
      : 'A dataset needs a *.rewards.json file',
  });
  if (!picked) return null;
  if (picked.browse) {
    const chosen = await vscode.window.showOpenDialog({
      defaultUri: folder,
      filters: { 'Reward rules': ['json'] },
    });
    return chosen?.[0]?.fsPath ?? null;
  }
  return picked.file;
}

/**
 * The model to fine-tune: the built-in demo model (undefined), a Hugging Face model folder, or a model from the
 * local hub cache (its absolute path); null: cancelled.
 */
async function pickModel(folder: vscode.Uri): Promise<string | undefined | null> {
  type Item = vscode.QuickPickItem & { dir?: string; browse?: true };
  const hub = hfHubDir();
  const items: Item[] = [
    {
      label: '$(circuit-board) Built-in demo model',
      description: 'default: a small transformer trained from scratch',
    },
    {
      label: '$(folder-opened) A model folder…',
      description: 'a Hugging Face folder with config.json',
      browse: true,
    },
  ];
  const cached = scanHfCache(hub);
  if (cached.length > 0)
    items.push({ label: 'Hugging Face cache', kind: vscode.QuickPickItemKind.Separator });
  for (const m of cached) {
    items.push({
      label: `$(hubot) ${m.id}`,
      description: m.revision.slice(0, 12),
      detail: m.dir,
      dir: m.dir,
    });
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: 'BNPO: Launch Training Run (2/6): model',
    placeHolder: `The built-in model, a model folder, or one of ${cached.length} in ${hub}`,
    matchOnDescription: true,
  });
  if (!picked) return null;
  if (picked.dir) return picked.dir;
  if (!picked.browse) return undefined;
  const chosen = await vscode.window.showOpenDialog({
    title: 'Hugging Face model folder (config.json, model.safetensors, tokenizer.json)',
    defaultUri: folder,
    canSelectFiles: false,
    canSelectFolders: true,
  });
  const dir = chosen?.[0]?.fsPath;
  if (dir === undefined) return null;
  if (!isModelFolder(dir)) {
    void vscode.window.showErrorMessage(`BNPO: ${dir} is not a model folder: it has no config.json.`);
    return null;
  }
  return dir;
}

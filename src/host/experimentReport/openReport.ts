// "BNPO: Open Experiment Report": pick an experiment folder (written by `bnpo experiment`) and show its report.md in
// the markdown preview, where its SVG plots render next to the tables.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXPERIMENT_FILES } from '../../protocol/experiment';
import { COMMAND_IDS } from '../commandIds';
import { describeExperiment, findExperiments, summarise, type ExperimentEntry } from './experiments';

/** Where experiments are looked for: `.bnpo/experiments` of every workspace folder (the CLI's default). */
function experimentRoots(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).map((f) =>
    path.join(f.uri.fsPath, '.bnpo', 'experiments'),
  );
}

const FOLLOW_RUNS = 'Show Its Runs in the Studio';

/**
 * Every cell of an experiment is a normal run directory in `<experiment>/runs`. Adding that folder to the roots
 * the Runs view follows (for this workspace; the user's `bnpo.runsFolder` stays as it is) puts them in the view,
 * where Compare Runs, the dashboard and the Beta-fit panel work on them.
 */
export async function followExperimentRuns(entry: Pick<ExperimentEntry, 'dir'>): Promise<string> {
  const runs = path.join(entry.dir, EXPERIMENT_FILES.runs);
  await vscode.commands.executeCommand(COMMAND_IDS.followRunsFolder, runs);
  await vscode.commands.executeCommand('bnpo.runs.focus');
  return runs;
}

async function show(entry: ExperimentEntry): Promise<void> {
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(entry.reportMd));
  if (entry.problem !== null) void vscode.window.showWarningMessage(`BNPO: ${entry.problem}`);
  if (!fs.existsSync(path.join(entry.dir, EXPERIMENT_FILES.runs))) return;
  void vscode.window
    .showInformationMessage(
      `BNPO: the ${entry.name} runs can be followed in the studio (Compare Runs, dashboard, Beta fit).`,
      FOLLOW_RUNS,
    )
    .then((choice) => (choice === FOLLOW_RUNS ? followExperimentRuns(entry) : undefined));
}

async function browse(): Promise<ExperimentEntry | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    openLabel: 'Open Experiment Report',
    title: 'Experiment folder (written by bnpo experiment)',
  });
  const dir = picked?.[0]?.fsPath;
  if (dir === undefined) return undefined;
  const entry = describeExperiment(dir);
  if (entry === null) {
    void vscode.window.showErrorMessage(
      `BNPO: ${dir} holds no ${EXPERIMENT_FILES.reportMd}. Run \`bnpo experiment --out ${dir}\` (or \`--report --out ${dir}\` to rewrite it).`,
    );
  }
  return entry ?? undefined;
}

/** With a folder or a file of an experiment (explorer, API), opens that one; otherwise asks which. */
export async function openExperimentReport(arg?: vscode.Uri): Promise<void> {
  if (arg instanceof vscode.Uri) {
    const dir =
      fs.existsSync(arg.fsPath) && fs.statSync(arg.fsPath).isDirectory()
        ? arg.fsPath
        : path.dirname(arg.fsPath);
    const entry = describeExperiment(dir);
    if (entry === null) {
      void vscode.window.showErrorMessage(`BNPO: ${dir} holds no ${EXPERIMENT_FILES.reportMd}.`);
      return;
    }
    return show(entry);
  }
  const entries = findExperiments(experimentRoots());
  type Item = vscode.QuickPickItem & { entry?: ExperimentEntry };
  const items: Item[] = entries.map((entry) => ({
    label: entry.name,
    description: summarise(entry),
    detail: entry.dir,
    entry,
  }));
  items.push({ label: '$(folder-opened) Browse…', description: 'an experiment folder elsewhere' });
  const picked = await vscode.window.showQuickPick(items, {
    title: 'BNPO: Open Experiment Report',
    placeHolder:
      entries.length === 0
        ? 'No experiment in .bnpo/experiments yet (run `bnpo experiment`); browse for a folder'
        : 'Pick an experiment',
    matchOnDetail: true,
  });
  if (picked === undefined) return;
  const entry = picked.entry ?? (await browse());
  if (entry !== undefined) await show(entry);
}

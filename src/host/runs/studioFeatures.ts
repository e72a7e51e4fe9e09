// The studio itself, loaded after activation (see register.ts): the followed runs, the supervisor, the Runs view
// and status bar, the panels, and what each command does. Everything is disposed with the returned object.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunStatus } from '../../protocol/runDir';
import { BetaFitPanel } from '../panels/betaFitPanel';
import { DashboardPanel } from '../panels/dashboardPanel';
import { reviveRunPanel } from '../panels/runPanels';
import { SamplesPanel } from '../panels/samplesPanel';
import { metricsCsv } from './csv';
import { pickLaunch } from './launch';
import type { LaunchRequest } from './launchPlan';
import { resolveRunsFolder, untrustedRefusal } from './launchPlan';
import type { RunFollower } from './runFollower';
import { RunManager } from './runManager';
import { RunsModel } from './runsModel';
import { STUDIO_COMMANDS } from './commandIds';
import type { StudioCommand } from './commandIds';
import { RunsView } from './runsView';
import type { Studio } from './studio';
import { describeRun, pickRun, runsNewestFirst } from './studio';

const LOG_LINES_IN_NOTIFICATION = 3;

function runsFolderSetting(): string {
  return resolveRunsFolder(
    vscode.workspace.getConfiguration('bnpo').get<string>('runsFolder') ?? '.bnpo/runs',
    vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
  );
}

/** A run from a command argument: a tree element (run id), a run folder Uri, or nothing (ask, or the default). */
async function runFrom(
  studio: Studio,
  arg: unknown,
  title: string,
  filter?: (run: RunFollower) => boolean,
): Promise<RunFollower | undefined> {
  if (typeof arg === 'string') return studio.model.get(arg) ?? studio.model.byDir(arg);
  if (arg instanceof vscode.Uri) return studio.model.byDir(arg.fsPath);
  return pickRun(studio, title, filter);
}

export interface StudioFeatures extends vscode.Disposable {
  /** Runs a command's handler; errors are logged and shown, never thrown at the caller. */
  run(id: StudioCommand, args: unknown[]): Promise<unknown>;
  /** Brings back a panel after a reload (serializer). */
  revive(viewType: string, panel: vscode.WebviewPanel, state: unknown): void;
}

export function startStudio(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): StudioFeatures {
  const model = new RunsModel(runsFolderSetting());
  const cli = vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath;
  const manager = new RunManager(model, log, cli, context.logUri.fsPath);
  const studio: Studio = { extensionUri: context.extensionUri, model, manager, log };
  const disposables: vscode.Disposable[] = [{ dispose: () => model.dispose() }, manager];

  // Crash reports: a run seen running in this session that turns failed (its trainer threw, or was killed).
  const lastStatus = new Map<string, RunStatus>();
  disposables.push(
    model.onDidChange((event) => {
      const { run } = event;
      const before = lastStatus.get(run.id);
      lastStatus.set(run.id, run.status);
      if (event.kind === 'changed' && before === 'running' && run.status === 'failed')
        reportFailure(studio, run);
    }),
  );
  model.start();

  disposables.push(new RunsView(studio));
  disposables.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('bnpo.runsFolder')) model.setFolder(runsFolderSetting());
    }),
  );

  const revive = (viewType: string, panel: vscode.WebviewPanel, state: unknown): void =>
    reviveRunPanel(studio, viewType, panel, state);

  const handlers = new Map<StudioCommand, (...args: unknown[]) => unknown>();
  const command = (id: StudioCommand, handler: (...args: unknown[]) => unknown): void => {
    handlers.set(id, handler);
  };

  command(STUDIO_COMMANDS.launch, async (arg) => {
    const refusal = untrustedRefusal(vscode.workspace.isTrusted, 'launch');
    if (refusal) {
      void vscode.window.showWarningMessage(refusal, { modal: false });
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!folder) throw new Error('open a folder first: runs are written inside the workspace');
    const request: LaunchRequest | undefined =
      arg instanceof vscode.Uri ? { kind: 'config', configFile: arg.fsPath } : await pickLaunch(folder);
    if (!request) return undefined;
    return start(studio, request, folder.fsPath);
  });
  command(STUDIO_COMMANDS.resume, async (arg) => {
    const refusal = untrustedRefusal(vscode.workspace.isTrusted, 'resume');
    if (refusal) {
      void vscode.window.showWarningMessage(refusal);
      return undefined;
    }
    const run = await runFrom(
      studio,
      arg,
      'Resume which run?',
      (r) => r.status === 'stopped' || r.status === 'failed',
    );
    if (!run) return undefined;
    if (run.status === 'running' || run.status === 'completed') {
      throw new Error(`${run.label} is ${run.status}; only a stopped or failed run can be resumed`);
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(run.dir);
    return start(studio, { kind: 'resume', runDir: run.dir }, folder);
  });
  command(STUDIO_COMMANDS.stop, async (arg) => {
    const run = await runFrom(studio, arg, 'Stop which run?', (r) => r.status === 'running');
    if (!run) return undefined;
    const outcome = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `BNPO: stopping ${run.label} (checkpoint, then exit)…`,
      },
      () => manager.stop(run),
    );
    if (outcome === 'not running')
      void vscode.window.showInformationMessage(`BNPO: ${run.label} is not running.`);
    if (outcome === 'killed')
      void vscode.window.showWarningMessage(`BNPO: ${run.label} did not stop in time and was killed.`);
    return outcome;
  });
  command(STUDIO_COMMANDS.dashboard, async (arg) => {
    const run = await runFrom(studio, arg, 'Open the dashboard of which run?');
    if (!run) return undefined;
    DashboardPanel.show(studio, [run.id]);
    return run.id;
  });
  command(STUDIO_COMMANDS.compare, async (arg, selected) => {
    let ids: string[];
    if (Array.isArray(selected) && selected.every((s) => typeof s === 'string') && selected.length > 1) {
      ids = selected;
    } else {
      const current = new Set(DashboardPanel.current?.shownRunIds ?? (typeof arg === 'string' ? [arg] : []));
      const picked = await vscode.window.showQuickPick(
        runsNewestFirst(model.list()).map((run) => ({
          label: run.label,
          description: describeRun(run),
          picked: current.has(run.id),
          id: run.id,
        })),
        { title: 'BNPO: Compare Runs', placeHolder: 'Runs to overlay on the dashboard', canPickMany: true },
      );
      if (!picked || picked.length === 0) return undefined;
      ids = picked.map((p) => p.id);
    }
    DashboardPanel.show(studio, ids);
    return ids;
  });
  command(STUDIO_COMMANDS.betaFit, async (arg) => {
    const run = await runFrom(studio, arg, 'Beta fit of which run?');
    if (!run) return undefined;
    BetaFitPanel.show(studio, run.id);
    return run.id;
  });
  command(STUDIO_COMMANDS.samples, async (arg) => {
    const run = await runFrom(studio, arg, 'Samples of which run?');
    if (!run) return undefined;
    SamplesPanel.show(studio, run.id);
    return run.id;
  });
  command(STUDIO_COMMANDS.exportCsv, async (arg) => {
    let runs: RunFollower[];
    if (Array.isArray(arg)) {
      runs = arg
        .map((id) => (typeof id === 'string' ? model.get(id) : undefined))
        .filter((r): r is RunFollower => !!r);
    } else {
      const run = await runFrom(studio, arg, 'Export the metrics of which run?');
      runs = run ? [run] : [];
    }
    if (runs.length === 0) return undefined;
    const target = await vscode.window.showSaveDialog({
      title: 'BNPO: Export Metrics as CSV',
      defaultUri: vscode.Uri.file(
        path.join(path.dirname(runs[0]!.dir), `${runs.length === 1 ? runs[0]!.id : 'runs'}-metrics.csv`),
      ),
      filters: { CSV: ['csv'] },
    });
    if (!target) return undefined;
    const text = metricsCsv(
      runs.map((r) => ({ id: r.id, rules: r.rules, metrics: r.metrics, evals: r.evals })),
    );
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    const rows = runs.reduce((n, r) => n + r.metrics.length, 0);
    void vscode.window.showInformationMessage(`BNPO: wrote ${rows} rows to ${target.fsPath}`);
    return target.fsPath;
  });
  command(STUDIO_COMMANDS.log, async (arg) => {
    const run = await runFrom(studio, arg, 'Show the trainer log of which run?');
    if (!run) {
      log.show(true);
      return undefined;
    }
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(run.logFile));
    const editor = await vscode.window.showTextDocument(doc, { preview: true });
    const end = doc.lineAt(Math.max(0, doc.lineCount - 1)).range.end;
    editor.revealRange(new vscode.Range(end, end));
    return run.logFile;
  });
  command(STUDIO_COMMANDS.reveal, async (arg) => {
    const run = await runFrom(studio, arg, 'Reveal the folder of which run?');
    if (!run) return undefined;
    const uri = vscode.Uri.file(run.dir);
    const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
    // The OS file manager is out of reach in a remote or web window; the explorer always works for workspace runs.
    if (inWorkspace) await vscode.commands.executeCommand('revealInExplorer', uri);
    else await vscode.commands.executeCommand('revealFileInOS', uri);
    return run.dir;
  });
  command(STUDIO_COMMANDS.refresh, () => model.refresh());
  return {
    run: async (id, args) => {
      const handler = handlers.get(id);
      if (!handler) throw new Error(`no handler for ${id}`);
      try {
        return await handler(...args);
      } catch (err) {
        log.error(`${id}: ${(err as Error).stack ?? String(err)}`);
        void vscode.window.showErrorMessage(`BNPO: ${(err as Error).message}`);
        return undefined;
      }
    },
    revive,
    dispose: () => {
      while (disposables.length > 0) disposables.pop()?.dispose();
    },
  };
}

async function start(studio: Studio, request: LaunchRequest, cwd: string): Promise<string> {
  const { runDir } = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: request.kind === 'resume' ? 'BNPO: resuming run…' : 'BNPO: starting training run…',
    },
    () => studio.manager.launch(request, cwd),
  );
  studio.model.refresh();
  const run = studio.model.byDir(runDir);
  const id = run?.id ?? path.basename(runDir);
  DashboardPanel.show(studio, [id]);
  return id;
}

function reportFailure(studio: Studio, run: RunFollower): void {
  const lines = run.lastLogLines(LOG_LINES_IN_NOTIFICATION).map((l) => l.replace(/^\S+Z /, ''));
  studio.log.error(`run ${run.id} failed: ${run.failure ?? ''}\n${run.lastLogLines(20).join('\n')}`);
  const text = `BNPO: run ${run.label} failed: ${run.failure ?? 'unknown error'}.${lines.length > 0 ? ` Last log lines: ${lines.join(' ⏎ ')}` : ''}`;
  void vscode.window.showErrorMessage(text, 'Show Log').then((choice) => {
    if (choice === 'Show Log') void vscode.commands.executeCommand(STUDIO_COMMANDS.log, run.id);
  });
}

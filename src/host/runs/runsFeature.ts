// The runs feature, loaded right after activation (see register.ts): the followed runs, the trainer's supervision,
// the Runs view and status bar, the panels, and what each runs command does (the command table in
// ../commandTable.ts names these methods). Everything is disposed with the object.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import type { HostToBetaFit } from '../../protocol/betaFit';
import type { HostToDashboard } from '../../protocol/dashboard';
import type { ImportSource } from '../../protocol/importedRun';
import type { RunStatus } from '../../protocol/runDir';
import type { HostToSamples } from '../../protocol/samples';
import { AuditWatch } from '../audit/auditWatch';
import { COMMAND_IDS } from '../commandIds';
import { allowedByTrust } from '../commands';
import { onConfigChange, readConfig } from '../editorConfig';
import { BetaFitPanel } from '../panels/betaFitPanel';
import { DashboardPanel } from '../panels/dashboardPanel';
import { betaFitRun, dashboardRun, samplesRun } from '../panels/pageData';
import { reviveRunPanel } from '../panels/runPanels';
import { RunsTablePanel } from '../panels/runsTablePanel';
import { SamplesPanel } from '../panels/samplesPanel';
import type { Supervisor } from '../process/supervisor';
import { noticeCompletions } from './completionNotice';
import { exportModel, isExportChoice } from './exportModel';
import { metricsCsv } from './csv';
import { pickLaunch } from './launch';
import type { LaunchRequest } from './launchPlan';
import { ForeignRun, SOURCE_LABELS } from './foreignRun';
import type { FollowedRun, RunFollower } from './runFollower';
import { RunManager } from './runManager';
import { RunsModel } from './runsModel';
import { RunsView } from './runsView';
import type { Studio } from './studio';
import { describeRun, pickRun, runsNewestFirst } from './studio';

const LOG_LINES_IN_NOTIFICATION = 3;

/** The run panels' first messages for one run (the internal `bnpo.runPageData` command answers with them). */
export interface RunPageData {
  readonly source: 'bnpo' | ImportSource;
  readonly dashboard: HostToDashboard;
  readonly betaFit: HostToBetaFit;
  readonly samples: HostToSamples;
}
/** workspaceState: folders of run folders followed besides the runs folder setting (an experiment's runs). */
const EXTRA_ROOTS_KEY = 'bnpo.followedRunsFolders';
const ExtraRootsSchema = z.array(z.string());

/** A run from a command argument: a tree element (run id), a run folder path or Uri, or nothing (ask). */
async function runFrom(
  studio: Studio,
  arg: unknown,
  title: string,
  filter?: (run: FollowedRun) => boolean,
): Promise<FollowedRun | undefined> {
  if (typeof arg === 'string') return studio.model.get(arg) ?? studio.model.byDir(arg);
  if (arg instanceof vscode.Uri) return studio.model.byDir(arg.fsPath);
  return pickRun(studio, title, filter);
}

/** The run a trainer command acts on: one of ours, never another tool's log (nothing of ours runs it). */
function ownRun(run: FollowedRun | undefined, verb: string): RunFollower | undefined {
  if (run instanceof ForeignRun) {
    throw new Error(
      `${run.label} is a ${SOURCE_LABELS[run.source]} log followed here, not a BNPO run to ${verb}`,
    );
  }
  return run;
}

function workspaceFolder(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

export class RunsFeature implements vscode.Disposable {
  private readonly studio: Studio;
  private readonly manager: RunManager;
  private readonly disposables: vscode.Disposable[] = [];
  /** Last status seen per run, for crash reports: a run seen running here that turns failed. */
  private readonly lastStatus = new Map<string, RunStatus>();

  private readonly cli: string;

  constructor(
    private readonly context: vscode.ExtensionContext,
    log: vscode.LogOutputChannel,
    private readonly supervisor: Supervisor,
  ) {
    const model = new RunsModel(this.roots());
    const cli = vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath;
    this.cli = cli;
    this.manager = new RunManager(model, supervisor, log, cli, () => readConfig().runsFolder);
    this.studio = { extensionUri: context.extensionUri, model, manager: this.manager, log };
    this.disposables.push({ dispose: () => model.dispose() });
    this.disposables.push(model.onDidChange((event) => this.noticeFailure(event.kind, event.run)));
    this.disposables.push(noticeCompletions(model, vscode));
    model.start();
    this.disposables.push(new RunsView(this.studio));
    this.disposables.push(new AuditWatch(model, log));
    this.disposables.push(onConfigChange(['runsFolder'], () => model.setRoots(this.roots())));
  }

  /** The runs folder setting first, then the folders this workspace added (Open Experiment Report). */
  private roots(): string[] {
    const extra = ExtraRootsSchema.safeParse(this.context.workspaceState.get(EXTRA_ROOTS_KEY) ?? []);
    return [readConfig().runsFolder, ...(extra.success ? extra.data : [])];
  }

  /** Follows one more folder of run folders in this workspace (kept across reloads; settings stay untouched). */
  async follow(folder: unknown): Promise<string | undefined> {
    if (typeof folder !== 'string' || folder === '') return undefined;
    const extra = this.roots().slice(1);
    if (!extra.some((root) => path.resolve(root) === path.resolve(folder))) {
      await this.context.workspaceState.update(EXTRA_ROOTS_KEY, [...extra, folder]);
    }
    this.studio.model.setRoots(this.roots());
    return folder;
  }

  async launch(arg: unknown): Promise<string | undefined> {
    const folder = workspaceFolder();
    if (!folder) throw new Error('open a folder first: runs are written inside the workspace');
    const request: LaunchRequest | undefined =
      arg instanceof vscode.Uri ? { kind: 'config', configFile: arg.fsPath } : await pickLaunch(folder);
    if (!request) return undefined;
    return this.start(request, folder.fsPath);
  }

  async resume(arg: unknown): Promise<string | undefined> {
    const run = ownRun(
      await runFrom(
        this.studio,
        arg,
        'Resume which run?',
        (r) => !(r instanceof ForeignRun) && (r.status === 'stopped' || r.status === 'failed'),
      ),
      'resume',
    );
    if (!run) return undefined;
    if (run.status === 'running' || run.status === 'completed') {
      throw new Error(`${run.label} is ${run.status}; only a stopped or failed run can be resumed`);
    }
    return this.start(
      { kind: 'resume', runDir: run.dir },
      workspaceFolder()?.fsPath ?? path.dirname(run.dir),
    );
  }

  /** Stop: a run this window started at once; any other only in a trusted workspace, and only if proven ours. */
  async stop(arg: unknown): Promise<string | undefined> {
    const run = ownRun(
      await runFrom(
        this.studio,
        arg,
        'Stop which run?',
        (r) => !(r instanceof ForeignRun) && r.status === 'running',
      ),
      'stop',
    );
    if (!run) return undefined;
    if (!this.manager.isManaged(run) && !allowedByTrust('stop')) return undefined;
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `BNPO: stopping ${run.label} (checkpoint, then exit)…`,
      },
      () => this.manager.stop(run),
    );
    if (result.outcome === 'not running')
      void vscode.window.showInformationMessage(`BNPO: ${run.label} is not running.`);
    if (result.outcome === 'killed')
      void vscode.window.showWarningMessage(`BNPO: ${run.label} did not stop in time and was killed.`);
    if (result.outcome === 'not ours') {
      void vscode.window.showWarningMessage(
        `BNPO: ${run.label} was not stopped: ${result.reason ?? 'its trainer is not known here'}. Stop it where it was started.`,
      );
    }
    return result.outcome;
  }

  /** Asks a trainer started in this window to write a checkpoint now (it goes on training). */
  async checkpointNow(arg: unknown): Promise<boolean | undefined> {
    const run = ownRun(
      await runFrom(
        this.studio,
        arg,
        'Checkpoint which run now?',
        (r) => !(r instanceof ForeignRun) && r.status === 'running',
      ),
      'checkpoint',
    );
    if (!run) return undefined;
    if (run.status !== 'running') throw new Error(`${run.label} is ${run.status}, not running`);
    if (!this.manager.checkpoint(run)) {
      void vscode.window.showInformationMessage(
        `BNPO: ${run.label} was not started in this window, so there is no channel to ask it for a checkpoint; ` +
          `it still checkpoints every checkpointEvery steps and when stopped.`,
      );
      return false;
    }
    void vscode.window.showInformationMessage(`BNPO: ${run.label} writes a checkpoint now.`);
    return true;
  }

  async openDashboard(arg: unknown): Promise<string | undefined> {
    const run = await runFrom(this.studio, arg, 'Open the dashboard of which run?');
    if (!run) return undefined;
    DashboardPanel.show(this.studio, [run.id]);
    return run.id;
  }

  /** Several runs on one dashboard: the Runs view's selection, else a multi-select pick. */
  async compare(arg: unknown, selected: unknown): Promise<string[] | undefined> {
    let ids: string[];
    if (Array.isArray(selected) && selected.every((s) => typeof s === 'string') && selected.length > 1) {
      ids = selected;
    } else {
      const current = new Set(DashboardPanel.current?.shownRunIds ?? (typeof arg === 'string' ? [arg] : []));
      const picked = await vscode.window.showQuickPick(
        runsNewestFirst(this.studio.model.list()).map((run) => ({
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
    DashboardPanel.show(this.studio, ids);
    return ids;
  }

  openRunsTable(): void {
    RunsTablePanel.show(this.studio, undefined);
  }

  async openBetaFit(arg: unknown): Promise<string | undefined> {
    const run = await runFrom(this.studio, arg, 'Beta fit of which run?');
    if (!run) return undefined;
    BetaFitPanel.show(this.studio, run.id);
    return run.id;
  }

  /** `options.filter: 'flagged'` (the audit notification's button) opens on the flagged completions. */
  async showSamples(arg: unknown, options?: unknown): Promise<string | undefined> {
    const run = await runFrom(this.studio, arg, 'Samples of which run?');
    if (!run) return undefined;
    const panel = SamplesPanel.show(this.studio, run.id);
    if (isFlaggedRequest(options)) panel.showFlagged();
    return run.id;
  }

  /** Export Model…: `choice` (format, step, folder) skips the questions, for keybindings and tests. */
  async exportModel(arg: unknown, choice?: unknown): Promise<string | undefined> {
    const run = ownRun(
      await runFrom(this.studio, arg, 'Export the model of which run?', (r) => !!r.info?.modelInfo),
      'export',
    );
    if (!run) return undefined;
    return exportModel(run, this.supervisor, this.cli, isExportChoice(choice) ? choice : undefined);
  }

  async exportCsv(arg: unknown): Promise<string | undefined> {
    let runs: FollowedRun[];
    if (Array.isArray(arg)) {
      runs = arg
        .map((id) => (typeof id === 'string' ? this.studio.model.get(id) : undefined))
        .filter((r): r is FollowedRun => !!r);
    } else {
      const run = await runFrom(this.studio, arg, 'Export the metrics of which run?');
      runs = run ? [run] : [];
    }
    const first = runs[0];
    if (first === undefined) return undefined;
    const target = await vscode.window.showSaveDialog({
      title: 'BNPO: Export Metrics as CSV',
      defaultUri: vscode.Uri.file(
        path.join(path.dirname(first.dir), `${runs.length === 1 ? first.id : 'runs'}-metrics.csv`),
      ),
      filters: { CSV: ['csv'] },
    });
    if (!target) return undefined;
    // Read from the files now: the followed runs keep only the charted series.
    const csvRuns = runs.map((r) => ({
      id: r.id,
      rules: r.rules,
      metrics: r instanceof ForeignRun ? r.imported : r.readRecords().metrics,
      evals: r.evals,
    }));
    const text = metricsCsv(csvRuns);
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    const rows = csvRuns.reduce((n, r) => n + r.metrics.length, 0);
    void vscode.window.showInformationMessage(`BNPO: wrote ${rows} rows to ${target.fsPath}`);
    return target.fsPath;
  }

  async showLog(arg: unknown): Promise<string | undefined> {
    const run = await runFrom(this.studio, arg, 'Show the trainer log of which run?');
    if (!run || run instanceof ForeignRun) {
      this.studio.log.show(true);
      return undefined;
    }
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(run.logFile));
    const editor = await vscode.window.showTextDocument(doc, { preview: true });
    const end = doc.lineAt(Math.max(0, doc.lineCount - 1)).range.end;
    editor.revealRange(new vscode.Range(end, end));
    return run.logFile;
  }

  async revealFolder(arg: unknown): Promise<string | undefined> {
    const run = await runFrom(this.studio, arg, 'Reveal the folder of which run?');
    if (!run) return undefined;
    const uri = vscode.Uri.file(run.dir);
    const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
    // The OS file manager is out of reach in a remote or web window; the explorer always works for workspace runs.
    if (inWorkspace) await vscode.commands.executeCommand('revealInExplorer', uri);
    else await vscode.commands.executeCommand('revealFileInOS', uri);
    return run.dir;
  }

  refresh(): void {
    this.studio.model.refresh();
  }

  /** What each run panel's page gets for the run with this id, built as the panels build it; undefined if unknown. */
  pageData(arg: unknown): RunPageData | undefined {
    const run = typeof arg === 'string' ? this.studio.model.get(arg) : undefined;
    if (!run) return undefined;
    return {
      source: run instanceof ForeignRun ? run.source : 'bnpo',
      dashboard: { type: 'runs', runs: [dashboardRun(run, readConfig().auditThresholds)] },
      betaFit: betaFitRun(run),
      samples: samplesRun(run),
    };
  }

  /** Brings back a panel after a reload (serializer). */
  revive(viewType: string, panel: vscode.WebviewPanel, state: unknown): void {
    reviveRunPanel(this.studio, viewType, panel, state);
  }

  dispose(): void {
    while (this.disposables.length > 0) this.disposables.pop()?.dispose();
  }

  private async start(request: LaunchRequest, cwd: string): Promise<string> {
    const { runDir } = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: request.kind === 'resume' ? 'BNPO: resuming run…' : 'BNPO: starting training run…',
      },
      () => this.manager.launch(request, cwd),
    );
    this.studio.model.refresh();
    const id = this.studio.model.byDir(runDir)?.id ?? path.basename(runDir);
    DashboardPanel.show(this.studio, [id]);
    return id;
  }

  private noticeFailure(kind: 'added' | 'removed' | 'changed', run: FollowedRun): void {
    const before = this.lastStatus.get(run.dir);
    this.lastStatus.set(run.dir, run.status);
    if (kind === 'changed' && before === 'running' && run.status === 'failed') this.reportFailure(run);
  }

  /** A crash, reported once with the last lines of the trainer's log; the run is never restarted. */
  private reportFailure(run: FollowedRun): void {
    const lines = run.lastLogLines(LOG_LINES_IN_NOTIFICATION).map((l) => l.replace(/^\S+Z /, ''));
    this.studio.log.error(`run ${run.id} failed: ${run.failure ?? ''}\n${run.lastLogLines(20).join('\n')}`);
    const text = `BNPO: run ${run.label} failed: ${run.failure ?? 'unknown error'}.${lines.length > 0 ? ` Last log lines: ${lines.join(' ⏎ ')}` : ''}`;
    void vscode.window.showErrorMessage(text, 'Show Log').then((choice) => {
      if (choice === 'Show Log') void vscode.commands.executeCommand(COMMAND_IDS.showTrainerLog, run.id);
    });
  }
}

function isFlaggedRequest(options: unknown): boolean {
  return (
    typeof options === 'object' && options !== null && (options as { filter?: unknown }).filter === 'flagged'
  );
}

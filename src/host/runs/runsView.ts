// The Runs view (activity bar) and the status-bar item of the active run. Both redraw from the RunsModel's events.
import * as vscode from 'vscode';
import { escapeMarkdown } from '../../core/markdown';
import type { RunStatus } from '../../protocol/runDir';
import { runSubject } from '../../protocol/runConfig';
import { Disposable } from '../disposable';
import { COMMAND_IDS } from '../commandIds';
import type { FollowedRun } from './runFollower';
import type { Studio } from './studio';
import { ForeignRun, SOURCE_LABELS } from './foreignRun';
import { modelSummary } from './hfCache';
import { runFigures, runRow } from './runRow';
import { defaultRun, describeRun, runsNewestFirst } from './studio';

export const RUNS_VIEW_ID = 'bnpo.runs';
const OPEN_DASHBOARD_COMMAND = COMMAND_IDS.openDashboard;

const ICONS: Record<RunStatus, vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  completed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  stopped: new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('charts.yellow')),
};

/** The tree item for a run; its contextValue drives the context menus (`bnpoRun.<status>`). */
export function runTreeItem(run: FollowedRun): vscode.TreeItem {
  const row = runRow(run);
  const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
  item.id = run.id;
  item.description = row.description;
  item.iconPath = ICONS[run.status];
  // Another tool's log opens in the panels but has no trainer of ours to stop or resume.
  item.contextValue = run instanceof ForeignRun ? 'bnpoRun.foreign' : `bnpoRun.${run.status}`;
  item.resourceUri = vscode.Uri.file(run.dir);
  item.accessibilityInformation = { label: `${run.label}, ${describeRun(run)}` };
  const tip = new vscode.MarkdownString(undefined, true);
  // run.json's strings are data: escaped, so a run name cannot add links, images or icons to the tooltip
  tip.appendMarkdown(`**${escapeMarkdown(run.label)}** — ${escapeMarkdown(run.status)}\n\n`);
  const info = run.info;
  if (info) {
    const task = runSubject(info.config);
    const backend = info.backend?.name ?? info.config.backend;
    tip.appendMarkdown(
      escapeMarkdown(
        `step ${info.step}/${info.totalSteps} · ${info.config.estimator} · ${task} · backend ${backend}`,
      ) + '\n\n',
    );
    if (info.modelInfo) tip.appendMarkdown(`$(hubot) ${escapeMarkdown(modelSummary(info.modelInfo))}\n\n`);
  }
  if (run instanceof ForeignRun) {
    tip.appendMarkdown(escapeMarkdown(`${SOURCE_LABELS[run.source]} log: ${run.logPath}`) + '\n\n');
    if (run.infoProblem !== undefined)
      tip.appendMarkdown(`$(warning) ${escapeMarkdown(run.infoProblem)}\n\n`);
  }
  for (const warning of info?.warnings ?? []) tip.appendMarkdown(`$(warning) ${escapeMarkdown(warning)}\n\n`);
  const failure = run.failure;
  if (failure) {
    tip.appendMarkdown(`$(error) ${escapeMarkdown(failure)}\n\n`);
    tip.appendCodeblock(run.lastLogLines(5).join('\n'), 'log');
  }
  tip.appendMarkdown(escapeMarkdown(run.dir));
  item.tooltip = tip;
  item.command = { command: OPEN_DASHBOARD_COMMAND, title: 'Open Dashboard', arguments: [run.id] };
  return item;
}

class RunsTree implements vscode.TreeDataProvider<string> {
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly studio: Studio) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(element?: string): string[] {
    if (element) return [];
    // Two roots may hold runs of one name: the row (and every command given its id) is the first root's.
    return [...new Set(runsNewestFirst(this.studio.model.list()).map((r) => r.id))];
  }

  getTreeItem(id: string): vscode.TreeItem {
    const run = this.studio.model.get(id);
    return run ? runTreeItem(run) : new vscode.TreeItem(id);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export class RunsView extends Disposable {
  private readonly tree: RunsTree;
  private readonly statusItem: vscode.StatusBarItem;
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly studio: Studio) {
    super();
    this.tree = new RunsTree(studio);
    this._register(this.tree);
    const view = this._register(
      vscode.window.createTreeView(RUNS_VIEW_ID, {
        treeDataProvider: this.tree,
        showCollapseAll: false,
        canSelectMany: true,
      }),
    );
    this.statusItem = this._register(
      vscode.window.createStatusBarItem('bnpo.activeRun', vscode.StatusBarAlignment.Left, 50),
    );
    this.statusItem.name = 'BNPO Active Run';
    this._register(studio.model.onDidChange(() => this.schedule()));
    this._register({ dispose: () => this.pending && clearTimeout(this.pending) });
    view.message = undefined;
    this.update();
  }

  /** Steps arrive several times a second: redraw at most every 200 ms. */
  private schedule(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.update();
    }, 200);
  }

  private update(): void {
    this.tree.refresh();
    // The status bar names our runs only: another tool's log is not a run of this window to watch.
    const run = defaultRun(this.studio.model.list().filter((r) => !(r instanceof ForeignRun)));
    if (!run?.info || run instanceof ForeignRun) {
      this.statusItem.hide();
      return;
    }
    const info = run.info;
    const { reward: last } = runFigures(run);
    const icon = run.status === 'running' ? '$(sync~spin)' : ICON_TEXT[run.status];
    const reward = last !== undefined ? ` r=${last.toFixed(3)}` : '';
    this.statusItem.text = `${icon} BNPO ${info.step}/${info.totalSteps}${reward} · ${info.backend?.name ?? info.config.backend}`;
    this.statusItem.tooltip = `${run.label}: ${describeRun(run)}. Click to open the dashboard.`;
    this.statusItem.command = {
      command: OPEN_DASHBOARD_COMMAND,
      title: 'Open Dashboard',
      arguments: [run.id],
    };
    this.statusItem.backgroundColor =
      run.status === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.statusItem.show();
  }
}

const ICON_TEXT: Record<RunStatus, string> = {
  running: '$(sync~spin)',
  completed: '$(pass)',
  failed: '$(error)',
  stopped: '$(debug-pause)',
};

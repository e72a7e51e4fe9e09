// The dashboard: curves of one or more runs (Compare Runs overlays them). The page gets every row once, then only
// appended rows; a rewritten file (a resume that dropped steps past its checkpoint) sends everything again.
import * as vscode from 'vscode';
import {
  DASHBOARD_VIEW_TYPE,
  DashboardToHost,
  DashboardViewState,
  toHeldOutColumns,
  toMetricColumns,
} from '../../protocol/dashboard';
import type { DashboardRun, HostToDashboard } from '../../protocol/dashboard';
import { COMMAND_IDS } from '../commandIds';
import type { RunFollower } from '../runs/runFollower';
import type { RunsEvent } from '../runs/runsModel';
import type { Studio } from '../runs/studio';
import { StudioPanel, panelOptions } from './studioPanel';
import type { PanelKind } from './studioPanel';

export const DASHBOARD_KIND: PanelKind = {
  viewType: DASHBOARD_VIEW_TYPE,
  title: 'BNPO Dashboard',
  bundle: 'dashboard',
  icon: 'dashboard.svg',
};

const EXPORT_CSV_COMMAND = COMMAND_IDS.exportMetricsCsv;
const COMPARE_RUNS_COMMAND = COMMAND_IDS.compareRuns;

function wallAt(run: RunFollower): (step: number) => number {
  const byStep = new Map(run.metrics.map((m) => [m.step, m.wall]));
  return (step) => byStep.get(step) ?? 0;
}

export function dashboardRun(run: RunFollower): DashboardRun {
  return {
    id: run.id,
    label: run.label,
    status: run.status,
    rules: run.rules,
    metrics: toMetricColumns(run.metrics, run.rules),
    heldOut: toHeldOutColumns(run.evals, wallAt(run)),
  };
}

export class DashboardPanel extends StudioPanel<DashboardToHost> {
  private static current: DashboardPanel | undefined;
  private sentRules = new Map<string, string>();

  static show(studio: Studio, runIds: string[]): DashboardPanel {
    const existing = DashboardPanel.current;
    if (existing) {
      existing.setRuns(runIds);
      existing.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      DASHBOARD_VIEW_TYPE,
      DASHBOARD_KIND.title,
      vscode.ViewColumn.Active,
      panelOptions(studio.extensionUri),
    );
    DashboardPanel.current = new DashboardPanel(panel, studio, runIds);
    return DashboardPanel.current;
  }

  static revive(panel: vscode.WebviewPanel, studio: Studio, state: unknown): void {
    const parsed = DashboardViewState.safeParse(state);
    DashboardPanel.current?.dispose();
    DashboardPanel.current = new DashboardPanel(panel, studio, parsed.success ? parsed.data.runIds : []);
  }

  static get shown(): DashboardPanel | undefined {
    return DashboardPanel.current;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    studio: Studio,
    private runIds: string[],
  ) {
    super(panel, studio, DASHBOARD_KIND, DashboardToHost);
  }

  get shownRunIds(): readonly string[] {
    return this.runIds;
  }

  override dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    super.dispose();
  }

  setRuns(runIds: string[]): void {
    this.runIds = [...new Set(runIds)];
    this.refreshPage();
  }

  protected sendAll(): void {
    const runs = this.runIds
      .map((id) => this.studio.model.get(id))
      .filter((r): r is RunFollower => r !== undefined);
    this.sentRules = new Map(runs.map((r) => [r.id, r.rules.join('\n')]));
    this.send({ type: 'runs', runs: runs.map(dashboardRun) });
  }

  protected onRunsEvent(event: RunsEvent): void {
    const { run } = event;
    if (!this.runIds.includes(run.id)) return;
    if (event.kind !== 'changed') {
      this.sendAll();
      return;
    }
    const { change } = event;
    if (change.reset || this.sentRules.get(run.id) !== run.rules.join('\n')) {
      this.sendAll();
      return;
    }
    if (change.metrics.length > 0 || change.evals.length > 0) {
      this.send({
        type: 'append',
        id: run.id,
        metrics: toMetricColumns(change.metrics, run.rules),
        heldOut: toHeldOutColumns(change.evals, wallAt(run)),
      });
    }
    if (change.info) this.send({ type: 'status', id: run.id, status: run.status });
  }

  protected onMessage(message: DashboardToHost): void {
    const command =
      message.type === 'exportCsv'
        ? EXPORT_CSV_COMMAND
        : message.type === 'compare'
          ? COMPARE_RUNS_COMMAND
          : undefined;
    if (!command) return;
    void vscode.commands
      .executeCommand(command, ...(message.type === 'exportCsv' ? [this.runIds] : []))
      .then(undefined, (err: unknown) => {
        void vscode.window.showErrorMessage(`BNPO: ${String(err)}`);
      });
  }

  private send(message: HostToDashboard): void {
    this.post(message);
  }
}

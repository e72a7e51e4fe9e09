// The Beta-fit panel for one run: each step's fit (metrics.jsonl) joined with that step's p̂ per group
// (groups.jsonl). A step is sent when either half arrives, and again when the other half does.
import * as vscode from 'vscode';
import { BETA_FIT_VIEW_TYPE, BetaFitToHost, BetaFitViewState, betaFitSteps } from '../../protocol/betaFit';
import type { HostToBetaFit } from '../../protocol/betaFit';
import type { RunFollower } from '../runs/runFollower';
import type { RunsEvent } from '../runs/runsModel';
import type { Studio } from '../runs/studio';
import { StudioPanel, panelOptions } from './studioPanel';
import type { PanelKind } from './studioPanel';

export const BETA_FIT_KIND: PanelKind = {
  viewType: BETA_FIT_VIEW_TYPE,
  title: 'BNPO Beta Fit',
  bundle: 'betaFit',
  icon: 'betaFit.svg',
};

export class BetaFitPanel extends StudioPanel<BetaFitToHost> {
  private static current: BetaFitPanel | undefined;

  static show(studio: Studio, runId: string): void {
    const existing = BetaFitPanel.current;
    if (existing) {
      existing.runId = runId;
      existing.refreshPage();
      existing.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      BETA_FIT_VIEW_TYPE,
      BETA_FIT_KIND.title,
      vscode.ViewColumn.Active,
      panelOptions(studio.extensionUri),
    );
    BetaFitPanel.current = new BetaFitPanel(panel, studio, runId);
  }

  static revive(
    panel: vscode.WebviewPanel,
    studio: Studio,
    state: unknown,
    fallback: string | undefined,
  ): void {
    const parsed = BetaFitViewState.safeParse(state);
    BetaFitPanel.current?.dispose();
    BetaFitPanel.current = new BetaFitPanel(
      panel,
      studio,
      parsed.success ? parsed.data.runId : (fallback ?? ''),
    );
  }

  private constructor(
    panel: vscode.WebviewPanel,
    studio: Studio,
    private runId: string,
  ) {
    super(panel, studio, BETA_FIT_KIND, BetaFitToHost);
  }

  override dispose(): void {
    if (BetaFitPanel.current === this) BetaFitPanel.current = undefined;
    super.dispose();
  }

  private get run(): RunFollower | undefined {
    return this.studio.model.get(this.runId);
  }

  protected sendAll(): void {
    const run = this.run;
    if (!run) return;
    this.send({
      type: 'run',
      id: run.id,
      label: run.label,
      status: run.status,
      rules: run.rules,
      steps: betaFitSteps(run.metrics, run.groups, run.info?.config.groupSize ?? 1),
    });
  }

  protected onRunsEvent(event: RunsEvent): void {
    if (event.run.id !== this.runId) return;
    if (event.kind !== 'changed' || event.change.reset) {
      this.sendAll();
      return;
    }
    const { change, run } = event;
    const touched = new Set([...change.metrics.map((m) => m.step), ...change.groups.map((g) => g.step)]);
    if (touched.size > 0) {
      const steps = betaFitSteps(run.metrics, run.groups, run.info?.config.groupSize ?? 1, touched);
      if (steps.length > 0) this.send({ type: 'append', id: run.id, steps });
    }
    if (change.info) this.send({ type: 'status', id: run.id, status: run.status });
  }

  protected onMessage(): void {
    // The page sends nothing but `ready`.
  }

  private send(message: HostToBetaFit): void {
    this.post(message);
  }
}

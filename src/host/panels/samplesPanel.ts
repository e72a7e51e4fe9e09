// The samples panel for one run: samples.jsonl as written, filtered in the page.
import * as vscode from 'vscode';
import { SAMPLES_VIEW_TYPE, SamplesToHost, SamplesViewState } from '../../protocol/samples';
import type { HostToSamples } from '../../protocol/samples';
import type { RunFollower } from '../runs/runFollower';
import type { RunsEvent } from '../runs/runsModel';
import type { Studio } from '../runs/studio';
import { StudioPanel, panelOptions } from './studioPanel';
import type { PanelKind } from './studioPanel';

export const SAMPLES_KIND: PanelKind = {
  viewType: SAMPLES_VIEW_TYPE,
  title: 'BNPO Samples',
  bundle: 'samples',
  icon: 'samples.svg',
};

export class SamplesPanel extends StudioPanel<SamplesToHost> {
  private static current: SamplesPanel | undefined;

  static show(studio: Studio, runId: string): void {
    const existing = SamplesPanel.current;
    if (existing) {
      existing.runId = runId;
      existing.refreshPage();
      existing.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      SAMPLES_VIEW_TYPE,
      SAMPLES_KIND.title,
      vscode.ViewColumn.Active,
      panelOptions(studio.extensionUri),
    );
    SamplesPanel.current = new SamplesPanel(panel, studio, runId);
  }

  static revive(
    panel: vscode.WebviewPanel,
    studio: Studio,
    state: unknown,
    fallback: string | undefined,
  ): void {
    const parsed = SamplesViewState.safeParse(state);
    SamplesPanel.current?.dispose();
    SamplesPanel.current = new SamplesPanel(
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
    super(panel, studio, SAMPLES_KIND, SamplesToHost);
  }

  override dispose(): void {
    if (SamplesPanel.current === this) SamplesPanel.current = undefined;
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
      records: run.samples,
    });
  }

  protected onRunsEvent(event: RunsEvent): void {
    if (event.run.id !== this.runId) return;
    if (event.kind !== 'changed' || event.change.reset) {
      this.sendAll();
      return;
    }
    if (event.change.info) this.send({ type: 'status', id: event.run.id, status: event.run.status });
    if (event.change.samples.length > 0)
      this.send({ type: 'append', id: event.run.id, records: [...event.change.samples] });
  }

  protected onMessage(): void {
    // The page sends nothing but `ready`.
  }

  private send(message: HostToSamples): void {
    this.post(message);
  }
}

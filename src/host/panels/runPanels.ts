// The run panels by view type, so a serializer brings back whichever was open without naming each one.
import type * as vscode from 'vscode';
import type { Studio } from '../runs/studio';
import { BetaFitPanel } from './betaFitPanel';
import { DashboardPanel } from './dashboardPanel';
import { RunsTablePanel } from './runsTablePanel';
import { SamplesPanel } from './samplesPanel';

const RUN_PANELS: readonly {
  viewType: string;
  revive(studio: Studio, panel: vscode.WebviewPanel, state: unknown): void;
}[] = [DashboardPanel, BetaFitPanel, SamplesPanel, RunsTablePanel];

/** Brings back a run panel after a reload; an unknown view type (from another version) is left alone. */
export function reviveRunPanel(
  studio: Studio,
  viewType: string,
  panel: vscode.WebviewPanel,
  state: unknown,
): void {
  RUN_PANELS.find((p) => p.viewType === viewType)?.revive(studio, panel, state);
}

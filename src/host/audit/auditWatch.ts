// Watches live runs' audit.jsonl: the first time a check crosses its threshold (bnpo.audit.thresholds) in a
// running run, a notification says so, with a button opening the Samples panel on the flagged completions.
import * as vscode from 'vscode';
import type { AuditCheckKey } from '../../protocol/audit';
import { COMMAND_IDS } from '../commandIds';
import { readConfig } from '../editorConfig';
import type { RunsModel } from '../runs/runsModel';
import { crossingText, newCrossings } from './auditCrossings';

export const SHOW_FLAGGED = 'Show Flagged Samples';

export class AuditWatch implements vscode.Disposable {
  /** per run folder, the checks already reported */
  private readonly seen = new Map<string, Set<AuditCheckKey>>();
  private readonly subscription: { dispose(): void };

  constructor(model: RunsModel, log: vscode.LogOutputChannel) {
    this.subscription = model.onDidChange((event) => {
      if (event.kind !== 'changed' || event.run.status !== 'running') return;
      const { run, change } = event;
      if (change.audits.length === 0) return;
      const seen = this.seen.get(run.dir) ?? new Set<AuditCheckKey>();
      this.seen.set(run.dir, seen);
      const crossings = newCrossings(
        change.audits,
        readConfig(vscode.Uri.file(run.dir)).auditThresholds,
        seen,
      );
      if (crossings.length === 0) return;
      const text = crossingText(run.label, crossings);
      log.warn(text);
      void vscode.window.showWarningMessage(text, SHOW_FLAGGED, 'Open Dashboard').then((choice) => {
        if (choice === SHOW_FLAGGED)
          void vscode.commands.executeCommand(COMMAND_IDS.showSamples, run.id, { filter: 'flagged' });
        else if (choice === 'Open Dashboard')
          void vscode.commands.executeCommand(COMMAND_IDS.openDashboard, run.id);
      });
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

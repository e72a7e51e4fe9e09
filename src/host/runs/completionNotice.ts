// A notification when a followed run completes (seen running, then completed), with its last figures and a button
// to open its dashboard. The editor API comes in as a parameter so the unit tier can check it without VS Code.
import type * as vscode from 'vscode';
import { COMMAND_IDS } from '../commandIds';
import { ForeignRun } from './foreignRun';
import type { RunFollower } from './runFollower';
import type { RunsEvent } from './runsModel';

type Editor = { window: Pick<typeof vscode.window, 'showInformationMessage'> } & {
  commands: Pick<typeof vscode.commands, 'executeCommand'>;
};

const OPEN = 'Open Dashboard';

/** "BNPO: run addition-quick completed: 60 steps, reward 0.81, held-out accuracy 0.64." */
export function completionText(run: Pick<RunFollower, 'label' | 'lastMetrics' | 'evals'>): string {
  const last = run.lastMetrics;
  const evalLast = run.evals.at(-1);
  const parts: string[] = [];
  if (last) parts.push(`${last.step} steps`, `reward ${last.reward.toFixed(3)}`);
  if (evalLast) parts.push(`held-out accuracy ${evalLast.accuracy.toFixed(3)}`);
  return `BNPO: run ${run.label} completed${parts.length > 0 ? `: ${parts.join(', ')}` : ''}.`;
}

/** Watches the followed runs; returns what stops watching. */
export function noticeCompletions(
  model: { onDidChange(listener: (event: RunsEvent) => void): { dispose(): void } },
  editor: Editor,
): { dispose(): void } {
  const last = new Map<string, string>();
  return model.onDidChange((event) => {
    const { run } = event;
    // Another tool's log records no status: it reads as completed once its files stop growing, which is no news.
    if (run instanceof ForeignRun) return;
    const before = last.get(run.dir);
    last.set(run.dir, run.status);
    if (event.kind !== 'changed' || before !== 'running' || run.status !== 'completed') return;
    void editor.window.showInformationMessage(completionText(run), OPEN).then((choice) => {
      if (choice === OPEN) void editor.commands.executeCommand(COMMAND_IDS.openDashboard, run.id);
    });
  });
}

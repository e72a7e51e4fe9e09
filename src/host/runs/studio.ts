// "Studio" is BNPO Studio, the product: this is its one shared object at run time, what the Runs view and the
// panels share: the followed runs, the trainer's run manager, the trainer log channel and where the extension
// lives. Created once by the runs feature; disposed with it.
import * as vscode from 'vscode';
import type { FollowedRun } from './runFollower';
import type { RunManager } from './runManager';
import { describeRun } from './runRow';
import type { RunsModel } from './runsModel';

export interface Studio {
  readonly extensionUri: vscode.Uri;
  readonly model: RunsModel;
  readonly manager: RunManager;
  readonly log: vscode.LogOutputChannel;
}

/** Newest first: by creation time in run.json, else by folder name (which starts with the time). */
export function runsNewestFirst(runs: readonly FollowedRun[]): FollowedRun[] {
  return [...runs].sort((a, b) => (b.info?.createdAt ?? b.id).localeCompare(a.info?.createdAt ?? a.id));
}

/** The run a command without an argument acts on: the newest running one, else the newest. */
export function defaultRun(runs: readonly FollowedRun[]): FollowedRun | undefined {
  const sorted = runsNewestFirst(runs);
  return sorted.find((r) => r.status === 'running') ?? sorted[0];
}

export { describeRun } from './runRow';

/** A quick pick over the followed runs; `filter` narrows it (e.g. only running ones for Stop). */
export async function pickRun(
  studio: Studio,
  title: string,
  filter: (run: FollowedRun) => boolean = () => true,
): Promise<FollowedRun | undefined> {
  const runs = runsNewestFirst(studio.model.list()).filter(filter);
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(
      `BNPO: no run to choose from in ${studio.model.roots.join(', ')}.`,
    );
    return undefined;
  }
  if (runs.length === 1) return runs[0];
  const picked = await vscode.window.showQuickPick(
    runs.map((run) => ({ label: run.label, description: describeRun(run), detail: run.dir, run })),
    { title, placeHolder: 'Run', matchOnDescription: true },
  );
  return picked?.run;
}

// The runs table: one row per followed run (built-in, verl and TRL run folders alike), sorted, filtered, grouped
// and coloured in the page. The page gets every run once, then each run that appears, changes or goes; Compare
// and a row's dashboard go to the dashboard.
import * as vscode from 'vscode';
import {
  RUNS_TABLE_VIEW_TYPE,
  RunsTableToHostSchema,
  RunsTableViewStateSchema,
} from '../../protocol/runsTable';
import type { HostToRunsTable, RunsTableToHost } from '../../protocol/runsTable';
import { COMMAND_IDS } from '../commandIds';
import type { FollowedRun } from '../runs/runFollower';
import type { Studio } from '../runs/studio';
import { runsNewestFirst } from '../runs/studio';
import { openCompare } from './dashboardPanel';
import { runsTableRun } from './pageData';
import { defineRunPanel } from './runPanel';

export const RunsTablePanel = defineRunPanel({
  viewType: RUNS_TABLE_VIEW_TYPE,
  title: 'BNPO Runs Table',
  bundle: 'runsTable',
  icon: 'runsTable.svg',
  protocol: { toHost: RunsTableToHostSchema, viewState: RunsTableViewStateSchema },
  restore: (): undefined => undefined,
  create: (studio: Studio, context) => {
    const post = (message: HostToRunsTable): void => context.post(message);
    // Two roots may hold runs of one name: the row is the first root's, as in the Runs view.
    const shown = (run: FollowedRun): boolean => studio.model.get(run.id) === run;
    return {
      sendAll: () =>
        post({ type: 'runs', runs: runsNewestFirst(studio.model.list()).filter(shown).map(runsTableRun) }),
      onRunsEvent: (event) => {
        const { run } = event;
        if (event.kind === 'removed') {
          const other = studio.model.get(run.id);
          post(other ? { type: 'run', run: runsTableRun(other) } : { type: 'removed', id: run.id });
          return;
        }
        if (!shown(run)) return;
        // A step appends a metrics record, an evaluation an eval record, a status change rewrites run.json.
        const { change } = event.kind === 'changed' ? event : { change: undefined };
        if (!change || change.info || change.reset || change.metrics.length > 0 || change.evals.length > 0)
          post({ type: 'run', run: runsTableRun(run) });
      },
      onMessage: (message: RunsTableToHost) => {
        const done =
          message.type === 'compare'
            ? openCompare(studio, message.runIds, message.groups)
            : message.type === 'open'
              ? vscode.commands.executeCommand(COMMAND_IDS.openDashboard, message.runId)
              : undefined;
        done?.then(undefined, (err: unknown) => {
          void vscode.window.showErrorMessage(`BNPO: ${String(err)}`);
        });
      },
    };
  },
});

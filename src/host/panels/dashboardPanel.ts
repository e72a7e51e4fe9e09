// The dashboard: curves of one or more runs (Compare Runs overlays them). The page gets every row once, then only
// appended rows; a rewritten file (a resume that dropped steps past its checkpoint) sends everything again.
import * as vscode from 'vscode';
import {
  DASHBOARD_VIEW_TYPE,
  DashboardToHostSchema,
  DashboardViewStateSchema,
} from '../../protocol/dashboard';
import type { DashboardToHost, HostToDashboard } from '../../protocol/dashboard';
import { withAuditSeries } from '../audit/auditSeries';
import { COMMAND_IDS } from '../commandIds';
import { readConfig } from '../editorConfig';
import type { RunFollower } from '../runs/runFollower';
import { dashboardRun, toHeldOutColumns, toMetricColumns, wallAt } from './pageData';
import { defineRunPanel } from './runPanel';

/** The page's buttons run the same commands as the palette. */
const PAGE_COMMANDS = { exportCsv: COMMAND_IDS.exportMetricsCsv, compare: COMMAND_IDS.compareRuns } as const;

export const DashboardPanel = defineRunPanel({
  viewType: DASHBOARD_VIEW_TYPE,
  title: 'BNPO Dashboard',
  bundle: 'dashboard',
  icon: 'dashboard.svg',
  protocol: { toHost: DashboardToHostSchema, viewState: DashboardViewStateSchema },
  restore: (_studio, state): string[] => state?.runIds ?? [],
  create: (studio, context, initial: string[]) => {
    let runIds = initial;
    // The rules each run had when sent: a run whose rules changed gets new series, so everything again.
    let sentRules = new Map<string, string>();
    const post = (message: HostToDashboard): void => context.post(message);
    const sendAll = (): void => {
      const runs = runIds.map((id) => studio.model.get(id)).filter((r): r is RunFollower => r !== undefined);
      sentRules = new Map(runs.map((r) => [r.id, r.rules.join('\n')]));
      const { auditThresholds } = readConfig();
      post({ type: 'runs', runs: runs.map((r) => dashboardRun(r, auditThresholds)) });
    };
    return {
      get shownRunIds(): readonly string[] {
        return runIds;
      },
      sendAll,
      update: (ids: string[]) => {
        runIds = [...new Set(ids)];
        context.refresh();
      },
      onRunsEvent: (event) => {
        const { run } = event;
        if (!runIds.includes(run.id)) return;
        if (
          event.kind !== 'changed' ||
          event.change.reset ||
          sentRules.get(run.id) !== run.rules.join('\n')
        ) {
          sendAll();
          return;
        }
        const { change } = event;
        if (change.metrics.length > 0 || change.evals.length > 0) {
          const metrics = withAuditSeries(
            toMetricColumns(change.metrics, run.rules),
            run.audits,
            readConfig().auditThresholds,
          );
          post({ type: 'append', id: run.id, metrics, heldOut: toHeldOutColumns(change.evals, wallAt(run)) });
        }
        if (change.info) post({ type: 'status', id: run.id, status: run.status });
      },
      onMessage: (message: DashboardToHost) => {
        if (message.type === 'ready') return;
        const args = message.type === 'exportCsv' ? [runIds] : [];
        void vscode.commands
          .executeCommand(PAGE_COMMANDS[message.type], ...args)
          .then(undefined, (err: unknown) => {
            void vscode.window.showErrorMessage(`BNPO: ${String(err)}`);
          });
      },
    };
  },
});

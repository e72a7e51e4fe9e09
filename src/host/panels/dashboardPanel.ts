// The dashboard: curves of one or more runs (Compare Runs overlays them). The page gets every row once, then only
// appended rows; a rewritten file (a resume that dropped steps past its checkpoint) sends everything again.
import * as vscode from 'vscode';
import {
  DASHBOARD_VIEW_TYPE,
  DashboardToHostSchema,
  DashboardViewStateSchema,
} from '../../protocol/dashboard';
import type { CompareGroup, DashboardToHost, HostToDashboard } from '../../protocol/dashboard';
import { withAuditSeries } from '../audit/auditSeries';
import { COMMAND_IDS } from '../commandIds';
import { readConfig } from '../editorConfig';
import type { FollowedRun } from '../runs/runFollower';
import { RunFollower } from '../runs/runFollower';
import type { Studio } from '../runs/studio';
import { changeColumns, dashboardRun, toHeldOutColumns, wallAt } from './pageData';
import { defineRunPanel } from './runPanel';

/** The page's buttons run the same commands as the palette. */
const PAGE_COMMANDS = { exportCsv: COMMAND_IDS.exportMetricsCsv, compare: COMMAND_IDS.compareRuns } as const;

/** What the dashboard shows: runs, and for a grouped Compare the groups drawn as mean ± std. */
export interface DashboardInput {
  runIds: readonly string[];
  groups?: readonly CompareGroup[];
}

function toInput(input: readonly string[] | DashboardInput): DashboardInput {
  return Array.isArray(input) ? { runIds: input } : (input as DashboardInput);
}

/** Asks where to save one chart's CSV (the page wrote it: the rows it has, or the zoomed window) and writes it. */
async function saveChartCsv(name: string, csv: string): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    title: 'BNPO: Save Chart as CSV',
    filters: { CSV: ['csv'] },
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
  });
  if (!target) return;
  try {
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(csv));
    void vscode.window.showInformationMessage(`BNPO: saved ${vscode.workspace.asRelativePath(target)}`);
  } catch (err) {
    void vscode.window.showErrorMessage(`BNPO: could not save ${target.fsPath}: ${String(err)}`);
  }
}

export const DashboardPanel = defineRunPanel({
  viewType: DASHBOARD_VIEW_TYPE,
  title: 'BNPO Dashboard',
  bundle: 'dashboard',
  icon: 'dashboard.svg',
  protocol: { toHost: DashboardToHostSchema, viewState: DashboardViewStateSchema },
  restore: (_studio, state): DashboardInput => ({
    runIds: state?.runIds ?? [],
    ...(state?.groups ? { groups: state.groups } : {}),
  }),
  create: (studio, context, initial: readonly string[] | DashboardInput) => {
    let { runIds, groups } = toInput(initial);
    // The rules each run had when sent: a run whose rules changed gets new series, so everything again.
    let sentRules = new Map<string, string>();
    const post = (message: HostToDashboard): void => context.post(message);
    // A run's columns are kept while this panel charts it (the Runs view needs none of them).
    const release = (ids: readonly string[]): void => {
      for (const id of ids) {
        const run = studio.model.get(id);
        if (run instanceof RunFollower) run.releaseColumns();
      }
    };
    context.register({ dispose: () => release(runIds) });
    const sendAll = (): void => {
      const runs = runIds.map((id) => studio.model.get(id)).filter((r): r is FollowedRun => r !== undefined);
      sentRules = new Map(runs.map((r) => [r.id, r.rules.join('\n')]));
      const { auditThresholds } = readConfig();
      post({
        type: 'runs',
        runs: runs.map((r) => dashboardRun(r, auditThresholds)),
        ...(groups ? { groups: [...groups] } : {}),
      });
    };
    return {
      get shownRunIds(): readonly string[] {
        return runIds;
      },
      sendAll,
      update: (input: readonly string[] | DashboardInput) => {
        const next = toInput(input);
        const ids = [...new Set(next.runIds)];
        release(runIds.filter((id) => !ids.includes(id)));
        runIds = ids;
        groups = next.groups;
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
        if (change.metrics.length > 0 || change.evals.length > 0 || (change.imported?.length ?? 0) > 0) {
          const columns = changeColumns(run, change);
          const metrics =
            run instanceof RunFollower
              ? withAuditSeries(columns, run.columns().audit, readConfig().auditThresholds)
              : columns;
          post({ type: 'append', id: run.id, metrics, heldOut: toHeldOutColumns(change.evals, wallAt(run)) });
        }
        if (change.info) post({ type: 'status', id: run.id, status: run.status });
      },
      onMessage: (message: DashboardToHost) => {
        if (message.type === 'ready') return;
        if (message.type === 'saveChartCsv') {
          void saveChartCsv(message.name, message.csv);
          return;
        }
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

/**
 * Compare Runs from code (the runs table): overlays `runIds` on the dashboard; with `groups`, each group's runs are
 * drawn as their mean per step with a ±1 std band, one colour per group. Runs named only in a group are shown too.
 */
export function openCompare(
  studio: Studio,
  runIds: readonly string[],
  groups?: readonly CompareGroup[],
): void {
  const all = [...new Set([...runIds, ...(groups ?? []).flatMap((g) => g.runIds)])];
  DashboardPanel.show(studio, groups && groups.length > 0 ? { runIds: all, groups } : { runIds: all });
}

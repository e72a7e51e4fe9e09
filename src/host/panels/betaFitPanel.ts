// The Beta-fit panel for one run: each step's fit (metrics.jsonl) joined with that step's p̂ per group
// (groups.jsonl). A step is sent when either half arrives, and again when the other half does.
import { BETA_FIT_VIEW_TYPE, BetaFitToHostSchema, BetaFitViewStateSchema } from '../../protocol/betaFit';
import type { HostToBetaFit } from '../../protocol/betaFit';
import type { RunFollower } from '../runs/runFollower';
import { betaFitSteps } from './pageData';
import { defineRunPanel, oneRunController, restoredRunId, shownRun } from './runPanel';

const groupSize = (run: RunFollower): number => run.info?.config.groupSize ?? 1;

export const BetaFitPanel = defineRunPanel({
  viewType: BETA_FIT_VIEW_TYPE,
  title: 'BNPO Beta Fit',
  bundle: 'betaFit',
  icon: 'betaDensity.svg',
  protocol: { toHost: BetaFitToHostSchema, viewState: BetaFitViewStateSchema },
  restore: restoredRunId,
  create: (studio, context, runId: string) => {
    const post = (message: HostToBetaFit): void => context.post(message);
    return oneRunController(studio, context, runId, {
      sendAll: (run) =>
        post({
          type: 'run',
          ...shownRun(run),
          steps: betaFitSteps(run.metrics, run.groups, groupSize(run)),
        }),
      sendChange: (run, change) => {
        const touched = new Set([...change.metrics.map((m) => m.step), ...change.groups.map((g) => g.step)]);
        if (touched.size > 0) {
          const steps = betaFitSteps(run.metrics, run.groups, groupSize(run), touched);
          if (steps.length > 0) post({ type: 'append', id: run.id, steps });
        }
        if (change.info) post({ type: 'status', id: run.id, status: run.status });
      },
    });
  },
});

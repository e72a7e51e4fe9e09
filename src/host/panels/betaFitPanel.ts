// The Beta-fit panel for one run: each step's fit (metrics.jsonl) joined with that step's p̂ per group
// (groups.jsonl). A step is sent when either half arrives, and again when the other half does.
import { BETA_FIT_VIEW_TYPE, BetaFitToHostSchema, BetaFitViewStateSchema } from '../../protocol/betaFit';
import type { HostToBetaFit } from '../../protocol/betaFit';
import { betaFitChange, betaFitRun } from './pageData';
import { defineRunPanel, oneRunController, restoredRunId } from './runPanel';

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
      sendAll: (run) => post(betaFitRun(run)),
      sendChange: (run, change) => {
        const steps = betaFitChange(run, change);
        if (steps.length > 0) post({ type: 'append', id: run.id, steps });
        if (change.info) post({ type: 'status', id: run.id, status: run.status });
      },
    });
  },
});

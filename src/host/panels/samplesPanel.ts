// The samples panel for one run: samples.jsonl as written, one step at a time (the page asks for the step it
// shows; a step that grows is sent again), filtered in the page.
import { SAMPLES_VIEW_TYPE, SamplesToHostSchema, SamplesViewStateSchema } from '../../protocol/samples';
import type { HostToSamples } from '../../protocol/samples';
import type { SamplesToHost } from '../../protocol/samples';
import { samplesRun, samplesStep } from './pageData';
import { defineRunPanel, oneRunController, restoredRunId } from './runPanel';

export const SamplesPanel = defineRunPanel({
  viewType: SAMPLES_VIEW_TYPE,
  title: 'BNPO Samples',
  bundle: 'samples',
  icon: 'samples.svg',
  protocol: { toHost: SamplesToHostSchema, viewState: SamplesViewStateSchema },
  restore: restoredRunId,
  create: (studio, context, runId: string) => {
    const post = (message: HostToSamples): void => context.post(message);
    // Asked for by showFlagged(): the next full message opens the page on the flagged completions, once.
    let flagged = false;
    const controller = oneRunController(studio, context, runId, {
      sendAll: (run) => {
        post({ ...samplesRun(run), ...(flagged ? { show: 'flagged' as const } : {}) });
        flagged = false;
      },
      sendChange: (run, change) => {
        if (change.info) post({ type: 'status', id: run.id, status: run.status });
        for (const step of change.sampledSteps) post(samplesStep(run, step));
      },
    });
    return {
      ...controller,
      /** Shows the completions the run's audit flagged (the page sends everything again, with `show`). */
      showFlagged: () => {
        flagged = true;
        context.refresh();
      },
      onMessage: (message: SamplesToHost) => {
        const run = controller.shownRun();
        if (message.type === 'requestStep' && run) post(samplesStep(run, message.step));
      },
    };
  },
});

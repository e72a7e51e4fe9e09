// The samples panel for one run: samples.jsonl as written, filtered in the page.
import { SAMPLES_VIEW_TYPE, SamplesToHostSchema, SamplesViewStateSchema } from '../../protocol/samples';
import type { HostToSamples } from '../../protocol/samples';
import { samplesRun } from './pageData';
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
    return oneRunController(studio, context, runId, {
      sendAll: (run) => post(samplesRun(run)),
      sendChange: (run, change) => {
        if (change.info) post({ type: 'status', id: run.id, status: run.status });
        if (change.samples.length > 0) post({ type: 'append', id: run.id, records: [...change.samples] });
      },
    });
  },
});

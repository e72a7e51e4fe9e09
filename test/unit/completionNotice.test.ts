// The notification when a followed run completes: once, for a run seen running that turns completed, with its
// last step, reward and held-out accuracy, and a button that opens its dashboard.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completionText, noticeCompletions } from '../../src/host/runs/completionNotice';
import type { RunChange, RunFollower } from '../../src/host/runs/runFollower';
import type { RunsEvent } from '../../src/host/runs/runsModel';
import { metricsRecord } from './studioFixtures';

function fakeRun(status: string): RunFollower {
  return {
    dir: '/runs/r1',
    id: 'r1',
    label: 'addition-quick',
    status,
    lastMetrics: metricsRecord(60),
    evals: [],
  } as unknown as RunFollower;
}

describe('run completion notice', () => {
  it('says once that a run seen running completed, and its button opens the dashboard', async () => {
    let listener: ((event: RunsEvent) => void) | undefined;
    const shown: string[] = [];
    const commands: unknown[][] = [];
    const model = {
      onDidChange: (l: (event: RunsEvent) => void) => {
        listener = l;
        return { dispose: () => (listener = undefined) };
      },
    };
    const editor = {
      window: {
        showInformationMessage: (text: string) => {
          shown.push(text);
          return Promise.resolve('Open Dashboard');
        },
      },
      commands: {
        executeCommand: (...args: unknown[]) => {
          commands.push(args);
          return Promise.resolve(undefined);
        },
      },
    } as unknown as Parameters<typeof noticeCompletions>[1];
    const watch = noticeCompletions(model, editor);
    const change = { metrics: [], groups: [], samples: [], evals: [] } as unknown as RunChange;
    listener!({ kind: 'added', run: fakeRun('completed') });
    listener!({ kind: 'changed', run: fakeRun('completed'), change });
    assert.deepEqual(shown, [], 'a run never seen running is not announced');
    const other = { ...fakeRun('running'), dir: '/runs/r2' } as RunFollower;
    listener!({ kind: 'added', run: other });
    listener!({ kind: 'changed', run: { ...other, status: 'completed' } as RunFollower, change });
    listener!({ kind: 'changed', run: { ...other, status: 'completed' } as RunFollower, change });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(shown.length, 1);
    assert.match(shown[0]!, /^BNPO: run addition-quick completed: 60 steps, reward /);
    assert.deepEqual(commands, [['bnpo.openDashboard', 'r1']]);
    watch.dispose();
    assert.equal(listener, undefined);
  });

  it('names the held-out accuracy when the run evaluated', () => {
    const run = {
      label: 'x',
      lastMetrics: undefined,
      evals: [{ accuracy: 0.6412 }],
    } as unknown as RunFollower;
    assert.equal(completionText(run), 'BNPO: run x completed: held-out accuracy 0.641.');
  });
});

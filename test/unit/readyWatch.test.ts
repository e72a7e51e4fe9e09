// A panel whose rebuilt frame never says "ready" (its script failed to load after a move to another group) is
// loaded again, a bounded number of times; a page that does say "ready" is left alone.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { ReadyWatch } from '../../src/host/panels/readyWatch';

function watched(): { watch: ReadyWatch; reloads: number[]; gaveUp: number[] } {
  const reloads: number[] = [];
  const gaveUp: number[] = [];
  const watch = new ReadyWatch(
    { reload: (attempt) => reloads.push(attempt), gaveUp: (attempts) => gaveUp.push(attempts) },
    { timeoutMs: 1_000, maxReloads: 2 },
  );
  return { watch, reloads, gaveUp };
}

describe('panel ready watch', () => {
  it('reloads a page that says nothing in time, waiting longer each time, then gives up after the last try', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { watch, reloads, gaveUp } = watched();
      watch.loading();
      mock.timers.tick(999);
      assert.deepEqual(reloads, [], 'not before the timeout');
      mock.timers.tick(1);
      assert.deepEqual(reloads, [1]);
      // A slow page is given twice as long after each reload.
      mock.timers.tick(1_999);
      assert.deepEqual(reloads, [1]);
      mock.timers.tick(1);
      assert.deepEqual(reloads, [1, 2]);
      mock.timers.tick(3_999);
      assert.deepEqual(gaveUp, []);
      mock.timers.tick(1);
      assert.deepEqual(reloads, [1, 2], 'at most maxReloads');
      assert.deepEqual(gaveUp, [2]);
      mock.timers.tick(60_000);
      assert.deepEqual(reloads, [1, 2]);
      assert.equal(watch.waiting, false);
    } finally {
      mock.timers.reset();
    }
  });

  it('stops waiting when the page (or a reloaded one) says ready, and counts afresh on the next move', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { watch, reloads, gaveUp } = watched();
      watch.loading();
      mock.timers.tick(500);
      watch.ready();
      mock.timers.tick(5_000);
      assert.deepEqual(reloads, []);
      // Moved again: one reload brings it back.
      watch.loading();
      mock.timers.tick(1_000);
      assert.deepEqual(reloads, [1]);
      watch.ready();
      mock.timers.tick(5_000);
      assert.deepEqual(reloads, [1]);
      watch.loading();
      mock.timers.tick(1_000);
      assert.deepEqual(reloads, [1, 1], 'a new load starts at try 1');
      assert.deepEqual(gaveUp, []);
    } finally {
      mock.timers.reset();
    }
  });

  it('does nothing once the panel is closed', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { watch, reloads } = watched();
      watch.loading();
      watch.dispose();
      mock.timers.tick(10_000);
      watch.loading();
      mock.timers.tick(10_000);
      assert.deepEqual(reloads, []);
    } finally {
      mock.timers.reset();
    }
  });
});

// The dashboard's keyboard crosshair without a DOM (webview/dashboard/model.ts cursorIndex, cursorReadout): which
// row each key moves it to over a chart's whole table or its zoom window, checked against the rows themselves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cursorIndex, cursorReadout } from '../../webview/dashboard/model';
import { longRunMetrics } from '../tools/longRun';

const steps = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Presses `key` from `index` until the crosshair stops moving; the rows it visited, in order. */
function walk(xs: readonly number[], index: number, key: string, window: [number, number] | null): number[] {
  const seen = [index];
  for (;;) {
    const next = cursorIndex(xs, seen[seen.length - 1]!, key, window);
    assert.notEqual(next, undefined, `${key} is a crosshair key`);
    if (next === seen[seen.length - 1]) return seen;
    seen.push(next!);
  }
}

describe('dashboard keyboard crosshair', () => {
  const xs = steps(100);

  it('starts on the newest row, then moves one row per arrow and stops at the ends', () => {
    for (const key of ['ArrowRight', 'ArrowLeft', 'ArrowUp', 'ArrowDown', 'PageUp', 'PageDown'])
      assert.equal(cursorIndex(xs, -1, key), 99, `${key} with no crosshair`);
    assert.equal(cursorIndex(xs, 10, 'ArrowRight'), 11);
    assert.equal(cursorIndex(xs, 10, 'ArrowUp'), 11);
    assert.equal(cursorIndex(xs, 10, 'ArrowLeft'), 9);
    assert.equal(cursorIndex(xs, 10, 'ArrowDown'), 9);
    assert.equal(cursorIndex(xs, 0, 'ArrowLeft'), 0);
    assert.equal(cursorIndex(xs, 99, 'ArrowRight'), 99);
    assert.equal(cursorIndex(xs, 50, 'Home'), 0);
    assert.equal(cursorIndex(xs, -1, 'End'), 99);
  });

  it('jumps a tenth of the shown rows with Page Up/Down, clamped to the ends', () => {
    assert.equal(cursorIndex(xs, 50, 'PageUp'), 60);
    assert.equal(cursorIndex(xs, 50, 'PageDown'), 40);
    assert.equal(cursorIndex(xs, 95, 'PageUp'), 99);
    assert.equal(cursorIndex(xs, 3, 'PageDown'), 0);
    // Fewer than ten rows: a page is still one row.
    assert.equal(cursorIndex(steps(4), 1, 'PageUp'), 2);
  });

  it('leaves with Escape and lets every other key through', () => {
    assert.equal(cursorIndex(xs, 7, 'Escape'), -1);
    // No crosshair: Escape is the page's (it leaves full screen).
    assert.equal(cursorIndex(xs, -1, 'Escape'), undefined);
    for (const key of ['Enter', 'Tab', 'a', ' ']) assert.equal(cursorIndex(xs, 7, key), undefined, key);
    assert.equal(cursorIndex([], -1, 'ArrowLeft'), undefined, 'no rows');
  });

  it('over a zoom visits exactly the rows inside the window, one by one', () => {
    const window: [number, number] = [10.5, 20.2];
    assert.equal(cursorIndex(xs, -1, 'Home', window), 10, 'step 11, the first inside');
    assert.equal(cursorIndex(xs, -1, 'End', window), 19, 'step 20, the last inside');
    assert.equal(
      cursorIndex(xs, 5, 'ArrowRight', window),
      19,
      'a crosshair outside the window starts again inside',
    );
    assert.equal(cursorIndex(xs, -1, 'ArrowLeft', [200, 300]), undefined, 'a window with no row');
    const visited = walk(xs, cursorIndex(xs, -1, 'Home', window)!, 'ArrowRight', window).map((i) => xs[i]);
    assert.deepEqual(
      visited,
      xs.filter((x) => x >= window[0] && x <= window[1]),
    );
  });

  it('walks a 25,000-step run and a sparse axis row by row, forwards and back', () => {
    const long = longRunMetrics(25_000).map((m) => m.step);
    const window: [number, number] = [12_345.6, 12_400];
    const inside = long.filter((x) => x >= window[0] && x <= window[1]);
    const forwards = walk(long, cursorIndex(long, -1, 'Home', window)!, 'ArrowRight', window);
    assert.deepEqual(
      forwards.map((i) => long[i]),
      inside,
    );
    const back = walk(long, forwards[forwards.length - 1]!, 'ArrowLeft', window);
    assert.deepEqual(
      back.map((i) => long[i]),
      [...inside].reverse(),
    );
    // Steps with gaps (a log every few steps, TensorBoard's step 0): a key moves to the next logged step.
    const sparse = [0, 5, 10, 100, 1000];
    assert.deepEqual(
      walk(sparse, 0, 'ArrowRight', null).map((i) => sparse[i]),
      sparse,
    );
    assert.equal(cursorIndex(long, 0, 'PageUp'), 2500);
  });

  it('reads out the x and every line’s value', () => {
    assert.equal(
      cursorReadout('Reward', 'step 12 · 1m 4s', [
        { label: 'reward', value: '0.5', detail: 'smoothed 0.48' },
        { label: 'correct', value: '1' },
      ]),
      'Reward, step 12 · 1m 4s: reward 0.5 (smoothed 0.48); correct 1',
    );
  });
});

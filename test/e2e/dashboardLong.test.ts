// The dashboard on a 25,000-step run (test/tools/longRun.ts) in the real workbench: a zoom draws exactly the rows
// of its window in every chart, one synced crosshair names the same step in every chart, a double-click shows the
// whole range again, the log toggle of one chart says what it cannot draw; photographed in three themes.
import * as assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import { runPaletteCommand, screenshot, webviewFrame } from './helpers';
import { setTheme, until, webviewInTheme } from './studioHelpers';
import type { ThemeName } from './studioHelpers';
import { useWorkbench } from './workbench';
import { longRunFiles } from '../tools/longRun';

const STEPS = 25_000;
const RUN_ID = 'long-25k';
const DASHBOARD = 'BNPO Dashboard';
const CHART_IDS = [
  'reward',
  'accuracy',
  'loss',
  'gradNorm',
  'clipFraction',
  'entropy',
  'completionLength',
  'zeroVarianceShare',
];

function files(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(longRunFiles(RUN_ID, STEPS)))
    out[`.bnpo/runs/${RUN_ID}/${name}`] = text;
  return out;
}

interface Window {
  xMin: number;
  xMax: number;
  first: number;
  last: number;
  inWindow: number;
}

async function chartWindow(frame: FrameLocator, id: string): Promise<Window> {
  const card = frame.locator(`[data-chart="${id}"]`);
  const attr = async (name: string): Promise<number> => Number((await card.getAttribute(name)) ?? 'NaN');
  return {
    xMin: await attr('data-x-min'),
    xMax: await attr('data-x-max'),
    first: await attr('data-drawn-first'),
    last: await attr('data-drawn-last'),
    inWindow: await attr('data-drawn-in-window'),
  };
}

/** Drags across the reward chart's plot from `a` to `b`, fractions of its width. */
async function dragZoom(frame: FrameLocator, a: number, b: number): Promise<void> {
  const over = frame.locator('[data-chart="reward"] .u-over');
  const box = await over.boundingBox();
  assert.ok(box, 'the reward plot has a box');
  const page = over.page();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * a, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * ((a + b) / 2), y, { steps: 4 });
  await page.mouse.move(box.x + box.width * b, y, { steps: 4 });
  await page.mouse.up();
}

async function legendSteps(frame: FrameLocator): Promise<string[]> {
  const out: string[] = [];
  for (const id of CHART_IDS)
    out.push(
      ((await frame.locator(`[data-chart="${id}"] [data-testid="legend-step"]`).textContent()) ?? '').trim(),
    );
  return out;
}

async function photograph(page: Page, theme: ThemeName): Promise<void> {
  await setTheme(page, theme);
  const frame = await webviewFrame(page, DASHBOARD);
  await webviewInTheme(frame, theme);
  await frame.locator('[data-chart="reward"] .u-over').waitFor({ timeout: 30_000 });
  await page.waitForTimeout(500);
  await screenshot(page, `dashboard-25k-${theme}`);
}

describe('dashboard: a 25,000-step run (packaged extension)', function () {
  this.timeout(180_000);
  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: files(),
  });

  it('opens with every chart over the whole run', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await runPaletteCommand(page, 'BNPO: Open Dashboard');
    const frame = await webviewFrame(page, DASHBOARD, 90_000);
    await until(
      'the reward chart with 25,000 rows',
      async () => Number((await frame.locator('[data-chart="reward"]').getAttribute('data-rows')) ?? 0),
      (n) => n === STEPS,
      90_000,
    );
    const w = await chartWindow(frame, 'reward');
    assert.deepEqual([w.xMin, w.xMax, w.first, w.last], [1, STEPS, 1, STEPS]);
    // No developer footer.
    assert.equal(await frame.locator('footer').count(), 0);
  });

  it('a zoom draws exactly the rows of one window in every chart, and their crosshair names one step', async () => {
    const { page } = workbench;
    const frame = await webviewFrame(page, DASHBOARD);
    // A wide zoom: the drawn rows reach both edges of the window.
    await dragZoom(frame, 0.05, 0.95);
    const wide = await until(
      'the reward chart zoomed',
      () => chartWindow(frame, 'reward'),
      (w) => w.xMax - w.xMin < STEPS * 0.95,
    );
    for (const id of CHART_IDS) {
      // Charts below the fold are drawn when scrolled to; scroll each into view first.
      await frame.locator(`[data-chart="${id}"]`).scrollIntoViewIfNeeded();
      const w = await until(
        `${id} drawn in the window`,
        () => chartWindow(frame, id),
        (v) => !Number.isNaN(v.first),
      );
      assert.deepEqual(
        [w.xMin, w.xMax],
        [wide.xMin, wide.xMax],
        `${id}: the same window as the reward chart`,
      );
      assert.equal(w.first, Math.ceil(wide.xMin), `${id}: the first step of the window is drawn`);
      assert.equal(w.last, Math.floor(wide.xMax), `${id}: the last step of the window is drawn`);
    }
    await frame.locator('[data-chart="reward"]').scrollIntoViewIfNeeded();
    // Zoom again, narrow enough that every row of the window is drawn: each chart draws all of them.
    for (let i = 0; i < 3; i++) await dragZoom(frame, 0.4, 0.45);
    const narrow = await until(
      'a narrow window',
      () => chartWindow(frame, 'reward'),
      (w) => w.xMax - w.xMin < 200,
    );
    const rowsInWindow = Math.floor(narrow.xMax) - Math.ceil(narrow.xMin) + 1;
    for (const id of CHART_IDS) {
      await frame.locator(`[data-chart="${id}"]`).scrollIntoViewIfNeeded();
      const w = await chartWindow(frame, id);
      assert.deepEqual([w.xMin, w.xMax], [narrow.xMin, narrow.xMax], id);
      assert.equal(w.inWindow, rowsInWindow, `${id}: every step of the window`);
    }
    await frame.locator('[data-chart="reward"]').scrollIntoViewIfNeeded();
    // One crosshair: hover the reward chart; every chart's legend names the same step.
    const over = frame.locator('[data-chart="reward"] .u-over');
    const box = await over.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width * 0.37, box.y + box.height / 2);
    const steps = await until(
      'the legends to follow the crosshair',
      () => legendSteps(frame),
      (s) => s.every((t) => t.startsWith('step ') && t.split(' · ')[0] === s[0]!.split(' · ')[0]),
    );
    const step = Number(/^step (\d+)/.exec(steps[0]!)?.[1]);
    // The tooltip beside the mouse, on the hovered chart only: the step, its times, raw and smoothed values.
    const tip = frame.locator('[data-chart="reward"] [data-testid="tooltip"]');
    assert.match((await tip.textContent()) ?? '', new RegExp(`^step ${step} · `));
    assert.equal(await frame.locator('[data-chart="loss"] [data-testid="tooltip"]').isVisible(), false);
    assert.ok(step >= narrow.xMin - 1 && step <= narrow.xMax + 1, `hovered step ${step} inside the window`);
    await screenshot(page, 'dashboard-25k-zoomed');
    // A double-click shows the whole run again, in every chart.
    await page.mouse.dblclick(box.x + box.width * 0.5, box.y + box.height / 2);
    await until(
      'the whole range again',
      () => chartWindow(frame, 'reward'),
      (w) => w.xMin === 1 && w.xMax === STEPS,
    );
    for (const id of CHART_IDS) {
      const w = await chartWindow(frame, id);
      const first = id === 'accuracy' ? 0 : 1;
      assert.deepEqual(
        [w.xMin, w.xMax, w.first, w.last],
        [first, STEPS, first, STEPS],
        `${id} after the reset`,
      );
    }
  });

  it('a log axis on the loss chart alone says how many values it cannot draw', async () => {
    const { page } = workbench;
    const frame = await webviewFrame(page, DASHBOARD);
    const loss = frame.locator('[data-chart="loss"]');
    await loss.scrollIntoViewIfNeeded();
    await loss.locator('[data-testid="chart-log"]').click();
    await until(
      'the loss chart on a log axis',
      () => loss.getAttribute('data-log'),
      (v) => v === 'true',
    );
    const notice = (await loss.locator('[data-testid="chart-notice"]').textContent()) ?? '';
    assert.match(notice, /values ≤ 0 are not drawn on a log scale/);
    assert.equal(await frame.locator('[data-chart="entropy"]').getAttribute('data-log'), 'false');
    await loss.locator('[data-testid="chart-log"]').click();
    await until(
      'the loss chart linear again',
      () => loss.getAttribute('data-log'),
      (v) => v === 'false',
    );
    assert.equal(await loss.locator('[data-testid="chart-notice"]').isHidden(), true);
  });

  it('is photographed in the dark, light and high-contrast themes', async () => {
    const { page } = workbench;
    const frame = await webviewFrame(page, DASHBOARD);
    await frame.locator('header').scrollIntoViewIfNeeded();
    for (const theme of ['light', 'high-contrast', 'dark'] as const) await photograph(page, theme);
  });
});

// The dashboard on a 25,000-step run (test/tools/longRun.ts) in the real workbench: a zoom draws exactly the rows
// of its window in every chart, one synced crosshair names the same step in every chart, a double-click shows the
// whole range again, the log toggle of one chart says what it cannot draw, the keyboard moves the crosshair row by
// row and the page announces the step and values of metrics.jsonl; photographed in three themes, the keyboard on a chart.
import * as assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import { runPaletteCommand, screenshot, webviewFrame } from './helpers';
import { setTheme, until, webviewInTheme } from './studioHelpers';
import type { ThemeName } from './studioHelpers';
import { useWorkbench } from './workbench';
import { longRunFiles } from '../tools/longRun';
import type { MetricsRecord } from '../../src/protocol/runDir';

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

/** The run's metrics.jsonl, by step: what the announced values are checked against. */
function metricsByStep(): Map<number, MetricsRecord> {
  const text = longRunFiles(RUN_ID, STEPS)['metrics.jsonl'];
  assert.ok(text, 'the long run has a metrics.jsonl');
  const records = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as MetricsRecord);
  return new Map(records.map((m) => [m.step, m]));
}

/** A value as the page prints it (four significant digits, tiny ones as 1.23e-4). */
function printed(v: number): number {
  return v !== 0 && Math.abs(v) < 1e-3 ? Number(v.toExponential(2)) : Number(v.toPrecision(4));
}

/** The announced step and each line's raw value, from "Reward per rule, step 12 · …: weighted 0.5 (smoothed …); …". */
function parseReadout(text: string): { step: number; values: Record<string, number> } {
  const m = /^Reward per rule, step (\d+) · .*?: (weighted .*)$/.exec(text);
  assert.ok(m, `a reward readout: ${text}`);
  const values: Record<string, number> = {};
  for (const part of m[2]!.split('; ')) {
    const [label, value] = part.split(' ');
    values[label!] = Number(value);
  }
  return { step: Number(m[1]), values };
}

/** The element with the keyboard focus, as the page's DOM has it (the test tier has no DOM types). */
interface Focused {
  className: string;
  closest(selector: string): { getAttribute(name: string): string | null } | null;
}

/** The chart the keyboard focus is in and the focused element's classes ("reward plot chart-focus"). */
function focused(frame: FrameLocator): Promise<string> {
  return frame
    .locator(':focus')
    .evaluate((el: Focused) => `${el.closest('[data-chart]')?.getAttribute('data-chart')} ${el.className}`);
}

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
  // The keyboard on the reward chart: its focus ring and the crosshair it moved must show in every theme.
  await page.mouse.move(5, 5);
  await frame.locator('[data-chart="reward"] .plot').focus();
  await page.keyboard.press('End');
  await page.keyboard.press('PageDown');
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

  it('the keyboard moves every chart’s crosshair row by row and announces the values of metrics.jsonl', async () => {
    const { page } = workbench;
    const frame = await webviewFrame(page, DASHBOARD);
    const metrics = metricsByStep();
    // The mouse off the charts: a chart under it when the page scrolls would take the crosshair back.
    await page.mouse.move(5, 5);
    const reward = frame.locator('[data-chart="reward"]');
    await reward.scrollIntoViewIfNeeded();
    // Tab from the card's last button reaches the plot.
    await reward.locator('[data-testid="chart-hide"]').focus();
    await page.keyboard.press('Tab');
    assert.equal(await focused(frame), 'reward plot chart-focus');
    const announcer = frame.locator('[data-testid="announcer"]');
    const announced = async (key: string, step: number): Promise<Record<string, number>> => {
      await page.keyboard.press(key);
      const text = await until(
        `step ${step} announced after ${key}`,
        async () => (await announcer.textContent()) ?? '',
        (t) => t.startsWith(`Reward per rule, step ${step} · `),
        10_000,
      );
      const readout = parseReadout(text);
      const m = metrics.get(step)!;
      assert.deepEqual(
        [readout.values.weighted, readout.values.correct, readout.values.well_formed],
        [printed(m.reward), printed(m.rewards.correct!), printed(m.rewards.well_formed!)],
        `${key}: the values of step ${step} in metrics.jsonl`,
      );
      return readout.values;
    };
    await announced('Home', 1);
    for (const step of [2, 3, 4]) await announced('ArrowRight', step);
    await announced('ArrowLeft', 3);
    await announced('PageUp', 3 + STEPS / 10);
    await announced('End', STEPS);
    await announced('ArrowDown', STEPS - 1);
    await announced('PageDown', STEPS - 1 - STEPS / 10);
    const step = STEPS - 1 - STEPS / 10;
    // The reward chart's legend and every other chart's name that step (the crosshair is shared by x, not pixel).
    for (const id of CHART_IDS) {
      const card = frame.locator(`[data-chart="${id}"]`);
      await card.scrollIntoViewIfNeeded();
      await until(
        `${id}'s legend at step ${step}`,
        async () => ((await card.locator('[data-testid="legend-step"]').textContent()) ?? '').trim(),
        (t) => t.startsWith(`step ${step} · `),
        10_000,
      );
    }
    const loss = frame.locator('[data-chart="loss"] .legend-row .raw').first();
    assert.equal(Number(await loss.textContent()), printed(metrics.get(step)!.loss!), 'the loss legend');
    await reward.scrollIntoViewIfNeeded();
    assert.equal(await focused(frame), 'reward plot chart-focus', 'the reward chart keeps the keyboard');
    await screenshot(page, 'dashboard-25k-keyboard');
    // Escape leaves: the crosshair is off, the legend is back on the newest step.
    await page.keyboard.press('Escape');
    await until(
      'the crosshair off',
      async () => (await announcer.textContent()) ?? '',
      (t) => t === 'Reward per rule: crosshair off',
    );
    await until(
      'the legend on the newest step',
      async () => ((await reward.locator('[data-testid="legend"] .legend-x').textContent()) ?? '').trim(),
      (t) => t.startsWith(`step ${STEPS} · `) && t.endsWith('newest'),
    );
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

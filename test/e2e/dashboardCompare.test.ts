// Compare Runs in the real workbench on four runs with long ids: colour means the run in every chart, the legend
// names each run by a short label and shows each line's dash, and a grouped Compare (the runs message with
// `groups`, as openCompare sends it) draws one mean line and ±std band per group. Photographed in three themes.
import * as assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { toHeldOutColumns, toMetricColumns } from '../../src/host/panels/pageData';
import type { DashboardRun } from '../../src/protocol/dashboard';
import { runPaletteCommand, screenshot, webviewFrame } from './helpers';
import { setTheme, until, webviewInTheme } from './studioHelpers';
import { useWorkbench } from './workbench';
import { LONG_RUN_RULES, longRunEvals, longRunFiles, longRunMetrics } from '../tools/longRun';

const STEPS = 2000;
const DASHBOARD = 'BNPO Dashboard';
/** Four runs, two estimators over two seeds, with ids as long as the trainer's. */
const RUNS = [
  { id: '20260101-120000-addition-bnpo-s1', seed: 1, lift: 0.05 },
  { id: '20260101-120000-addition-bnpo-s2', seed: 2, lift: 0.2 },
  { id: '20260101-120000-addition-grpo-s1', seed: 3, lift: -0.3 },
  { id: '20260101-120000-addition-grpo-s2', seed: 4, lift: -0.1 },
];

function files(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { id, seed, lift } of RUNS)
    for (const [name, text] of Object.entries(longRunFiles(id, STEPS, 250, seed, lift)))
      out[`.bnpo/runs/${id}/${name}`] = text;
  return out;
}

/** The dashboard page's own frame (inside the webview's host frame), to post it a message as its host would. */
async function pageFrame(page: Page): Promise<Frame> {
  const host = await page.locator('iframe.webview.ready:visible').first().elementHandle();
  const outer = await host?.contentFrame();
  const inner = await (await outer?.waitForSelector('#active-frame'))?.contentFrame();
  assert.ok(inner, 'the dashboard page frame');
  return inner;
}

function dashboardRun(id: string, seed: number, lift: number): DashboardRun {
  const metrics = longRunMetrics(STEPS, seed, lift);
  const wall = new Map(metrics.map((m) => [m.step, m.wall]));
  return {
    id,
    label: id,
    status: 'completed',
    rules: LONG_RUN_RULES,
    metrics: toMetricColumns(metrics, LONG_RUN_RULES),
    heldOut: toHeldOutColumns(longRunEvals(STEPS, 250), (s) => wall.get(s) ?? 0),
  };
}

describe('dashboard: Compare Runs (packaged extension)', function () {
  this.timeout(180_000);
  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: files(),
  });

  it('colours each run one way in every chart, with short labels and the line style in the legend', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await runPaletteCommand(page, 'BNPO: Compare Runs');
    // Tick the four runs in the multi-select pick, then OK.
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
    for (let i = 0; i < RUNS.length; i++)
      await rows
        .nth(i)
        .locator('input[type="checkbox"], .monaco-checkbox, .quick-input-list-checkbox')
        .first()
        .click();
    await page
      .locator(
        '.quick-input-widget .quick-input-action .monaco-button, .quick-input-widget a.monaco-button',
        { hasText: 'OK' },
      )
      .first()
      .click();
    const frame = await webviewFrame(page, DASHBOARD, 90_000);
    await until(
      'four runs in the header',
      () => frame.locator('header li').count(),
      (n) => n === 4,
      60_000,
    );
    const headerLabels = await frame.locator('header li .label').allTextContents();
    assert.deepEqual([...headerLabels].sort(), ['bnpo-s1', 'bnpo-s2', 'grpo-s1', 'grpo-s2']);
    // Per chart: each run keeps one colour, the same as in every other chart; the rules differ by dash.
    const colourOf = new Map<string, string>();
    for (const id of ['reward', 'loss', 'accuracy']) {
      const rows = frame.locator(`[data-chart="${id}"] .legend-row`);
      const n = await rows.count();
      const dashes = new Map<string, Set<string>>();
      for (let i = 0; i < n; i++) {
        const label = (await rows.nth(i).locator('.label').textContent()) ?? '';
        const run = label.split(' · ')[0]!;
        assert.ok(label.length <= 40, `a short legend label: ${label}`);
        const line = rows.nth(i).locator('svg line');
        const stroke = (await line.getAttribute('stroke')) ?? '';
        const dash = (await line.getAttribute('stroke-dasharray')) ?? 'solid';
        if (colourOf.has(run)) assert.equal(stroke, colourOf.get(run), `${run} in ${id}`);
        else colourOf.set(run, stroke);
        const rule = label.split(' · ')[1] ?? '';
        (dashes.get(rule) ?? dashes.set(rule, new Set()).get(rule)!).add(dash);
      }
      // One dash per line, whichever run draws it; different lines, different dashes.
      for (const set of dashes.values()) assert.equal(set.size, 1, `${id}: one dash per line`);
      const all = [...dashes.values()].map((s) => [...s][0]);
      assert.equal(new Set(all).size, all.length, `${id}: lines tell apart by dash`);
    }
    assert.equal(new Set(colourOf.values()).size, 4, 'four runs, four colours');
    await page.waitForTimeout(400);
    await screenshot(page, 'dashboard-compare-dark');
  });

  it('a grouped Compare draws one mean line and ±std band per group', async () => {
    const { page } = workbench;
    const frame = await webviewFrame(page, DASHBOARD);
    const runs = RUNS.map(({ id, seed, lift }) => dashboardRun(id, seed, lift));
    const groups = [
      { label: 'BNPO', runIds: [RUNS[0]!.id, RUNS[1]!.id] },
      { label: 'GRPO', runIds: [RUNS[2]!.id, RUNS[3]!.id] },
    ];
    const inner = await pageFrame(page);
    // As the host's openCompare sends it (the page's own window: the message the host frame would forward).
    const post = (message: unknown): void =>
      (globalThis as unknown as { postMessage(m: unknown, to: string): void }).postMessage(message, '*');
    await inner.evaluate(post, { type: 'runs', runs, groups });
    await until(
      'the groups in the header',
      () => frame.locator('header h1').textContent(),
      (t) => t === 'Compare groups',
    );
    const rows = frame.locator('[data-chart="loss"] .legend-row');
    assert.deepEqual(await rows.locator('.label').allTextContents(), ['BNPO', 'GRPO']);
    const spread = await rows.locator('.smoothed').allTextContents();
    assert.ok(
      spread.every((t) => t.startsWith('± ')),
      `std beside each mean: ${spread.join(', ')}`,
    );
    for (const theme of ['dark', 'light', 'high-contrast'] as const) {
      if (theme !== 'dark') await setTheme(page, theme);
      await webviewInTheme(await webviewFrame(page, DASHBOARD), theme);
      await page.waitForTimeout(500);
      await screenshot(page, `dashboard-groups-${theme}`);
    }
    await setTheme(page, 'dark');
  });
});

// The run panels as a user handles them during a live run (packaged extension): each one (dashboard, Beta fit,
// samples) moved to another editor group comes back drawn and live, even when its script fails to load in the
// new frame (the host loads the page again); the Beta-fit step slider stays under the keys and its charts are
// Tab stops with a data table; the samples panel's completions table searches every step, filters, sorts and
// clears, and collapses a 20 KB completion. (The audit-flag filter is a unit test: samples.jsonl's reader keeps
// no flags yet.) Beta Fit and the completions table are photographed in the dark,
// light and high-contrast themes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { RunInfoSchema } from '../../src/protocol/runDir';
import type { RunInfo } from '../../src/protocol/runDir';
import { RUN_FILES } from '../../src/runDir/layout';
import { metricsRecord, runInfo } from '../unit/studioFixtures';
import { editorTab, runPaletteCommand, screenshot } from './helpers';
import { pickQuickItemContaining, setTheme, until, webviewInTheme } from './studioHelpers';
import { useWorkbench } from './workbench';

const DASHBOARD = 'BNPO Dashboard';
const BETA_FIT = 'BNPO Beta Fit';
const SAMPLES = 'BNPO Samples';
const LIVE = 'e2e-panels-live';
const FIXTURE = 'e2e-panels-table';
const FIXTURE_ID = '2026-11-01T10-00-00-000Z-table';

const LIVE_CONFIG = {
  name: LIVE,
  steps: 5000,
  groupSize: 4,
  promptsPerStep: 4,
  model: { dModel: 16, layers: 1, heads: 2, mlpRatio: 2 },
  sft: { maxSteps: 10, batchSize: 16, evalEvery: 5 },
  eval: { every: 10, size: 16 },
  sampleEvery: 2,
  checkpointEvery: 5,
  backend: 'cpu',
};

/** A finished run with known samples over three steps, one completion of 20 KB. */
const LONG = 'Let me think step by step about the digits. '.repeat(460);
function fixtureFiles(): Record<string, string> {
  const dir = `.bnpo/runs/${FIXTURE_ID}`;
  const info = runInfo({ id: FIXTURE_ID, step: 6, totalSteps: 6 });
  info.config = { ...info.config, name: FIXTURE };
  const completion = (text: string, correct: 0 | 1, format: 0 | 1, advantage: number) => ({
    text,
    tokens: Math.ceil(text.length / 4),
    rewards: { correct, format },
    reasons: { correct: correct ? 'equals' : 'differs', format: format ? 'digits only' : 'not digits' },
    advantage,
    correct: correct === 1,
  });
  const groups = [
    { step: 2, prompt: '12+30=', completions: [completion('42', 1, 1, 0.9), completion(LONG, 0, 0, -0.9)] },
    {
      step: 4,
      prompt: '7+8=',
      completions: [completion('15', 1, 1, 0), completion('15', 1, 1, 0)],
    },
    {
      step: 6,
      prompt: '99+1=',
      completions: [completion('100', 1, 1, 1.2), completion('the needle 101', 0, 0, -1.2)],
    },
  ];
  const samples = groups.map((g, i) => ({
    v: 1,
    step: g.step,
    promptId: `p${i}`,
    prompt: g.prompt,
    sample: { answer: '0' },
    completions: g.completions,
  }));
  const metrics = [2, 4, 6].map((s) => metricsRecord(s));
  return {
    [`${dir}/${RUN_FILES.run}`]: `${JSON.stringify(info, null, 2)}\n`,
    [`${dir}/${RUN_FILES.metrics}`]: metrics.map((m) => JSON.stringify(m)).join('\n') + '\n',
    [`${dir}/${RUN_FILES.samples}`]: samples.map((s) => JSON.stringify(s)).join('\n') + '\n',
  };
}

function liveRun(workspace: string): RunInfo | undefined {
  const folder = path.join(workspace, '.bnpo', 'runs');
  for (const d of fs.readdirSync(folder)) {
    const file = path.join(folder, d, RUN_FILES.run);
    if (d === FIXTURE_ID || !fs.existsSync(file)) continue;
    return RunInfoSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  }
  return undefined;
}

/** The webview of the panel titled `title`, found in the editor group that holds its tab (several groups show one). */
async function panelFrame(page: Page, title: string, timeoutMs = 30_000): Promise<FrameLocator> {
  const tab = editorTab(page, title).first();
  await tab.waitFor({ state: 'visible', timeout: timeoutMs });
  if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  const group = page.locator('.editor-group-container').filter({ has: tab });
  const box = await until(
    `the editor group of ${title}`,
    () => group.boundingBox(),
    (b) => b !== null,
  );
  const hosts = page.locator('iframe.webview.ready:visible');
  const host = await until(
    `the webview of ${title} in its group`,
    async () => {
      for (const candidate of await hosts.all()) {
        const b = await candidate.boundingBox();
        if (!b || !box) continue;
        const [cx, cy] = [b.x + b.width / 2, b.y + b.height / 2];
        if (cx > box.x && cx < box.x + box.width && cy > box.y && cy < box.y + box.height) return candidate;
      }
      return undefined;
    },
    (found) => found !== undefined,
    timeoutMs,
  );
  return (host as Locator).contentFrame().frameLocator('#active-frame');
}

/** The panel's page has drawn with its stylesheet: panel.css sets the body's padding. */
async function drawnWithStyles(frame: FrameLocator, content: string): Promise<void> {
  await frame.locator('main[aria-busy="false"]').waitFor({ timeout: 45_000 });
  await frame.locator(content).first().waitFor({ timeout: 45_000 });
  const padding = await frame
    .locator('body')
    .evaluate(
      (body: { ownerDocument: { defaultView: { getComputedStyle(e: unknown): { paddingLeft: string } } } }) =>
        body.ownerDocument.defaultView.getComputedStyle(body).paddingLeft,
    );
  assert.equal(padding, '20px', 'the page’s stylesheet applies');
}

/** What has the keyboard focus inside a webview's document: its data-testid, or its role. */
async function focused(frame: FrameLocator): Promise<string> {
  return frame.locator('body').evaluate((body: { ownerDocument: { activeElement: unknown } }) => {
    const active = body.ownerDocument.activeElement as {
      getAttribute(name: string): string | null;
      tagName: string;
    } | null;
    if (!active) return '';
    return active.getAttribute('data-testid') ?? active.getAttribute('role') ?? active.tagName.toLowerCase();
  });
}

async function tableRows(frame: FrameLocator): Promise<number> {
  return Number(await frame.locator('[data-testid="table-summary"]').getAttribute('data-rows'));
}

describe('run panels: moved during a live run, keyboard, the completions table (packaged extension)', function () {
  this.timeout(180_000);
  // Registered before the workbench's own teardown, which checks that nothing is left running: the live trainer
  // is detached from the editor, so end it here first.
  after(() => {
    const pid = (() => {
      try {
        return liveRun(workbench.workspace)?.pid ?? null;
      } catch {
        return null;
      }
    })();
    if (pid !== null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: { 'live.bnporun.json': JSON.stringify(LIVE_CONFIG, null, 2) + '\n', ...fixtureFiles() },
  });

  it('launches a live run and opens its dashboard, Beta fit and samples', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Launch Training Run');
    await pickQuickItemContaining(page, 'live.bnporun.json');
    const dashboard = await panelFrame(page, DASHBOARD, 60_000);
    await until(
      'the first RL steps on the dashboard',
      async () => Number((await dashboard.locator('[data-chart="reward"]').getAttribute('data-rows')) ?? 0),
      (n) => n >= 2,
      120_000,
    );
    await runPaletteCommand(page, 'BNPO: Open Beta Fit');
    await pickQuickItemContaining(page, LIVE);
    await (await panelFrame(page, BETA_FIT)).locator('section.rule').first().waitFor({ timeout: 30_000 });
    await runPaletteCommand(page, 'BNPO: Show Samples');
    await pickQuickItemContaining(page, LIVE);
    await (await panelFrame(page, SAMPLES)).locator('[data-testid="summary"]').waitFor({ timeout: 30_000 });
  });

  it('keeps the Beta-fit step slider under the keys; its charts are Tab stops with a data table', async () => {
    const { page } = workbench;
    const frame = await panelFrame(page, BETA_FIT);
    await frame.locator('[data-testid="follow"]').click();
    const slider = frame.locator('[data-testid="step-slider"]');
    await slider.focus();
    const stepShown = async () =>
      Number(await frame.locator('[data-testid="step"]').getAttribute('data-step'));
    const start = await stepShown();
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('ArrowLeft');
      assert.equal(await focused(frame), 'step-slider', `the slider keeps the focus after key ${i + 1}`);
    }
    assert.ok((await stepShown()) < start, 'the arrow keys moved the shown step back');
    // Tab goes on past the slider to the follow switch and each rule's chart, a labelled image.
    const stops: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      stops.push(await focused(frame));
    }
    assert.ok(stops.includes('follow'), `Tab stops: ${stops.join(', ')}`);
    assert.ok(stops.includes('img'), `a chart is a Tab stop: ${stops.join(', ')}`);
    assert.match(
      (await frame.locator('section.rule .chart-focus').first().getAttribute('aria-label')) ?? '',
      /histogram of p̂/,
    );
    // Enter on a focused chart opens its data table (α and β at every step), which stays open as steps arrive.
    const chart = frame.locator('section.history .chart-focus');
    await chart.focus();
    await page.keyboard.press('Enter');
    const rows = frame.locator('section.history details.chart-table table tbody tr');
    await rows.first().waitFor({ timeout: 15_000 });
    assert.ok((await rows.count()) >= 2, 'a row per recorded step');
    await screenshot(page, 'panels-betafit-keyboard');
  });

  it('searches, filters, sorts and clears the completions of every step; collapses a 20 KB completion', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Show Samples');
    await pickQuickItemContaining(page, FIXTURE, 45_000);
    const frame = await panelFrame(page, SAMPLES);
    await until(
      'the fixture run in the samples panel',
      async () => (await frame.locator('h1').textContent()) ?? '',
      (t) => t.includes(FIXTURE),
    );
    await frame.locator('[data-testid="view-table"]').click();
    await frame.locator('[data-testid="completions-table"]').waitFor();
    // The page asks the host for the steps it has not got yet; they arrive one message each.
    await until(
      'every completion of the three steps',
      () => tableRows(frame),
      (n) => n === 6,
    );
    // Text search in completions (and prompts), keeping the typing focus.
    await frame.locator('[data-testid="search"]').fill('needle');
    await until(
      'the search',
      () => tableRows(frame),
      (n) => n === 1,
    );
    assert.equal(await focused(frame), 'search');
    await frame.locator('[data-testid="search"]').fill('99+1');
    await until(
      'a prompt search',
      () => tableRows(frame),
      (n) => n === 2,
    );
    await frame.locator('[data-testid="clear-filters"]').click();
    await until(
      'cleared filters',
      () => tableRows(frame),
      (n) => n === 6,
    );
    assert.equal(await frame.locator('[data-testid="search"]').inputValue(), '');
    // Rule result, advantage sign, the audit's flags.
    await frame.locator('[data-testid="rule-result"]').selectOption('correct:0');
    await until(
      'failed correct',
      () => tableRows(frame),
      (n) => n === 2,
    );
    await frame.locator('[data-testid="advantage-filter"]').selectOption('zero');
    await until(
      'failed and zero advantage',
      () => tableRows(frame),
      (n) => n === 0,
    );
    await frame.locator('[data-testid="clear-filters"]').click();
    await until(
      'cleared filters',
      () => tableRows(frame),
      (n) => n === 6,
    );
    await frame.locator('[data-testid="advantage-filter"]').selectOption('zero');
    await until(
      'zero advantage',
      () => tableRows(frame),
      (n) => n === 2,
    );
    await frame.locator('[data-testid="clear-filters"]').click();
    await until(
      'cleared filters',
      () => tableRows(frame),
      (n) => n === 6,
    );
    // Sort by advantage, largest first.
    await frame.locator('[data-testid="sort-advantage"]').click();
    const first = frame.locator('[data-testid="completions-table"] tbody tr').first();
    assert.equal(await first.locator('td.advantage').getAttribute('data-value'), '1.2');
    // The 20 KB completion is a few lines with "Show all", not a 3,000 px cell; it expands and collapses.
    const long = frame.locator('td.completion', { has: frame.locator('[data-testid="expand"]') }).first();
    const collapsed = (await long.boundingBox())!.height;
    assert.ok(collapsed < 300, `collapsed height ${collapsed}`);
    await long.locator('[data-testid="expand"]').click();
    const expanded = (await long.boundingBox())!.height;
    assert.ok(expanded > 3 * collapsed, `expanded height ${expanded}`);
    await long.locator('[data-testid="expand"]').click();
    // "✓ 1" stays on one line.
    const mark = frame.locator('td.reward.pass .mark').first();
    const lines = await mark.evaluate(
      (node: { getClientRects(): { length: number } }) => node.getClientRects().length,
    );
    assert.equal(lines, 1);
    await screenshot(page, 'panels-completions-table-dark');
  });

  it('draws Beta Fit and the completions table in the light, high-contrast and dark themes', async () => {
    const { page } = workbench;
    // One group, so each panel is photographed at the workbench's width.
    await runPaletteCommand(page, 'View: Join All Editor Groups');
    for (const theme of ['light', 'high-contrast', 'dark'] as const) {
      // The theme picker previews themes as it opens: make sure the chosen one stayed.
      await setTheme(page, theme);
      await page.waitForTimeout(1_000);
      await setTheme(page, theme);
      for (const [title, name] of [
        [SAMPLES, 'completions-table'],
        [BETA_FIT, 'betafit'],
      ] as const) {
        const frame = await panelFrame(page, title);
        await webviewInTheme(frame, theme);
        await frame.locator('main[aria-busy="false"]').waitFor({ timeout: 15_000 });
        // Scrolled to the top (the page itself: a live redraw may replace any element inside it).
        await frame
          .locator('body')
          .evaluate(
            (body: { ownerDocument: { defaultView: { scrollTo(x: number, y: number): void } | null } }) =>
              body.ownerDocument.defaultView?.scrollTo(0, 0),
          );
        await page.waitForTimeout(600);
        await screenshot(page, `panels-${name}-${theme}`);
      }
    }
  });
  it('draws each run panel again after it moves to another editor group, even when its script fails to load there', async () => {
    const { page, workspace } = workbench;
    const [extension] = fs
      .readdirSync(path.join(path.dirname(workspace), 'extensions'))
      .filter((d) => d.startsWith('bnpo-studio.bnpo-studio-'));
    assert.ok(extension, 'the installed extension');
    const bundles = path.join(path.dirname(workspace), 'extensions', extension, 'dist', 'webview');
    const panels: [string, string, string][] = [
      [DASHBOARD, 'dashboard', '[data-chart="reward"]'],
      [BETA_FIT, 'betaFit', 'section.rule'],
      [SAMPLES, 'samples', '[data-testid="summary"], [data-testid="table-summary"]'],
    ];
    for (const [title, bundle, content] of panels) {
      await (await panelFrame(page, title)).locator('main[aria-busy="false"]').waitFor({ timeout: 30_000 });
      // The new frame's script is missing while it loads, as when the load fails after a move.
      const script = path.join(bundles, `${bundle}.js`);
      const aside = `${script}.aside`;
      fs.renameSync(script, aside);
      try {
        await runPaletteCommand(page, 'View: Move Editor into Next Group');
        await page.waitForTimeout(1_500);
      } finally {
        fs.renameSync(aside, script);
      }
      const frame = await panelFrame(page, title, 60_000);
      await drawnWithStyles(frame, content);
      await screenshot(page, `panels-moved-${bundle}`);
    }
    // Still live after the moves: the dashboard takes new steps.
    const dashboard = await panelFrame(page, DASHBOARD);
    const rows = async () =>
      Number((await dashboard.locator('[data-chart="reward"]').getAttribute('data-rows')) ?? 0);
    const before = await rows();
    await until('a new step on the moved dashboard', rows, (n) => n > before, 60_000);
  });
});

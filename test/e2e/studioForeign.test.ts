// Another tool's log in the real workbench: a TensorBoard event folder (verl's TensorBoard logger, written by the
// real TensorBoard writer: test/fixtures/interop/tensorboard) dropped into the runs folder appears in the Runs view
// and opens in the dashboard with its values on our charts and the metrics none of ours means as extra charts. A
// run of ours with a long id keeps its status, step and reward on its row. The log has no Beta fit and no samples:
// those panels say so and why. The dashboard, Beta Fit and Samples of the log are photographed in the dark, light
// and high-contrast themes into test-artifacts/e2e/.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../harness/paths';
import { runPaletteCommand, screenshot, webviewFrame } from './helpers';
import { pickQuickItemContaining, runsViewRows, setTheme, until, webviewInTheme } from './studioHelpers';
import { useWorkbench } from './workbench';

const TB_ID = 'verl-tensorboard';
const PANELS = [
  ['BNPO Dashboard', 'dashboard'],
  ['BNPO Beta Fit', 'betafit'],
  ['BNPO Samples', 'samples'],
] as const;
const LONG_ID = '20261126-234311-sorting-bnpo-g8-lr3e-4-seed-12345-with-a-long-name';

/** The README's finished run of ours, under a long id. */
function longIdRun(): Record<string, string> {
  const dir = path.join(repoRoot, 'test', 'fixtures', 'studio', 'sorting-demo-run');
  const files: Record<string, string> = {};
  for (const name of ['run.json', 'metrics.jsonl', 'eval.jsonl'])
    files[`.bnpo/runs/${LONG_ID}/${name}`] = fs.readFileSync(path.join(dir, name), 'utf8');
  return files;
}

describe('studio: a TensorBoard log in the Runs view and the dashboard (packaged extension)', function () {
  this.timeout(120_000);
  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: longIdRun(),
  });

  it('lists the event folder and a long run id with status, step and reward visible', async () => {
    const { page, workspace } = workbench;
    // Binary: copied here rather than through the workbench's text files; the Runs view's rescan finds it.
    // Written an hour ago: a finished log (one that grew in the last minute reads as running). Dated before it
    // is moved into the runs folder, so the Runs view never sees it fresh.
    const staged = path.join(workspace, '.staging', TB_ID);
    fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'interop', 'tensorboard'), staged, { recursive: true });
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const name of fs.readdirSync(staged)) fs.utimesSync(path.join(staged, name), hourAgo, hourAgo);
    fs.renameSync(staged, path.join(workspace, '.bnpo', 'runs', TB_ID));
    const rows = await runsViewRows(page);
    const tb = page.locator('.pane-body .monaco-list-row', { hasText: TB_ID });
    await tb.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match((await tb.textContent()) ?? '', /5 · r 0\.500/);
    // The status is the row's icon; a screen reader hears it, the source and the figures in words.
    assert.match(
      (await tb.getAttribute('aria-label')) ?? '',
      /TensorBoard log · completed · step 5 · reward 0\.500/,
    );
    const long = rows.filter({ hasText: '150 · r ' });
    await long.waitFor({ state: 'visible', timeout: 15_000 });
    const figures = long.locator('.label-description');
    assert.match((await figures.textContent()) ?? '', /^150 · r \d\.\d{3}$/);
    // Nothing of the row is cut off at the view's edge (an ellipsis would hide the reward).
    for (const row of [tb, long]) {
      const overflow = await row
        .locator('.monaco-icon-label-container')
        .evaluate((el: { scrollWidth: number; clientWidth: number }) => el.scrollWidth - el.clientWidth);
      assert.ok(overflow <= 0, `${(await row.textContent()) ?? ''}: ${overflow} px cut off`);
    }
    assert.match(
      (await long.getAttribute('aria-label')) ?? '',
      new RegExp(`^${LONG_ID}, completed · step 150/150`),
    );
    await screenshot(page, 'foreign-runs-view');
  });

  it('opens the TensorBoard run in the dashboard with extra charts for its other metrics', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Open Dashboard');
    await pickQuickItemContaining(page, TB_ID);
    const frame = await webviewFrame(page, 'BNPO Dashboard', 60_000);
    await until(
      'the reward chart with the log’s 5 steps',
      async () => Number((await frame.locator('[data-chart="reward"]').getAttribute('data-rows')) ?? 0),
      (n) => n === 5,
    );
    const extra = frame.locator('[data-chart="extra.critic/rewards/mean"]');
    await extra.waitFor({ timeout: 15_000 });
    assert.equal(await extra.locator('h2').textContent(), 'critic/rewards/mean');
    // Our charts the log has no values for say so rather than stand empty.
    assert.equal(
      await frame.locator('[data-chart="accuracy"] [data-testid="chart-notice"]').textContent(),
      'This run has no values for this chart.',
    );
    assert.equal(await frame.locator('[data-chart="reward"] [data-testid="chart-notice"]').isHidden(), true);
    const text = (await frame.locator('body').textContent()) ?? '';
    assert.ok(text.includes(TB_ID), 'the run is named');
    await page.waitForTimeout(500);
    await screenshot(page, 'foreign-tensorboard-dashboard');
    await extra.scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await screenshot(page, 'foreign-tensorboard-extra-charts');
  });

  it('says in Beta Fit and Samples that the log has neither, and why', async () => {
    const { page } = workbench;
    for (const [command, title, said] of [
      ['BNPO: Open Beta Fit', 'BNPO Beta Fit', /records no Beta fit.*TensorBoard/],
      ['BNPO: Show Samples', 'BNPO Samples', /has no sampled completions.*TensorBoard/],
    ] as const) {
      await runPaletteCommand(page, command);
      await pickQuickItemContaining(page, TB_ID);
      const frame = await webviewFrame(page, title, 60_000);
      await frame.locator('main[aria-busy="false"]').waitFor({ timeout: 30_000 });
      assert.match((await frame.locator('h1').textContent()) ?? '', new RegExp(TB_ID));
      assert.match((await frame.locator('.placeholder').textContent()) ?? '', said, title);
    }
  });

  it('is photographed in the dark, light and high-contrast themes: dashboard, Beta Fit and Samples', async () => {
    const { page } = workbench;
    for (const theme of ['light', 'high-contrast', 'dark'] as const) {
      // The theme picker previews themes as it opens: make sure the chosen one stayed.
      await setTheme(page, theme);
      await page.waitForTimeout(1_000);
      await setTheme(page, theme);
      for (const [title, name] of PANELS) {
        const frame = await webviewFrame(page, title);
        await webviewInTheme(frame, theme);
        await frame.locator('main[aria-busy="false"]').waitFor({ timeout: 15_000 });
        await page.waitForTimeout(600);
        await screenshot(page, `foreign-tensorboard-${name}-${theme}`);
      }
    }
  });
});

// The studio on a run written by TRL (test/fixtures/trl-run: BnpoGRPOTrainer with the RunDirCallback, a tiny
// Qwen2 model, 3 steps on the CPU): the dashboard, the Beta-fit panel and the samples open it from the palette,
// show its per-rule figures, and are photographed into test-artifacts/e2e/.
import * as assert from 'node:assert/strict';
import { runPaletteCommand, screenshot, webviewFrame } from './helpers';
import { until } from './studioHelpers';
import { useWorkbench } from './workbench';
import { trlRunFiles } from '../tools/trlFixture';

describe('studio: a TRL run in the three panels (packaged extension)', function () {
  this.timeout(120_000);
  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: trlRunFiles(),
  });

  it('dashboard', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await runPaletteCommand(page, 'BNPO: Open Dashboard');
    const frame = await webviewFrame(page, 'BNPO Dashboard', 60_000);
    await until(
      'the reward chart with the run’s 3 steps',
      async () => Number((await frame.locator('[data-chart="reward"]').getAttribute('data-rows')) ?? 0),
      (n) => n === 3,
    );
    // The run's name as TRL's callback recorded it, and one reward series per rule.
    const text = (await frame.locator('body').textContent()) ?? '';
    for (const part of ['trl-e2e', 'completed', 'seven', 'even']) assert.ok(text.includes(part), part);
    await page.waitForTimeout(500);
    await screenshot(page, 'trl-dashboard');
  });

  it('Beta fit', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Open Beta Fit');
    const frame = await webviewFrame(page, 'BNPO Beta Fit', 60_000);
    await frame.locator('section.rule').first().waitFor({ timeout: 30_000 });
    // The TRL run's two rules, each with its own fit.
    assert.equal(await frame.locator('section.rule').count(), 2);
    const text = (await frame.locator('body').textContent()) ?? '';
    assert.match(text, /seven/);
    assert.match(text, /even/);
    await page.waitForTimeout(500);
    await screenshot(page, 'trl-betafit');
  });

  it('samples', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Show Samples');
    const frame = await webviewFrame(page, 'BNPO Samples', 60_000);
    await frame.locator('[data-testid="summary"]').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300);
    await screenshot(page, 'trl-samples');
  });
});

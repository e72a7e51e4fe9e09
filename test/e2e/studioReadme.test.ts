// The README's pictures, taken from a real finished run (test/fixtures/studio/sorting-demo-run: the README's demo,
// `bnpo train --seed 1`, 150 BNPO steps on this machine's CPU; checkpoints and most samples left out):
// the dashboard, the Beta-fit panel at one step, the samples, and the reward-rules IntelliSense with the run's
// figures in the hover. The run folder is copied as is, except that run.json names the workspace's copy of the
// rules it scored with.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../harness/paths';
import { openFile, runPaletteCommand, screenshot, webviewFrame } from './helpers';
import { until } from './studioHelpers';
import { useWorkbench } from './workbench';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'studio');
const RUN_ID = '20261126-234311-sorting-bnpo-s1';

function workspaceFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const runDir = path.join(FIXTURE, 'sorting-demo-run');
  for (const name of fs.readdirSync(runDir)) {
    let text = fs.readFileSync(path.join(runDir, name), 'utf8');
    if (name === 'run.json') {
      const info = JSON.parse(text) as { rulesFile: string };
      info.rulesFile = '../../../sorting.rewards.json';
      text = JSON.stringify(info, null, 2);
    }
    files[`.bnpo/runs/${RUN_ID}/${name}`] = text;
  }
  const rules = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'media', 'tasks', 'sorting.rewards.json'), 'utf8'),
  ) as Record<string, unknown>;
  delete rules.$schema; // the contributed schema applies to *.rewards.json wherever they are
  files['sorting.rewards.json'] = `${JSON.stringify(rules, null, 2)}\n`;
  return files;
}

describe('studio: README pictures from a real run (packaged extension)', function () {
  this.timeout(120_000);
  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: workspaceFiles(),
  });

  it('dashboard', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await runPaletteCommand(page, 'BNPO: Open Dashboard');
    const frame = await webviewFrame(page, 'BNPO Dashboard', 60_000);
    await until(
      'the charts',
      async () => Number((await frame.locator('[data-chart="reward"]').getAttribute('data-rows')) ?? 0),
      (n) => n === 150,
    );
    await page.waitForTimeout(500);
    await screenshot(page, 'readme-dashboard');
  });

  it('Beta fit', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Open Beta Fit');
    const frame = await webviewFrame(page, 'BNPO Beta Fit', 60_000);
    await frame.locator('section.rule').first().waitFor({ timeout: 30_000 });
    await frame.locator('[data-testid="step-slider"]').fill('75');
    await until(
      'step 75',
      async () => frame.locator('[data-testid="step"]').getAttribute('data-step'),
      (s) => s === '75',
    );
    await page.waitForTimeout(500);
    await screenshot(page, 'readme-betafit');
    await frame.locator('section.history').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await screenshot(page, 'readme-betafit-history');
  });

  it('samples', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Show Samples');
    const frame = await webviewFrame(page, 'BNPO Samples', 60_000);
    await frame.locator('[data-testid="summary"]').waitFor({ timeout: 30_000 });
    await screenshot(page, 'readme-samples');
  });

  it('rules IntelliSense with the run’s figures', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await openFile(page, 'sorting.rewards.json');
    // The panels' tabs are not part of this picture (and their tooltips would cover the hover).
    await runPaletteCommand(page, 'View: Close Other Editors in Group');
    const editor = page.locator('.monaco-editor .view-lines').first();
    await editor.waitFor({ timeout: 30_000 });
    // Hover the first rule's name: what the rule does, and the latest run's pass rate and Beta fit.
    const name = page.locator('.monaco-editor .view-line span', { hasText: '"correct"' }).first();
    await name.click();
    // Park the mouse on the empty part of the activity bar: a tab's tooltip would cover the hover, and moving it
    // over the editor after the hover opens would close it.
    await page.mouse.move(20, 600);
    // A tab's tooltip shown while the mouse crossed the tabs fades on its own; let it go before the picture.
    await page
      .locator('.monaco-hover.workbench-hover')
      .first()
      .waitFor({ state: 'hidden', timeout: 5_000 })
      .catch(() => undefined);
    await runPaletteCommand(page, 'Show or Focus Hover');
    const hover = page.locator('.monaco-hover-content:visible').first();
    await hover.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match((await hover.textContent()) ?? '', /correct/);
    await page.waitForTimeout(500);
    await screenshot(page, 'readme-rules-hover');
    await page.keyboard.press('Escape');
    // Completion inside a rule: the kinds and fields the schema and the dataset allow.
    await name.click();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+Space');
    await page
      .locator('.suggest-widget .monaco-list-row')
      .first()
      .waitFor({ state: 'visible', timeout: 15_000 });
    await page.waitForTimeout(500);
    await screenshot(page, 'readme-rules-completion');
    await page.keyboard.press('Escape');
  });
});

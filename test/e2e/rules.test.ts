// Reward rules as a user meets them in the packaged extension: the broken file's squiggles, and the
// "Test rules on samples" lens running the rules on the latest run's samples into a readable pass table.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot } from '../harness/paths';
import { screenshot, webviewFrame } from './helpers';
import { useWorkbench } from './workbench';

function fixture(name: string): string {
  return fs
    .readFileSync(path.join(repoRoot, 'test', 'fixtures', 'rules', name), 'utf8')
    .replace(/^\s*"\$schema".*\n/m, '');
}

const runSamples = [
  {
    v: 1,
    step: 40,
    promptId: 'p1',
    prompt: 'What is 3 + 4?',
    sample: { answer: '7' },
    completions: [
      { text: '<think>3 + 4 = 7</think>\n<answer>7</answer>' },
      { text: '<think>3 + 4</think>\n<answer>8</answer>' },
      { text: 'It is 7.' },
    ],
  },
]
  .map((r) => JSON.stringify(r))
  .join('\n');

async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(name);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await row.click();
  await page
    .locator('.tabs-container .tab.active', { hasText: name })
    .waitFor({ state: 'visible', timeout: 15_000 });
}

describe('reward rules (packaged extension)', function () {
  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: {
      'math.rewards.json': fixture('good.rewards.json'),
      'broken.rewards.json': fixture('broken.rewards.json'),
      '.bnpo/runs/run-1/run.json': JSON.stringify({
        v: 1,
        id: 'run-1',
        status: 'completed',
        rulesFile: 'math.rewards.json',
      }),
      '.bnpo/runs/run-1/metrics.jsonl': `${JSON.stringify({ step: 40, rewards: { accuracy: 0.4 }, beta: {} })}\n`,
      '.bnpo/runs/run-1/samples.jsonl': `${runSamples}\n`,
    },
  });

  it('underlines the problems of a broken rule file', async () => {
    const { page } = workbench;
    await openFile(page, 'broken.rewards.json');
    const squiggles = page.locator('.monaco-editor .squiggly-error');
    const deadline = Date.now() + 20_000;
    while ((await squiggles.count()) < 3 && Date.now() < deadline) await page.waitForTimeout(200);
    assert.ok(
      (await squiggles.count()) >= 3,
      `expected at least 3 error squiggles, got ${await squiggles.count()}`,
    );
    await screenshot(page, 'rules-broken-file');
  });

  it('tests the rules on the latest run’s samples from the code lens', async () => {
    const { page } = workbench;
    await openFile(page, 'math.rewards.json');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Test rules on samples' }).first();
    await lens.waitFor({ state: 'visible', timeout: 20_000 });
    await lens.click();
    // the entry carries an icon, so it is found by its text rather than by an exact label
    const latest = page
      .locator('.quick-input-list .monaco-list-row', { hasText: "Latest run's samples" })
      .first();
    await latest.waitFor({ state: 'visible', timeout: 15_000 });
    await latest.click();
    const frame = await webviewFrame(page, 'Preview math.rewards.json — rule test.md');
    const table = frame.locator('table').first();
    await table.waitFor({ state: 'visible', timeout: 15_000 });
    const text = (await table.textContent()) ?? '';
    assert.match(text, /accuracy\s*1\/3\s*33\.3%/);
    assert.match(text, /format\s*2\/3\s*66\.7%/);
    await screenshot(page, 'rules-test-report');
  });
});

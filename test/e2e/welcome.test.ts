// The welcome page as a user gets it from the packaged extension: opened from the palette, a short start (the
// getting-started walkthrough, then three first steps, not every command), the recent runs with only the actions
// their status allows, drawn in the theme's colours, its buttons handled by the host, its content kept up to date
// and restored after a reload. The walkthrough is photographed in the three themes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { repoRoot } from '../harness/paths';
import { RUN_FILES } from '../../src/runDir/layout';
import type { RunStatus } from '../../src/protocol/runDir';
import { runInfo } from '../unit/studioFixtures';
import { editorTab, runPaletteCommand, screenshot, setColorTheme, webviewFrame } from './helpers';
import { setTheme } from './studioHelpers';
import { useWorkbench } from './workbench';

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
};
const PANEL = 'BNPO Welcome';

/** Three runs in the workspace's runs folder, one per status that changes what the page offers. */
const RUNS: [string, RunStatus, string][] = [
  ['2026-11-03T10-00-00-000Z-live', 'running', '2026-11-03T10:00:00.000Z'],
  ['2026-11-02T10-00-00-000Z-halted', 'stopped', '2026-11-02T10:00:00.000Z'],
  ['2026-11-01T10-00-00-000Z-done', 'completed', '2026-11-01T10:00:00.000Z'],
];
function runFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [id, status, createdAt] of RUNS) {
    const info = runInfo({ id, status, createdAt, step: 4, totalSteps: 10 });
    info.config = { ...info.config, name: `welcome-${status}` };
    files[`.bnpo/runs/${id}/${RUN_FILES.run}`] = `${JSON.stringify(info, null, 2)}\n`;
  }
  return files;
}

async function text(frame: FrameLocator, selector: string): Promise<string> {
  const node = frame.locator(selector);
  await node.waitFor({ state: 'visible', timeout: 15_000 });
  return (await node.textContent())?.trim() ?? '';
}

async function bodyBackground(frame: FrameLocator): Promise<string> {
  // Runs in the page; the test's tsconfig has no DOM types, so the window is reached through the element.
  return frame
    .locator('body')
    .evaluate(
      (body: {
        ownerDocument: { defaultView: { getComputedStyle(e: unknown): { backgroundColor: string } } };
      }) => body.ownerDocument.defaultView.getComputedStyle(body).backgroundColor,
    );
}

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('welcome page (packaged extension)', function () {
  this.timeout(120_000);
  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: runFiles(),
  });

  it('opens from the palette and shows the studio, a short start and the recent runs', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Open Welcome');
    const frame = await webviewFrame(page, PANEL);
    assert.equal(await text(frame, 'h1'), 'BNPO Studio');
    assert.equal(await text(frame, '[data-testid="version"]'), manifest.version);
    assert.equal(await text(frame, '[data-testid="runs-folder"]'), '.bnpo/runs');
    assert.equal(await text(frame, 'vscode-button[data-action="openSettings"]'), 'Settings');
    // The start: the walkthrough, then the first steps in order; not every command, no verl launch first.
    const start = await frame.locator('section.start vscode-button').allTextContents();
    assert.deepEqual(
      start.map((t) => t.trim()),
      [
        'Open the Getting Started Walkthrough',
        'Launch Training Run',
        'New Reward Rules File',
        'Test Reward Rules on Samples',
      ],
    );
    // Recent runs, newest first; Stop only on the running one, Resume only on the stopped one.
    const rows = frame.locator('section.runs li');
    assert.deepEqual(
      await rows.evaluateAll((items) =>
        items.map((i) => (i as { dataset: { status: string } }).dataset.status),
      ),
      ['running', 'stopped', 'completed'],
    );
    const buttons = async (status: RunStatus) =>
      (await frame.locator(`section.runs li[data-status="${status}"] vscode-button`).allTextContents()).map(
        (t) => t.trim(),
      );
    assert.deepEqual(await buttons('running'), ['Dashboard', 'Stop']);
    assert.deepEqual(await buttons('stopped'), ['Dashboard', 'Resume']);
    assert.deepEqual(await buttons('completed'), ['Dashboard']);
    await screenshot(page, 'welcome-dark');
  });

  it('opens a recent run’s dashboard from its row', async () => {
    const { page } = workbench;
    const frame = await webviewFrame(page, PANEL);
    await frame.locator(`vscode-button[data-action="bnpo.openDashboard:${RUNS[2]![0]}"]`).click();
    const dashboard = await webviewFrame(page, 'BNPO Dashboard', 60_000);
    await until(
      'the completed run on the dashboard',
      async () => (await dashboard.locator('body').textContent()) ?? '',
      (t) => t.includes('welcome-completed'),
    );
    await runPaletteCommand(page, 'View: Close Editor');
  });

  it('opens the getting-started walkthrough from its button', async () => {
    const { page } = workbench;
    await (await webviewFrame(page, PANEL)).locator('vscode-button[data-action="openWalkthrough"]').click();
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.waitFor({ state: 'visible', timeout: 30_000 });
    await until(
      'the walkthrough’s steps',
      async () => (await walkthrough.textContent()) ?? '',
      (t) =>
        t.includes('Get Started with BNPO Studio') &&
        [
          'Write reward rules',
          'Test the rules on samples',
          'Launch a training run',
          'Read the completions',
        ].every((step) => t.includes(step)),
    );
    await page.waitForTimeout(500);
    for (const theme of ['light', 'high-contrast', 'dark'] as const) {
      await setTheme(page, theme);
      await page.waitForTimeout(400);
      await screenshot(page, `welcome-walkthrough-${theme}`);
    }
    await editorTab(page, PANEL).first().click();
  });

  it('draws in the colours of the current theme', async () => {
    const { page } = workbench;
    const dark = await bodyBackground(await webviewFrame(page, PANEL));
    await setColorTheme(page, 'Light Modern');
    const light = await until(
      'the light theme',
      async () => bodyBackground(await webviewFrame(page, PANEL)),
      (bg) => bg !== dark,
    );
    await screenshot(page, 'welcome-light');
    await setColorTheme(page, 'Dark High Contrast');
    await until(
      'the high-contrast theme',
      async () => bodyBackground(await webviewFrame(page, PANEL)),
      (bg) => bg !== light && bg !== dark,
    );
    await screenshot(page, 'welcome-high-contrast');
    await setColorTheme(page, 'Dark Modern');
    await until(
      'the dark theme again',
      async () => bodyBackground(await webviewFrame(page, PANEL)),
      (bg) => bg === dark,
    );
  });

  it('opens the settings from its button and shows an edited runs folder', async () => {
    const { page } = workbench;
    await (await webviewFrame(page, PANEL)).locator('vscode-button[data-action="openSettings"]').click();
    await editorTab(page, 'Settings').first().waitFor({ state: 'visible', timeout: 15_000 });
    const runsFolder = page
      .locator('.settings-editor .setting-item-contents')
      .filter({ has: page.locator('.setting-item-label', { hasText: /^Runs Folder$/ }) });
    await runsFolder.waitFor({ state: 'visible', timeout: 15_000 });
    await screenshot(page, 'welcome-settings');
    await runsFolder.locator('input').first().fill('experiments/runs');
    await page.keyboard.press('Tab');
    await until(
      'the edited runs folder on the page',
      async () => text(await webviewFrame(page, PANEL), '[data-testid="runs-folder"]'),
      (folder) => folder === 'experiments/runs',
    );
  });

  it('comes back after a window reload (serializer)', async () => {
    const { page } = workbench;
    await webviewFrame(page, PANEL);
    await runPaletteCommand(page, 'Developer: Reload Window');
    const frame = await webviewFrame(page, PANEL, 60_000);
    assert.equal(await text(frame, 'h1'), 'BNPO Studio');
    assert.equal(await text(frame, '[data-testid="runs-folder"]'), 'experiments/runs');
    await screenshot(page, 'welcome-restored');
  });
});

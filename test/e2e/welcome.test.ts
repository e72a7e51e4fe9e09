// The welcome page as a user gets it from the packaged extension: opened from the palette, drawn in the
// theme's colours, its button handled by the host, its content kept up to date and restored after a reload.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { repoRoot } from '../harness/paths';
import { editorTab, runPaletteCommand, screenshot, setColorTheme, webviewFrame } from './helpers';
import { useWorkbench } from './workbench';

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
};
const PANEL = 'BNPO Welcome';

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
  const workbench = useWorkbench(this, { settings: { 'workbench.colorTheme': 'Default Dark Modern' } });

  it('opens from the palette and shows the studio', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Open Welcome');
    const frame = await webviewFrame(page, PANEL);
    assert.equal(await text(frame, 'h1'), 'BNPO Studio');
    assert.equal(await text(frame, '[data-testid="version"]'), manifest.version);
    assert.equal(await text(frame, '[data-testid="runs-folder"]'), '.bnpo/runs');
    assert.equal(await text(frame, 'vscode-button[data-action="openSettings"]'), 'Settings');
    await screenshot(page, 'welcome-dark');
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

// What a UI test does to the workbench, each in one call: run a palette command, reach a panel's webview
// content, wait for a notification, take a screenshot. Selectors are VS Code 1.100's workbench DOM.
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { artifactDir, saveScreenshot } from '../harness/artifacts';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Runs a command from the palette by its full title ("BNPO: Open Welcome").
 * The palette can open before the extension's commands reach the renderer, and an open palette does not
 * refresh its list; so when the entry is not there within a short wait, close the palette and open it again.
 */
export async function runPaletteCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const entry = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) })
    .first();
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    try {
      await entry.waitFor({ state: 'visible', timeout: 2_000 });
    } catch (err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) {
        const message = `"${title}" was not in the command palette after ${attempt} tries in ${timeoutMs} ms`;
        throw new Error(message, { cause: err });
      }
      continue;
    }
    await entry.click();
    // The palette closes, or gives way to the command's own quick pick: either way the entry goes.
    await entry.waitFor({ state: 'hidden', timeout: 10_000 });
    return;
  }
}

/**
 * Opens a workspace file through Quick Open by its file name, as a user would. Fills the input rather
 * than typing: keys pressed before the quick input has focus (e.g. while a webview holds it) are lost.
 * Retries like `runPaletteCommand`, since the file search can answer after the first short wait.
 */
export async function openFile(page: Page, fileName: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const entry = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(fileName)}$`) }) })
    .first();
  for (let attempt = 1; ; attempt++) {
    try {
      // F1 opens the same quick input as the palette's retry loop; without the '>' prefix it searches files.
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      // The input can close again between the wait and the fill (a webview taking focus back): retry then too.
      await input.fill(fileName, { timeout: 5_000 });
      await entry.waitFor({ state: 'visible', timeout: 3_000 });
    } catch (err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) {
        throw new Error(`Quick Open did not find "${fileName}" after ${attempt} tries in ${timeoutMs} ms`, {
          cause: err,
        });
      }
      continue;
    }
    await entry.click();
    await editorTab(page, fileName).first().waitFor({ state: 'visible', timeout: 10_000 });
    return;
  }
}

/** In an open quick pick (e.g. after "Preferences: Color Theme"), chooses the entry with this exact label. */
export async function pickQuickItem(page: Page, label: string, timeoutMs = 15_000): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(label);
  const entry = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
    .first();
  await entry.waitFor({ state: 'visible', timeout: timeoutMs });
  await entry.click();
  await entry.waitFor({ state: 'hidden', timeout: timeoutMs });
}

/** Chooses a colour theme by its label in the picker ("Light Modern", "Dark High Contrast", …) through the palette. */
export async function setColorTheme(page: Page, theme: string): Promise<void> {
  await runPaletteCommand(page, 'Preferences: Color Theme');
  await pickQuickItem(page, theme);
}

/** The editor tab of a panel or file, by its exact label. */
export function editorTab(page: Page, label: string): Locator {
  return page
    .locator('.tabs-container .tab')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
}

/**
 * The content of the webview panel titled `panelTitle`, reached through both of VS Code's frames: the host
 * iframe (`iframe.webview.ready`) and the extension's document inside it (`#active-frame`). Brings the panel's
 * tab to the front first: every open webview has a host iframe, and only the active editor's is visible.
 */
export async function webviewFrame(
  page: Page,
  panelTitle: string,
  timeoutMs = 30_000,
): Promise<FrameLocator> {
  const tab = editorTab(page, panelTitle).first();
  await tab.waitFor({ state: 'visible', timeout: timeoutMs });
  if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  const host = page.locator('iframe.webview.ready:visible');
  await host.first().waitFor({ state: 'visible', timeout: timeoutMs });
  return host.first().contentFrame().frameLocator('#active-frame');
}

/** Waits for a notification toast whose text contains `text`; returns it (e.g. to click its buttons). */
export async function waitForNotification(page: Page, text: string, timeoutMs = 30_000): Promise<Locator> {
  const toast = page.locator('.notification-toast', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  return toast;
}

/** Saves a screenshot of the whole workbench as test-artifacts/e2e/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = await saveScreenshot(page, artifactDir('e2e'), name);
  if (!file) throw new Error(`could not take screenshot "${name}"`);
  return file;
}

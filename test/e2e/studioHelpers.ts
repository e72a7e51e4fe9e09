// Workbench actions the studio's UI tests need beyond helpers.ts: switching the colour theme and waiting until the
// workbench and a webview are in it, picking a quick-pick entry by part of its text, the Runs view's rows, polling a condition.
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { setColorTheme } from './helpers';

/** Labels in the "Preferences: Color Theme" picker. */
export const THEMES = {
  dark: 'Dark Modern',
  light: 'Light Modern',
  'high-contrast': 'Dark High Contrast',
} as const;
export type ThemeName = keyof typeof THEMES;

export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    try {
      value = await probe();
      if (done(value)) return value;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Switches the colour theme from the palette (as a user does) and waits until the workbench has applied it. */
export async function setTheme(page: Page, theme: ThemeName): Promise<void> {
  await setColorTheme(page, THEMES[theme]);
  const workbenchClass = theme === 'dark' ? 'vs-dark' : theme === 'light' ? 'vs' : 'hc-black';
  await until(
    `the ${theme} theme`,
    () => page.locator('.monaco-workbench').getAttribute('class'),
    (cls) => (cls ?? '').split(/\s+/).includes(workbenchClass),
  );
}

/** Waits until a webview page's body carries VS Code's class for `theme`. */
export async function webviewInTheme(frame: FrameLocator, theme: ThemeName): Promise<void> {
  const cls = theme === 'dark' ? 'vscode-dark' : theme === 'light' ? 'vscode-light' : 'vscode-high-contrast';
  await until(
    `the webview in the ${theme} theme`,
    () => frame.locator('body').getAttribute('class'),
    (c) => (c ?? '').split(/\s+/).includes(cls),
  );
}

/** Picks the row of the open quick pick whose text contains `text` (labels may carry icons). */
export async function pickQuickItemContaining(page: Page, text: string, timeoutMs = 15_000): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
}

/** Opens the BNPO Studio activity-bar container and returns the Runs view's rows. */
export async function runsViewRows(page: Page): Promise<Locator> {
  const rows = page.locator('.pane-body .monaco-list-row[aria-label*="step"]');
  if (
    !(await rows
      .first()
      .isVisible()
      .catch(() => false))
  ) {
    await page.locator('.activitybar .action-item a[aria-label^="BNPO Studio"]').first().click();
  }
  await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
  return rows;
}

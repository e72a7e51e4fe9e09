// Debian's chromium driven by playwright-core: one persistent context per run in a fresh profile folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumPath } from './paths';
import { RUN_TAG } from './processes';

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(profileDir: string, runId: string): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`no chromium at ${chromiumPath}: run test/harness/setup.sh first`);
  }
  fs.mkdirSync(profileDir, { recursive: true });
  const context = await chromium.launchPersistentContext(path.join(profileDir, 'chromium'), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1400, height: 900 },
    // Chromium keeps its crash database under XDG_CONFIG_HOME: keep that inside the run's folder too.
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(profileDir, 'config'),
      XDG_CACHE_HOME: path.join(profileDir, 'cache'),
      [RUN_TAG]: runId,
    },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      // A wedged browser must not hang teardown; the run's process check reaps whatever is left.
      await Promise.race([context.close(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    },
  };
}

/** Waits until the workbench is drawn and the remote (workspace) host is connected: the explorer has rows. */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page
    .locator('.explorer-folders-view .monaco-list-row')
    .first()
    .waitFor({ state: 'visible', timeout: timeoutMs });
}

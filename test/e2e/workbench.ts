// The UI tier's fixture: a code-server with the PACKAGED extension installed (so every UI test also proves
// that the .vsix works) and chromium showing its workbench on a fresh workspace. One per suite:
//
//   describe('my panel', function () {
//     const workbench = useWorkbench(this);
//     it('…', async () => { await runPaletteCommand(workbench.page, 'BNPO: …'); });
//   });
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { artifactDir, saveEditorLogs, saveScreenshot, slug } from '../harness/artifacts';
import { launchBrowser, waitForWorkbench } from '../harness/browser';
import type { Browser } from '../harness/browser';
import {
  createProfile,
  installVsix,
  startCodeServer,
  workbenchUrl,
  writeUserSettings,
} from '../harness/codeServer';
import type { CodeServer, Profile } from '../harness/codeServer';
import { packagedVsix } from '../harness/paths';
import { RUN_TAG, newRunId, reapLeftovers } from '../harness/processes';

export interface WorkbenchOptions {
  /** Files to create in the workspace before the workbench opens it (relative path → content). */
  files?: Record<string, string>;
  /**
   * User settings on top of the quiet test defaults, read when the workbench starts. (code-server does not
   * pick up later edits of the file; change settings during a test through the UI, as a user would.)
   */
  settings?: Record<string, unknown>;
}

export interface Workbench {
  readonly page: Page;
  readonly workspace: string;
}

const START_TIMEOUT_MS = 120_000;

/** Registers before/after hooks on `suite` that start and end a workbench; use the result inside tests. */
export function useWorkbench(suite: Mocha.Suite, options: WorkbenchOptions = {}): Workbench {
  let live: { profile: Profile; server: CodeServer; browser: Browser; workspace: string } | undefined;
  const need = (): NonNullable<typeof live> => {
    if (!live) throw new Error('the workbench is not running (did its before-all hook fail?)');
    return live;
  };

  suite.beforeAll(async function () {
    this.timeout(START_TIMEOUT_MS);
    const runId = newRunId();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-e2e-'));
    const profile = createProfile(root, runId);
    writeUserSettings(profile, options.settings ?? {});
    const workspace = path.join(root, 'workspace');
    fs.mkdirSync(workspace);
    // The explorer needs a row to show that the remote host is connected.
    const files = { 'README.md': '# e2e workspace\n', ...options.files };
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
      fs.writeFileSync(path.join(workspace, name), content);
    }
    await installVsix(profile, packagedVsix);
    const server = await startCodeServer(profile);
    let browser: Browser | undefined;
    try {
      browser = await launchBrowser(path.join(root, 'browser'), runId);
      live = { profile, server, browser, workspace };
      await browser.page.goto(workbenchUrl(server, workspace));
      await waitForWorkbench(browser.page);
    } catch (err) {
      // Keep what explains the failure, then end what was started: afterAll only ends a workbench that came up.
      if (browser)
        await saveScreenshot(browser.page, artifactDir('e2e'), `${suite.fullTitle()} start failed`);
      saveEditorLogs(profile.userDataDir, artifactDir('e2e', slug(suite.fullTitle())));
      live = undefined;
      await browser?.close();
      await server.stop();
      await reapLeftovers(RUN_TAG, runId);
      throw err;
    }
  });

  suite.afterEach(async function () {
    const test = this.currentTest;
    if (test?.state === 'failed' && live) {
      const dir = artifactDir('e2e');
      const shot = await saveScreenshot(live.browser.page, dir, `failed ${test.fullTitle()}`);
      saveEditorLogs(live.profile.userDataDir, artifactDir('e2e', slug(test.fullTitle())));
      if (shot) console.error(`      screenshot: ${path.relative(process.cwd(), shot)}`);
    }
  });

  suite.afterAll(async function () {
    this.timeout(60_000);
    if (!live) return;
    const { profile, server, browser } = live;
    live = undefined;
    await browser.close();
    await server.stop();
    // The teardown check: nothing this suite started may outlive it.
    const left = await reapLeftovers(RUN_TAG, profile.runId);
    fs.rmSync(profile.root, { recursive: true, force: true, maxRetries: 3 });
    if (left.length > 0) {
      throw new Error(
        `processes left running after teardown: ${left.map((p) => `${p.pid} ${p.command}`).join('; ')}`,
      );
    }
  });

  return {
    get page() {
      return need().browser.page;
    },
    get workspace() {
      return need().workspace;
    },
  };
}

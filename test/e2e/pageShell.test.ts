// The panels' page shell (src/host/pageHtml.ts) in a real browser: its CSP runs only scripts with the page's nonce
// and loads nothing from elsewhere; untrusted title and placeholder text stay text; and a script or stylesheet whose
// first load fails (as in a webview frame rebuilt by a move) is loaded again, so the page still starts.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page, Route } from 'playwright-core';
import { pageHtml, RESOURCE_RETRIES } from '../../src/host/pageHtml';
import { launchBrowser } from '../harness/browser';
import { newRunId } from '../harness/processes';
import { until } from './studioHelpers';

const ORIGIN = 'https://bnpo-page.test';
const NONCE = 'bm9uY2Utb2YtdGhlLXRlc3Q=';
// The page's own script: marks the page, and adds scripts without the nonce, as injected text would: refused.
const PAGE_SCRIPT = `
document.getElementById('app').dataset.ran = 'yes';
const inline = document.createElement('script');
inline.textContent = "document.body.dataset.inline = 'ran'";
document.head.append(inline);
const foreign = document.createElement('script');
foreign.src = 'https://elsewhere.test/x.js';
document.head.append(foreign);`;

interface Served {
  requests: Record<string, number>;
}

/** Serves the shell and its resources; each resource's first `failFirst[name]` requests are aborted. */
async function serve(page: Page, failFirst: Record<string, number>, title = 'Page'): Promise<Served> {
  const served: Served = { requests: {} };
  const html = pageHtml({
    nonce: NONCE,
    cspSource: ORIGIN,
    scriptUri: `${ORIGIN}/page.js`,
    styleUri: `${ORIGIN}/page.css`,
    title,
    placeholder: '<img src=x onerror="document.body.dataset.xss=1">Loading…',
  });
  const body: Record<string, [string, string]> = {
    '/index.html': ['text/html', html],
    '/page.js': ['text/javascript', PAGE_SCRIPT],
    '/page.css': ['text/css', '#app { outline: 3px solid rgb(1, 2, 3); }'],
  };
  await page.route('https://**/*', async (route: Route) => {
    const url = new URL(route.request().url());
    const name = url.pathname;
    served.requests[url.host + name] = (served.requests[url.host + name] ?? 0) + 1;
    const entry = url.origin === ORIGIN ? body[name] : undefined;
    if (entry === undefined)
      return route.fulfill({
        status: 200,
        contentType: 'text/javascript',
        body: "document.body.dataset.foreign = 'ran'",
      });
    if ((served.requests[url.host + name] ?? 0) <= (failFirst[name] ?? 0)) return route.abort('failed');
    return route.fulfill({ status: 200, contentType: entry[0], body: entry[1] });
  });
  await page.goto(`${ORIGIN}/index.html`);
  return served;
}

const OUTLINE = "getComputedStyle(document.getElementById('app')).outlineColor";

/** Waits until the page's script ran and its stylesheet applies (the DOM side as strings: no DOM types here). */
async function started(page: Page): Promise<void> {
  await page.locator('#app[data-ran="yes"]').waitFor({ state: 'attached', timeout: 10_000 });
  await until(
    'the stylesheet to apply',
    () => page.evaluate<string>(OUTLINE),
    (colour) => colour === 'rgb(1, 2, 3)',
    10_000,
  );
}

describe('page shell (real browser)', function () {
  this.timeout(60_000);
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  let page: Page;

  before(async () => {
    browser = await launchBrowser(path.join(os.tmpdir(), `bnpo-page-shell-${process.pid}`), newRunId());
    page = browser.page;
  });
  after(async () => {
    await browser?.close();
  });

  it('runs only its own nonce’d script, loads nothing from elsewhere, and keeps untrusted text as text', async () => {
    const served = await serve(page, {}, '</title><script>document.body.dataset.xss=1</script>');
    await started(page);
    await page.waitForTimeout(300);
    const flags = await page.evaluate<Record<string, string>>('({ ...document.body.dataset })');
    assert.deepEqual(flags, {}, 'no inline, foreign or injected script ran');
    assert.equal(served.requests['elsewhere.test/x.js'], undefined, 'the CSP refused the foreign script');
    assert.match((await page.locator('.placeholder').textContent()) ?? '', /^<img src=x onerror=/);
    assert.equal(await page.title(), '</title><script>document.body.dataset.xss=1</script>');
  });

  it('loads a script and a stylesheet again when their first loads fail, and still starts', async () => {
    const served = await serve(page, { '/page.js': 2, '/page.css': 1 });
    await started(page);
    assert.equal(served.requests['bnpo-page.test/page.js'], 3);
    assert.equal(served.requests['bnpo-page.test/page.css'], 2);
  });

  it(`gives up after ${RESOURCE_RETRIES} more tries (the panel's ready-watch reloads the page then)`, async () => {
    const served = await serve(page, { '/page.js': 100 });
    await page.waitForTimeout(150 * ((RESOURCE_RETRIES * (RESOURCE_RETRIES + 1)) / 2) + 1000);
    assert.equal(served.requests['bnpo-page.test/page.js'], 1 + RESOURCE_RETRIES);
    assert.equal(await page.locator('#app').getAttribute('data-ran'), null);
  });
});

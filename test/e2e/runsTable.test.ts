// The runs table in the real workbench on three real run folders: the built-in trainer's demo run
// (test/fixtures/studio), a verl run and a TRL run. Sorting by a header (mouse and keyboard), the text and
// per-column filters, grouping by seed with each group's mean ± std, colour by a column, a live update when a
// run writes a step, and Compare of two selected rows on the dashboard; photographed in dark, light and high
// contrast into test-artifacts/e2e/.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { repoRoot } from '../harness/paths';
import { runPaletteCommand, screenshot, webviewFrame } from './helpers';
import { setTheme, until, webviewInTheme } from './studioHelpers';
import type { ThemeName } from './studioHelpers';
import { useWorkbench } from './workbench';
import { TRL_RUN_ID, trlRunFiles } from '../tools/trlFixture';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures');
const STUDIO_ID = '20261126-234311-sorting-bnpo-s1';
const VERL_ID = 'verl-run';
const FOLDERS: Record<string, string> = {
  [STUDIO_ID]: path.join(FIXTURES, 'studio', 'sorting-demo-run'),
  [VERL_ID]: path.join(FIXTURES, 'verl-run'),
};

function workspaceFiles(): Record<string, string> {
  const files: Record<string, string> = trlRunFiles();
  for (const [id, dir] of Object.entries(FOLDERS))
    for (const name of fs.readdirSync(dir))
      files[`.bnpo/runs/${id}/${name}`] = fs.readFileSync(path.join(dir, name), 'utf8');
  return files;
}

function lastReward(dir: string): number {
  const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  return (JSON.parse(lines[lines.length - 1]!) as { reward: number }).reward;
}

/** The run ids of the table's rows, top to bottom. */
async function rowIds(frame: FrameLocator): Promise<string[]> {
  return frame
    .locator('tbody tr[data-run]')
    .evaluateAll((rows: { getAttribute(name: string): string | null }[]) =>
      rows.map((r) => r.getAttribute('data-run') ?? ''),
    );
}

async function cell(frame: FrameLocator, run: string, column: string): Promise<string> {
  return (await frame.locator(`tr[data-run="${run}"] td[data-column="${column}"]`).textContent()) ?? '';
}

async function choose(frame: FrameLocator, testid: string, option: string): Promise<void> {
  const select = frame.locator(`[data-testid="${testid}"]`);
  await select.click();
  await select.getByRole('option', { name: option, exact: true }).click();
}

describe('studio: the runs table (packaged extension)', function () {
  this.timeout(120_000);
  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: workspaceFiles(),
  });
  let frame: FrameLocator;

  it('opens from the palette with one row per run and its config columns', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await runPaletteCommand(page, 'BNPO: Open Runs Table');
    frame = await webviewFrame(page, 'BNPO Runs Table', 60_000);
    await until(
      'three rows',
      async () => (await rowIds(frame)).length,
      (n) => n === 3,
    );
    assert.equal(await cell(frame, STUDIO_ID, 'backend'), 'wasm');
    assert.equal(await cell(frame, STUDIO_ID, 'accuracy'), '0.852');
    assert.equal(await cell(frame, STUDIO_ID, 'reward'), lastReward(FOLDERS[STUDIO_ID]!).toFixed(3));
    assert.equal(await cell(frame, VERL_ID, 'data'), 'train.parquet');
    assert.equal(await cell(frame, VERL_ID, 'lr'), '1e-6');
    assert.equal(await cell(frame, TRL_RUN_ID, 'seed'), '3');
    assert.equal(await cell(frame, TRL_RUN_ID, 'steps'), '3/3');
  });

  it('sorts by a header button, with the mouse and the keyboard, and says so in aria-sort', async () => {
    const seed = frame.locator('th[data-column="seed"]');
    await seed.locator('button').click();
    await until(
      'seed descending',
      () => seed.getAttribute('aria-sort'),
      (s) => s === 'descending',
    );
    assert.deepEqual(await rowIds(frame), [TRL_RUN_ID, STUDIO_ID, VERL_ID]);
    await seed.locator('button').focus();
    await workbench.page.keyboard.press('Enter');
    await until(
      'seed ascending',
      () => seed.getAttribute('aria-sort'),
      (s) => s === 'ascending',
    );
    assert.deepEqual(await rowIds(frame), [STUDIO_ID, VERL_ID, TRL_RUN_ID]);
    assert.equal(await frame.locator('th[data-column="reward"]').getAttribute('aria-sort'), 'none');
  });

  it('filters by text and per column, and clears the filters', async () => {
    await frame.locator('[data-testid="filter"] input').fill('parquet');
    await until(
      'the verl row alone',
      () => rowIds(frame),
      (ids) => ids.join() === VERL_ID,
    );
    await frame.locator('[data-testid="filter"] input').fill('');
    await frame.locator('tr.filters input[data-column="seed"]').fill('>1');
    await until(
      'the TRL row alone',
      () => rowIds(frame),
      (ids) => ids.join() === TRL_RUN_ID,
    );
    await frame.locator('[data-testid="clear-filters"]').click();
    await until(
      'every row',
      async () => (await rowIds(frame)).length,
      (n) => n === 3,
    );
    assert.equal(await frame.locator('tr.filters input[data-column="seed"]').inputValue(), '');
  });

  it('follows a run as it writes a step', async () => {
    const metrics = path.join(workbench.workspace, '.bnpo', 'runs', TRL_RUN_ID, 'metrics.jsonl');
    const lines = fs.readFileSync(metrics, 'utf8').trim().split('\n');
    const next = {
      ...(JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>),
      step: 4,
      reward: 0.123,
    };
    fs.appendFileSync(metrics, `${JSON.stringify(next)}\n`);
    await until(
      'the new reward',
      () => cell(frame, TRL_RUN_ID, 'reward'),
      (text) => text === '0.123',
    );
  });

  it('groups by seed with each group mean ± std, and colours by a column', async () => {
    await choose(frame, 'group-by', 'Seed');
    await until(
      'two groups',
      () => frame.locator('tr.group').count(),
      (n) => n === 2,
    );
    const rewards = [lastReward(FOLDERS[STUDIO_ID]!), lastReward(FOLDERS[VERL_ID]!)];
    const mean = (rewards[0]! + rewards[1]!) / 2;
    const std = Math.sqrt((rewards[0]! - mean) ** 2 + (rewards[1]! - mean) ** 2);
    const seedOne = frame.locator('tr.group[data-group="1"]');
    assert.equal(
      await seedOne.locator('[data-testid="group-reward"]').textContent(),
      `reward ${mean.toFixed(3)} ± ${std.toFixed(3)}`,
    );
    assert.match((await seedOne.textContent()) ?? '', /2 runs/);
    await choose(frame, 'colour-by', 'Task / dataset');
    await until(
      'a legend of three values',
      () => frame.locator('[data-testid="legend"] li').count(),
      (n) => n === 4,
    );
    const swatches = await frame
      .locator('tbody .swatch')
      .evaluateAll((spans: { getAttribute(name: string): string | null }[]) =>
        spans.map((s) => s.getAttribute('style') ?? ''),
      );
    assert.equal(new Set(swatches).size, 3, `one colour per task or dataset: ${swatches.join(', ')}`);
    assert.match((await frame.locator('[data-testid="compare"]').textContent()) ?? '', /Compare 2 groups/);
  });

  for (const theme of ['dark', 'light', 'high-contrast'] as ThemeName[]) {
    it(`looks right in the ${theme} theme`, async () => {
      const { page } = workbench;
      if (theme !== 'dark') await setTheme(page, theme);
      await webviewInTheme(frame, theme);
      await page.waitForTimeout(400);
      await screenshot(page, `runs-table-${theme}`);
    });
  }

  it('selects two runs and compares them on the dashboard', async () => {
    const { page } = workbench;
    await setTheme(page, 'dark');
    await choose(frame, 'group-by', 'None');
    await until(
      'no groups',
      () => frame.locator('tr.group').count(),
      (n) => n === 0,
    );
    // With the keyboard: Space selects, and the rows redrawn keep the focus on the same checkbox.
    const first = frame.locator(`tr[data-run="${STUDIO_ID}"] input[type="checkbox"]`);
    await first.focus();
    await page.keyboard.press('Space');
    await until(
      'the first run selected',
      () => first.isChecked(),
      (checked) => checked,
    );
    assert.equal(
      await first.evaluate(
        (box: { ownerDocument: { activeElement: unknown } }) => box.ownerDocument.activeElement === box,
      ),
      true,
      'focus stays on the checkbox',
    );
    await frame.locator(`tr[data-run="${TRL_RUN_ID}"] input[type="checkbox"]`).check();
    const compare = frame.locator('[data-testid="compare"]');
    await until(
      'Compare 2 runs',
      async () => (await compare.textContent()) ?? '',
      (t) => t === 'Compare 2 runs',
    );
    await compare.click();
    const dashboard = await webviewFrame(page, 'BNPO Dashboard', 60_000);
    await until(
      'both runs on the dashboard',
      async () =>
        Promise.all([STUDIO_ID, TRL_RUN_ID].map((id) => dashboard.locator(`li[data-run="${id}"]`).count())),
      (counts) => counts.every((n) => n === 1),
    );
    assert.match((await dashboard.locator('h1').textContent()) ?? '', /Compare runs/);
    assert.equal(await dashboard.locator(`[data-run="${VERL_ID}"]`).count(), 0);
    await page.waitForTimeout(500);
    await screenshot(page, 'runs-table-compare');
  });

  it('comes back after a window reload with its sort, colours and selection', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    frame = await webviewFrame(page, 'BNPO Runs Table', 60_000);
    await until(
      'three rows',
      async () => (await rowIds(frame)).length,
      (n) => n === 3,
      60_000,
    );
    assert.equal(await frame.locator('th[data-column="seed"]').getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(await rowIds(frame), [STUDIO_ID, VERL_ID, TRL_RUN_ID]);
    assert.equal(await frame.locator('[data-testid="legend"] li').count(), 4);
    for (const [id, checked] of [
      [STUDIO_ID, true],
      [VERL_ID, false],
      [TRL_RUN_ID, true],
    ] as const)
      assert.equal(
        await frame.locator(`tr[data-run="${id}"] input[type="checkbox"]`).isChecked(),
        checked,
        id,
      );
  });

  it("opens a run's dashboard from its id", async () => {
    const { page } = workbench;
    await frame.locator(`tr[data-run="${VERL_ID}"] button.link`).click();
    const dashboard = await webviewFrame(page, 'BNPO Dashboard', 60_000);
    await until(
      'the verl run alone on the dashboard',
      () =>
        dashboard
          .locator('li[data-run]')
          .evaluateAll((items: { getAttribute(name: string): string | null }[]) =>
            items.map((i) => i.getAttribute('data-run') ?? ''),
          ),
      (ids) => ids.join() === VERL_ID,
    );
  });
});

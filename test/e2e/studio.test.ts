// The studio as a user gets it from the packaged extension, on a real (tiny) training run: launched from the
// palette on the built-in default task and rules, followed live by the dashboard, explained by the Beta-fit panel
// (whose numbers must be the run's metrics.jsonl), stopped and resumed from the palette with the Runs view
// following, restored after a window reload, and a trainer killed with SIGKILL reported as failed within 5 s
// with its last log lines. Every panel is photographed in the dark, light and high-contrast themes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { MetricsRecordSchema, GroupsRecordSchema, RunInfoSchema } from '../../src/protocol/runDir';
import { RUN_FILES } from '../../src/runDir/layout';
import type { MetricsRecord, RunInfo } from '../../src/protocol/runDir';
import { parseJsonl } from '../../src/protocol/jsonl';
import { runPaletteCommand, screenshot, waitForNotification, webviewFrame } from './helpers';
import { pickQuickItemContaining, runsViewRows, setTheme, until, webviewInTheme } from './studioHelpers';
import type { ThemeName } from './studioHelpers';
import { useWorkbench } from './workbench';

const DASHBOARD = 'BNPO Dashboard';
const BETA_FIT = 'BNPO Beta Fit';
const SAMPLES = 'BNPO Samples';

// The built-in default task and its built-in rules; only the sizes are tiny, and the run is long enough to be
// stopped while it runs (the test stops it, and kills it at the end).
const TINY_CONFIG = {
  name: 'e2e-tiny',
  steps: 5000,
  groupSize: 4,
  promptsPerStep: 4,
  model: { dModel: 16, layers: 1, heads: 2, mlpRatio: 2 },
  sft: { maxSteps: 10, batchSize: 16, evalEvery: 5 },
  eval: { every: 10, size: 16 },
  sampleEvery: 2,
  checkpointEvery: 5,
  backend: 'cpu',
};

function runsFolder(workspace: string): string {
  return path.join(workspace, '.bnpo', 'runs');
}

function theRun(workspace: string): { dir: string; info: RunInfo } {
  const folder = runsFolder(workspace);
  const dirs = fs.existsSync(folder)
    ? fs.readdirSync(folder).filter((d) => fs.existsSync(path.join(folder, d, RUN_FILES.run)))
    : [];
  assert.equal(dirs.length, 1, `one run expected in ${folder}, found ${dirs.join(', ')}`);
  const dir = path.join(folder, dirs[0]!);
  return {
    dir,
    info: RunInfoSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, RUN_FILES.run), 'utf8'))),
  };
}

function metricsOnDisk(dir: string): MetricsRecord[] {
  const file = path.join(dir, RUN_FILES.metrics);
  return parseJsonl(fs.readFileSync(file, 'utf8'), MetricsRecordSchema, { file }).records;
}

async function chartRows(frame: FrameLocator, chart: string): Promise<number> {
  return Number((await frame.locator(`[data-chart="${chart}"]`).getAttribute('data-rows')) ?? '0');
}

async function rowLabel(page: Page): Promise<string> {
  const rows = await runsViewRows(page);
  return (await rows.first().getAttribute('aria-label')) ?? '';
}

async function photograph(page: Page, title: string, name: string, theme: ThemeName): Promise<void> {
  const frame = await webviewFrame(page, title);
  await webviewInTheme(frame, theme);
  await frame.locator('main[aria-busy="false"]').waitFor({ timeout: 15_000 });
  await page.waitForTimeout(400); // charts redraw on the theme change
  await screenshot(page, `studio-${name}-${theme}`);
}

describe('studio: a real run from the palette (packaged extension)', function () {
  this.timeout(120_000);
  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: { 'tiny.bnporun.json': JSON.stringify(TINY_CONFIG, null, 2) + '\n' },
  });

  it('launches a run from the palette and opens the dashboard', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Launch Training Run');
    await pickQuickItemContaining(page, 'tiny.bnporun.json');
    const frame = await webviewFrame(page, DASHBOARD, 60_000);
    await frame.locator('[data-chart="reward"]').waitFor({ timeout: 60_000 });
    const { info } = theRun(workbench.workspace);
    assert.equal(info.config.name, 'e2e-tiny');
    assert.ok(
      info.rulesFile.endsWith(`${info.config.task}.rewards.json`),
      `built-in rules, got ${info.rulesFile}`,
    );
  });

  it('fills the dashboard’s charts with points while the run goes on', async () => {
    const { page } = workbench;
    const frame = await webviewFrame(page, DASHBOARD);
    const first = await until(
      'the first steps on the reward chart',
      () => chartRows(frame, 'reward'),
      (n) => n >= 2,
      90_000,
    );
    const later = await until(
      'more steps',
      () => chartRows(frame, 'reward'),
      (n) => n >= first + 3,
      60_000,
    );
    assert.ok(later > first);
    assert.equal(await frame.locator('[data-testid="run-status"]').first().textContent(), 'running');
    for (const chart of [
      'loss',
      'gradNorm',
      'clipFraction',
      'entropy',
      'completionLength',
      'zeroVarianceShare',
    ]) {
      assert.ok((await chartRows(frame, chart)) >= 2, `${chart} has points`);
    }
    // The charts show exactly the rows on disk (or the newest few more, written since).
    const onDisk = metricsOnDisk(theRun(workbench.workspace).dir).length;
    const shown = await chartRows(frame, 'reward');
    assert.ok(
      shown <= onDisk + 2 && shown >= Math.min(onDisk, later),
      `dashboard ${shown} rows, metrics.jsonl ${onDisk}`,
    );
    await screenshot(page, 'studio-dashboard-dark');
  });

  it('shows a Beta fit whose numbers are the run’s metrics.jsonl', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Open Beta Fit');
    const frame = await webviewFrame(page, BETA_FIT);
    await frame.locator('section.rule').first().waitFor({ timeout: 30_000 });
    // Fix the step (stop following) so the page and the file are compared at the same step.
    await frame.locator('[data-testid="follow"]').click();
    const { dir, info } = theRun(workbench.workspace);
    const shownRules = await Promise.all(
      (await frame.locator('section.rule').all()).map((section) => section.getAttribute('data-rule')),
    );
    assert.deepEqual(shownRules, info.rules);
    const fields = ['fit-alpha', 'fit-beta', 'fit-a', 'fit-b', 'fit-guard', 'fit-groups'] as const;
    const shownStep = async () =>
      Number(await frame.locator('[data-testid="step"]').getAttribute('data-step'));
    // One consistent read: the step and every rule's figures from the same render (a live append may re-render
    // the page between two attribute reads).
    let step = await shownStep();
    let shown: Record<string, Record<string, string | null>> = {};
    for (let attempt = 0; attempt < 10; attempt++) {
      shown = {};
      for (const rule of info.rules) {
        const section = frame.locator(`section.rule[data-rule="${rule}"]`);
        const values: Record<string, string | null> = {};
        for (const id of fields)
          values[id] = await section.locator(`[data-testid="${id}"]`).getAttribute('data-value');
        shown[rule] = values;
      }
      const after = await shownStep();
      if (after === step) break;
      step = after;
    }
    const record = metricsOnDisk(dir).find((m) => m.step === step);
    assert.ok(record, `metrics.jsonl has step ${step}`);
    const groupsFile = path.join(dir, RUN_FILES.groups);
    const groups = parseJsonl(fs.readFileSync(groupsFile, 'utf8'), GroupsRecordSchema, {
      file: groupsFile,
    }).records.find((g) => g.step === step);
    assert.ok(groups, `groups.jsonl has step ${step}`);
    for (const rule of info.rules) {
      const value = shown[rule]!;
      const fit: MetricsRecord['beta'][string] = record.beta[rule]!;
      assert.equal(value['fit-alpha'], String(fit.alpha), `${rule} α at step ${step}`);
      assert.equal(value['fit-beta'], String(fit.beta), `${rule} β at step ${step}`);
      assert.equal(value['fit-a'], String(fit.a), `${rule} a at step ${step}`);
      assert.equal(value['fit-b'], String(fit.b), `${rule} b at step ${step}`);
      assert.equal(value['fit-guard'], String(fit.guard), `${rule} guard at step ${step}`);
      assert.equal(value['fit-groups'], String(groups.groups.length), `${rule} groups at step ${step}`);
    }
    await screenshot(page, 'studio-betafit-dark');
  });

  it('shows the step’s sampled completions with their rewards and advantages', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Show Samples');
    const frame = await webviewFrame(page, SAMPLES);
    const summary = frame.locator('[data-testid="summary"]');
    await summary.waitFor({ timeout: 30_000 });
    assert.ok(Number(await summary.getAttribute('data-groups')) > 0);
    assert.ok((await frame.locator('td.advantage').count()) > 0);
    await screenshot(page, 'studio-samples-dark');
  });

  it('draws every panel in the light and high-contrast themes', async () => {
    const { page } = workbench;
    for (const theme of ['light', 'high-contrast', 'dark'] as const) {
      await setTheme(page, theme);
      await photograph(page, DASHBOARD, 'dashboard', theme);
      await photograph(page, BETA_FIT, 'betafit', theme);
      await photograph(page, SAMPLES, 'samples', theme);
    }
  });

  it('stops the run from the palette; the Runs view shows it stopped', async () => {
    const { page } = workbench;
    assert.match(await rowLabel(page), /running/);
    await runPaletteCommand(page, 'BNPO: Stop Run');
    await until(
      'the run to show as stopped',
      () => rowLabel(page),
      (l) => /stopped/.test(l),
      30_000,
    );
    assert.equal(theRun(workbench.workspace).info.status, 'stopped');
    await screenshot(page, 'studio-runs-view-stopped');
  });

  it('resumes it from the palette; it runs on from its checkpoint', async () => {
    const { page } = workbench;
    const before = theRun(workbench.workspace).info.step;
    await runPaletteCommand(page, 'BNPO: Resume Run');
    await until(
      'the run to show as running',
      () => rowLabel(page),
      (l) => /running/.test(l),
      30_000,
    );
    await until(
      'steps past the stop',
      () => Promise.resolve(theRun(workbench.workspace).info.step),
      (s) => s > before + 1,
      60_000,
    );
    const frame = await webviewFrame(page, DASHBOARD);
    await until(
      'the dashboard to show it running',
      () => frame.locator('[data-testid="run-status"]').first().textContent(),
      (t) => t === 'running',
    );
    await screenshot(page, 'studio-runs-view-resumed');
  });

  it('brings the panels back after a window reload', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    const dashboard = await webviewFrame(page, DASHBOARD, 60_000);
    await until(
      'the restored dashboard’s points',
      () => chartRows(dashboard, 'reward'),
      (n) => n > 0,
      60_000,
    );
    const beta = await webviewFrame(page, BETA_FIT, 30_000);
    await beta.locator('section.rule').first().waitFor({ timeout: 30_000 });
    const samples = await webviewFrame(page, SAMPLES, 30_000);
    await samples.locator('[data-testid="summary"]').waitFor({ timeout: 30_000 });
    await screenshot(page, 'studio-restored');
  });

  it('reports a trainer killed with SIGKILL as failed within 5 s, with its last log lines', async () => {
    const { page } = workbench;
    let { info, dir } = theRun(workbench.workspace);
    if (info.status !== 'running') {
      await runPaletteCommand(page, 'BNPO: Resume Run');
      ({ info, dir } = await until(
        'a running trainer',
        () => Promise.resolve(theRun(workbench.workspace)),
        (r) => r.info.status === 'running' && r.info.pid !== null,
      ));
    }
    await until(
      'the Runs view to show it running',
      () => rowLabel(page),
      (l) => /running/.test(l),
    );
    const pid = info.pid!;
    const lastLine = fs.readFileSync(path.join(dir, RUN_FILES.log), 'utf8').trim().split('\n').at(-1) ?? '';
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const toast = await waitForNotification(page, 'ended without finishing', 5_000);
    const elapsed = Date.now() - killedAt;
    const text = (await toast.textContent()) ?? '';
    assert.ok(elapsed <= 5_000, `reported after ${elapsed} ms`);
    assert.match(text, /ended without finishing/);
    assert.match(text, /Last log lines/);
    // The log's last line (without its timestamp) is in the notification.
    const tail = lastLine.replace(/^\S+Z /, '').slice(0, 30);
    assert.ok(text.includes(tail), `notification lacks the last log line "${tail}": ${text}`);
    assert.ok(await toast.locator('a, .monaco-button', { hasText: 'Show Log' }).first().isVisible());
    await until(
      'the Runs view to show it failed',
      () => rowLabel(page),
      (l) => /failed/.test(l),
      5_000,
    );
    for (const title of [SAMPLES, DASHBOARD]) {
      const frame = await webviewFrame(page, title);
      await until(
        `${title} to show it failed`,
        () => frame.locator('[data-testid="run-status"]').first().textContent(),
        (t) => t === 'failed',
        5_000,
      );
    }
    await screenshot(page, 'studio-killed-failed');
  });
});

// The reward audit as a user meets it: the hackable rules file shows its "Audit" lens and the warning on the format
// rule; a short run on rules a policy can game (lengthHack.rewards.json: a length rule no correct answer passes)
// learns the hack, and the audit catches it: the default threshold on the share at the cap raises a notification
// whose button opens the completions the audit flagged, and the dashboard's Audit section shows the curves.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { AuditRecordSchema, type AuditRecord } from '../../src/protocol/audit';
import { parseJsonl } from '../../src/protocol/jsonl';
import { SamplesRecordSchema } from '../../src/protocol/runDir';
import { RUN_FILES } from '../../src/runDir/layout';
import { openFile, runPaletteCommand, screenshot, waitForNotification, webviewFrame } from './helpers';
import { pickQuickItemContaining, until } from './studioHelpers';
import { useWorkbench } from './workbench';

const fixture = (name: string): string =>
  fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'audit', name), 'utf8');

const STEPS = 45;
const CONFIG = {
  name: 'e2e-audit',
  task: 'sorting',
  rules: 'hack.rewards.json',
  steps: STEPS,
  eval: { every: STEPS, size: 32 },
  sampleEvery: 1,
  checkpointEvery: 15,
};

function audits(workspace: string): { dir: string; records: AuditRecord[]; status: string } {
  const folder = path.join(workspace, '.bnpo', 'runs');
  const [name] = fs.existsSync(folder) ? fs.readdirSync(folder) : [];
  if (name === undefined) return { dir: '', records: [], status: 'none' };
  const dir = path.join(folder, name);
  const file = path.join(dir, RUN_FILES.audit);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const info = JSON.parse(fs.readFileSync(path.join(dir, RUN_FILES.run), 'utf8')) as { status: string };
  return { dir, records: parseJsonl(text, AuditRecordSchema, { file }).records, status: info.status };
}

/** The mean of a figure over the first or last five records. */
function meanOf(records: readonly AuditRecord[], figure: (r: AuditRecord) => number): number {
  return records.reduce((s, r) => s + figure(r), 0) / records.length;
}

async function auditChartRows(frame: FrameLocator): Promise<number> {
  return Number((await frame.locator('[data-chart="audit-atCap"]').getAttribute('data-rows')) ?? '0');
}

describe('reward audit: editor and studio (packaged extension)', function () {
  this.timeout(240_000);
  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: {
      'hackable.rewards.json': fixture('hackable.rewards.json'),
      'hack.rewards.json': fixture('lengthHack.rewards.json'),
      'hack.bnporun.json': JSON.stringify(CONFIG, null, 2) + '\n',
    },
  });

  it('shows the Audit lens and warns that the format rule rewards tags-only output', async () => {
    const { page } = workbench;
    await openFile(page, 'hackable.rewards.json');
    await page.locator('.codelens-decoration', { hasText: 'Audit' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.squiggly-warning').first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'audit-rules-lens');
  });

  it('notifies once the policy learns to run to the cap, and opens the completions the audit flagged', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Launch Training Run');
    await pickQuickItemContaining(page, 'hack.bnporun.json');
    await webviewFrame(page, 'BNPO Dashboard', 60_000);
    const toast = await waitForNotification(page, 'BNPO audit: run e2e-audit', 180_000);
    const text = (await toast.textContent()) ?? '';
    const crossing = /may be gaming its rules: share at the length cap ([\d.]+) > 0\.2 at step (\d+)/.exec(
      text,
    );
    assert.ok(crossing, text);
    // It fired on what the policy learned, not on the warm-started model: at the start almost nothing ran to the cap.
    const { dir, records } = audits(workbench.workspace);
    const start = meanOf(records.slice(0, 5), (r) => r.length.atCap);
    assert.ok(start < 0.1, `share at the cap at the start: ${start}`);
    assert.ok(Number(crossing[2]) > 5, `crossed at step ${crossing[2]}`);
    const samples = parseJsonl(
      fs.readFileSync(path.join(dir, RUN_FILES.samples), 'utf8'),
      SamplesRecordSchema,
      { file: 'samples.jsonl' },
    ).records;
    assert.ok(
      samples.some((s) => s.completions.some((c) => c.truncated === true && c.flags?.includes('atCap'))),
      'samples.jsonl marks the completions cut off at the cap',
    );
    await toast.locator('.monaco-button', { hasText: 'Show Flagged Samples' }).click();
    const samplesFrame = await webviewFrame(page, 'BNPO Samples', 30_000);
    // It opens on the completions table, filtered to what the audit flagged, and shows some.
    const summary = samplesFrame.locator('[data-testid="table-summary"]');
    await summary.waitFor({ timeout: 30_000 });
    assert.equal(await samplesFrame.locator('[data-testid="flag-filter"]').inputValue(), '*');
    await until(
      'flagged completions in the table',
      async () => Number((await summary.getAttribute('data-rows')) ?? '0'),
      (rows) => rows > 0,
    );
    await screenshot(page, 'audit-flagged-samples');
  });

  it('shows in the Audit section the hack being learned: the cap share and the length rule up, accuracy down', async () => {
    const { page } = workbench;
    await until(
      'the run to finish',
      () => Promise.resolve(audits(workbench.workspace).status),
      (status) => ['completed', 'failed', 'stopped'].includes(status),
      180_000,
    );
    const { records, status } = audits(workbench.workspace);
    assert.equal(status, 'completed');
    assert.equal(records.length, STEPS);
    const first = records.slice(0, 5);
    const last = records.slice(-5);
    const figures = {
      atCap: [meanOf(first, (r) => r.length.atCap), meanOf(last, (r) => r.length.atCap)],
      showsWork: [
        meanOf(first, (r) => r.passRates['shows-work']!),
        meanOf(last, (r) => r.passRates['shows-work']!),
      ],
      accuracy: [meanOf(first, (r) => r.passRates.accuracy!), meanOf(last, (r) => r.passRates.accuracy!)],
    };
    const why = JSON.stringify(figures);
    assert.ok(figures.atCap[1]! > 0.8 && figures.showsWork[1]! > 0.8, `the hack was not learned: ${why}`);
    assert.ok(figures.accuracy[1]! < figures.accuracy[0]!, `accuracy did not fall: ${why}`);
    assert.ok(
      records.some((r) => r.opposed.some((p) => [p.a, p.b].sort().join() === 'accuracy,shows-work')),
      'the audit saw the two rules move apart',
    );
    await page.locator('.tab', { hasText: 'BNPO Dashboard' }).first().click();
    const frame = await webviewFrame(page, 'BNPO Dashboard', 30_000);
    await until(
      'every step on the audit chart',
      () => auditChartRows(frame),
      (n) => n >= STEPS,
      60_000,
    );
    await frame.locator('[data-chart="audit-atCap"]').scrollIntoViewIfNeeded();
    await page.waitForTimeout(400);
    await screenshot(page, 'audit-dashboard-section');
  });

  it('stops the run if it still runs', async () => {
    const { dir } = audits(workbench.workspace);
    const info = JSON.parse(fs.readFileSync(path.join(dir, RUN_FILES.run), 'utf8')) as { status: string };
    if (info.status !== 'running') return;
    await runPaletteCommand(workbench.page, 'BNPO: Stop Run');
    await until(
      'the run to stop',
      () =>
        Promise.resolve(
          (JSON.parse(fs.readFileSync(path.join(dir, RUN_FILES.run), 'utf8')) as { status: string }).status,
        ),
      (s) => s !== 'running',
      60_000,
    );
  });
});

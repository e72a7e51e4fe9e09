// The reward audit as a user meets it: the hackable rules file shows its "Audit" lens and the warning on the format
// rule; a short run with those rules fills the dashboard's Audit section with curves that move, and a threshold the
// user set (workspace settings) raises a notification whose button opens the Samples panel on the run.
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

const root = path.resolve(__dirname, '..', '..', '..');
const HACKABLE = fs.readFileSync(
  path.join(root, 'test', 'fixtures', 'audit', 'hackable.rewards.json'),
  'utf8',
);

const CONFIG = {
  name: 'e2e-audit',
  task: 'addition',
  rules: 'hack.rewards.json',
  steps: 40,
  groupSize: 4,
  promptsPerStep: 4,
  model: { dModel: 16, layers: 1, heads: 2, mlpRatio: 2 },
  sft: { maxSteps: 10, batchSize: 16, evalEvery: 5 },
  eval: { every: 20, size: 8 },
  sampleEvery: 1,
  checkpointEvery: 20,
  backend: 'cpu',
};

function audits(workspace: string): { dir: string; records: AuditRecord[] } {
  const folder = path.join(workspace, '.bnpo', 'runs');
  const [name] = fs.existsSync(folder) ? fs.readdirSync(folder) : [];
  if (name === undefined) return { dir: '', records: [] };
  const dir = path.join(folder, name);
  const file = path.join(dir, RUN_FILES.audit);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  return { dir, records: parseJsonl(text, AuditRecordSchema, { file }).records };
}

async function auditChartRows(frame: FrameLocator): Promise<number> {
  return Number((await frame.locator('[data-chart="audit-duplicates"]').getAttribute('data-rows')) ?? '0');
}

describe('reward audit: editor and studio (packaged extension)', function () {
  this.timeout(180_000);
  const workbench = useWorkbench(this, {
    settings: {
      'workbench.colorTheme': 'Default Dark Modern',
      // a strict threshold a user might set: any duplicate completion in a group is worth a look
      'bnpo.audit.thresholds': { duplicates: 0.05 },
    },
    files: {
      'hack.rewards.json': HACKABLE,
      'hack.bnporun.json': JSON.stringify(CONFIG, null, 2) + '\n',
    },
  });

  it('shows the Audit lens and warns that the format rule rewards tags-only output', async () => {
    const { page } = workbench;
    await openFile(page, 'hack.rewards.json');
    await page.locator('.codelens-decoration', { hasText: 'Audit' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.squiggly-warning').first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'audit-rules-lens');
  });

  it('shows the audit curves of a short run with the hackable rules, moving', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Launch Training Run');
    await pickQuickItemContaining(page, 'hack.bnporun.json');
    const frame = await webviewFrame(page, 'BNPO Dashboard', 60_000);
    await frame.locator('[data-testid="audit-section"]').waitFor({ timeout: 120_000 });
    await until(
      'audit rows on the chart',
      () => auditChartRows(frame),
      (n) => n >= 6,
      120_000,
    );
    const { records } = audits(workbench.workspace);
    assert.ok(records.length >= 6, `${records.length} audit records`);
    // the curves move: the figures of the first steps are not all the same
    const shapes = new Set(
      records.map((r) => JSON.stringify([r.length.mean, r.duplicateShare, r.repeatRate])),
    );
    assert.ok(shapes.size > 1, `audit figures never changed: ${[...shapes].join(' ')}`);
    await frame.locator('[data-testid="audit-section"]').scrollIntoViewIfNeeded();
    await page.waitForTimeout(400);
    await screenshot(page, 'audit-dashboard-section');
  });

  it('notifies when a threshold is crossed and opens the Samples panel on the flagged completions', async () => {
    const { page } = workbench;
    const toast = await waitForNotification(page, 'BNPO audit: run e2e-audit', 120_000);
    assert.match(
      (await toast.textContent()) ?? '',
      /may be gaming its rules: [a-z /,]+ [\d.]+ > [\d.]+ at step \d+/,
    );
    const { dir } = audits(workbench.workspace);
    const samples = parseJsonl(
      fs.readFileSync(path.join(dir, RUN_FILES.samples), 'utf8'),
      SamplesRecordSchema,
      {
        file: 'samples.jsonl',
      },
    ).records;
    assert.ok(
      samples.some((s) => s.completions.some((c) => (c.flags?.length ?? 0) > 0)),
      'samples.jsonl marks the flagged completions',
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

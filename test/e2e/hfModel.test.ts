// A run on a Hugging Face model in the workbench (packaged extension): the dashboard's header names the model from
// run.json's modelInfo, and the Runs view row's context menu offers Export Model…. Photographed. (The row's
// tooltip, which also names the model, does not open under the test browser's synthetic mouse.)
import * as assert from 'node:assert/strict';
import { RUN_FILES } from '../../src/runDir/layout';
import { metricsRecord, runInfo } from '../unit/studioFixtures';
import { runPaletteCommand, screenshot, webviewFrame } from './helpers';
import { runsViewRows } from './studioHelpers';
import { useWorkbench } from './workbench';

const RUN_ID = '2026-12-02T10-00-00-000Z-smol';
const SUMMARY = 'SmolLM2-135M · llama · 135M parameters · LoRA r 8';

function workspaceFiles(): Record<string, string> {
  const dir = `.bnpo/runs/${RUN_ID}`;
  const info = runInfo({
    id: RUN_ID,
    step: 3,
    totalSteps: 3,
    modelInfo: {
      path: '/models/SmolLM2-135M',
      architecture: 'llama',
      parameters: 134_515_008,
      trainableParameters: 921_600,
      configSha256: 'a'.repeat(64),
      lora: { rank: 8, alpha: 16, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
    },
  });
  const metrics = [1, 2, 3].map((s) => metricsRecord(s));
  return {
    [`${dir}/${RUN_FILES.run}`]: `${JSON.stringify(info, null, 2)}\n`,
    [`${dir}/${RUN_FILES.metrics}`]: metrics.map((m) => JSON.stringify(m)).join('\n') + '\n',
  };
}

describe('Hugging Face model run in the workbench', function () {
  this.timeout(180_000);
  const workbench = useWorkbench(this, {
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
    files: workspaceFiles(),
  });

  it('the dashboard header names the model', async () => {
    const { page } = workbench;
    await runPaletteCommand(page, 'BNPO: Open Dashboard');
    // The only run: the dashboard opens it without asking.
    const frame = await webviewFrame(page, 'BNPO Dashboard', 60_000);
    const model = frame.locator('[data-testid="run-model"]');
    await model.waitFor({ timeout: 30_000 });
    assert.equal(await model.textContent(), SUMMARY);
    await page.waitForTimeout(500);
    await screenshot(page, 'hf-model-dashboard');
  });

  it('the Runs view row offers Export Model… in its context menu', async () => {
    const { page } = workbench;
    const row = (await runsViewRows(page)).first();
    await row.click({ button: 'right' });
    const entry = page.locator('.context-view .action-label', { hasText: 'Export Model…' }).first();
    await entry.waitFor({ state: 'visible', timeout: 15_000 });
    await screenshot(page, 'hf-model-export-menu');
    await page.keyboard.press('Escape');
  });
});

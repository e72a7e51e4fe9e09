// A Hugging Face model inside a real editor: Launch Training Run from the palette, with "a model folder…" chosen
// in its quick picks (the picks and the folder dialog answered by the test), trains a tiny local Llama folder;
// the run opens in the dashboard, Beta-fit and samples panels, whose first messages name it, run.json's
// modelInfo names the folder, and Export Model… writes a PEFT adapter of it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HostToBetaFitSchema } from '../../src/protocol/betaFit';
import { HostToDashboardSchema } from '../../src/protocol/dashboard';
import { RunInfoSchema } from '../../src/protocol/runDir';
import { HostToSamplesSchema } from '../../src/protocol/samples';
import { BUILTIN_ALPHABET } from '../../src/trainer/tokenizer';
import { tempDir, writeTinyCharModel } from '../unit/modelsFixtures';
import { until, workspaceDir } from './workspace';

interface PageData {
  dashboard: unknown;
  betaFit: unknown;
  samples: unknown;
}

type Item = vscode.QuickPickItem & { value?: string };

/** The answer to each step of Launch Training Run, by the step's title. */
function answer(title: string, items: readonly Item[]): Item | undefined {
  const want: [RegExp, (item: Item) => boolean][] = [
    [/\(1\/6\)/, (i) => i.label === '$(beaker) sorting'],
    [/\(2\/6\)/, (i) => i.label.includes('A model folder')],
    [/\(3\/6\)/, (i) => i.label.includes('Built-in rules')],
    [/\(4\/6\)/, (i) => i.value === 'grpo'],
    [/\(5\/6\)/, (i) => i.value === 'wasm'],
    [/\(6\/6\)/, (i) => i.value === 'quick'],
  ];
  const match = want.find(([re]) => re.test(title));
  assert.ok(match, `an unexpected quick pick: ${title}`);
  const item = items.find(match[1]);
  assert.ok(item, `no item to pick in ${title}: ${items.map((i) => i.label).join(', ')}`);
  return item;
}

describe('Hugging Face model', function () {
  this.timeout(600_000);
  const window = vscode.window as { -readonly [K in keyof typeof vscode.window]: (typeof vscode.window)[K] };
  const original = { showQuickPick: window.showQuickPick, showOpenDialog: window.showOpenDialog };
  const titles: string[] = [];

  afterEach(async () => {
    window.showQuickPick = original.showQuickPick;
    window.showOpenDialog = original.showOpenDialog;
    // The run's panels stay out of the suites that follow (they count panel tabs).
    const panels = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter(
        (t) =>
          t.input instanceof vscode.TabInputWebview &&
          /bnpo\.(dashboard|betaFit|samples)$/.test(t.input.viewType),
      );
    await vscode.window.tabGroups.close(panels);
  });

  it('launches a run on a model folder from the palette and shows it in the three panels', async () => {
    const modelDir = writeTinyCharModel(BUILTIN_ALPHABET, { hidden_size: 16, num_hidden_layers: 1 });
    window.showQuickPick = (async (
      items: readonly Item[] | Thenable<readonly Item[]>,
      options?: vscode.QuickPickOptions,
    ) => {
      const title = options?.title ?? '';
      titles.push(title);
      return answer(title, await items);
    }) as unknown as typeof window.showQuickPick;
    window.showOpenDialog = () => Promise.resolve([vscode.Uri.file(modelDir)]);

    const id = await vscode.commands.executeCommand<string>('bnpo.launchRun');
    assert.equal(typeof id, 'string');
    assert.equal(titles.length, 6, titles.join(' | '));
    const configs = path.join(workspaceDir(), '.bnpo', 'configs');
    const config = JSON.parse(
      fs.readFileSync(
        path.join(configs, `sorting-${path.basename(modelDir)}-grpo-quick.bnporun.json`),
        'utf8',
      ),
    ) as { model: unknown; backend: unknown };
    assert.deepEqual(config.model, { path: modelDir });

    const runDir = path.join(workspaceDir(), '.bnpo', 'runs', id);
    const info = await until(
      'the run to finish',
      () => {
        const read = RunInfoSchema.safeParse(
          JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')),
        );
        if (!read.success || read.data.status === 'running') return undefined;
        return read.data;
      },
      540_000,
    );
    assert.equal(info.status, 'completed', info.error?.message);
    assert.equal(info.modelInfo?.path, modelDir);
    assert.equal(info.modelInfo?.architecture, 'llama');
    assert.ok((info.modelInfo?.lora?.rank ?? 0) > 0, 'LoRA by default');

    for (const command of ['bnpo.openDashboard', 'bnpo.openBetaFit', 'bnpo.showSamples']) {
      assert.equal(await vscode.commands.executeCommand(command, id), id, command);
    }
    const data = await vscode.commands.executeCommand<PageData | undefined>('bnpo.runPageData', id);
    assert.ok(data, 'page data of the run');
    const dashboard = HostToDashboardSchema.parse(data.dashboard);
    assert.ok(dashboard.type === 'runs' && dashboard.runs.length === 1);
    const shown = dashboard.runs[0]!;
    assert.equal(shown.metrics.step.length, info.totalSteps);
    assert.match(shown.model ?? '', new RegExp(`^${path.basename(modelDir)} · llama · .* · LoRA r \\d+$`));
    const fit = HostToBetaFitSchema.parse(data.betaFit);
    assert.ok(fit.type === 'run' && fit.steps.length === info.totalSteps, 'a Beta fit per step');
    const samples = HostToSamplesSchema.parse(data.samples);
    assert.ok(samples.type === 'run' && samples.records.length > 0, 'sampled completions');

    const out = path.join(tempDir('hf-export'), 'adapter');
    const exported = await vscode.commands.executeCommand('bnpo.exportModel', id, { format: 'peft', out });
    assert.equal(exported, out);
    const adapter = JSON.parse(fs.readFileSync(path.join(out, 'adapter_config.json'), 'utf8')) as {
      r: number;
    };
    assert.equal(adapter.r, info.modelInfo?.lora?.rank);
    assert.ok(fs.statSync(path.join(out, 'adapter_model.safetensors')).size > 0);
    // bnpo export refuses a folder that is not empty: the command reports it and names no folder.
    const again = await vscode.commands.executeCommand('bnpo.exportModel', id, { format: 'merged', out });
    assert.equal(again, undefined);
    assert.deepEqual(fs.readdirSync(out).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  });

  it('lists the models of the Hugging Face cache (HF_HOME) in the model pick', async () => {
    const home = tempDir('hf-home');
    const snapshot = path.join(home, 'hub', 'models--tiny-org--tiny-llama', 'snapshots', '0123abcd');
    fs.mkdirSync(snapshot, { recursive: true });
    fs.writeFileSync(path.join(snapshot, 'config.json'), '{"model_type":"llama"}');
    const saved = { HF_HOME: process.env['HF_HOME'], HF_HUB_CACHE: process.env['HF_HUB_CACHE'] };
    process.env['HF_HOME'] = home;
    delete process.env['HF_HUB_CACHE'];
    let offered: readonly Item[] = [];
    window.showQuickPick = (async (
      items: readonly Item[] | Thenable<readonly Item[]>,
      options?: vscode.QuickPickOptions,
    ) => {
      const title = options?.title ?? '';
      if (!title.includes('(2/6)')) return answer(title, await items);
      offered = await items;
      return undefined; // cancel here: the first test trained a run already
    }) as unknown as typeof window.showQuickPick;
    try {
      assert.equal(await vscode.commands.executeCommand('bnpo.launchRun'), undefined);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    const cached = offered.find((i) => i.label.includes('tiny-org/tiny-llama'));
    assert.ok(cached, offered.map((i) => i.label).join(', '));
    assert.equal(cached.detail, snapshot);
    assert.ok(offered.some((i) => i.label.includes('Built-in demo model')));
    assert.ok(offered.some((i) => i.label.includes('A model folder')));
  });
});

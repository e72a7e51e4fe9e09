// The Hugging Face cache scanner on a temp cache layout, and the launch configuration a picked model gives.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { compactCount, hfHubDir, modelName, modelSummary, scanHfCache } from '../../src/host/runs/hfCache';
import { configFileFor, configFromPicks } from '../../src/host/runs/launchPlan';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { tempDir } from './modelsFixtures';

function snapshot(hub: string, repo: string, revision: string, withConfig = true): string {
  const dir = path.join(hub, repo, 'snapshots', revision);
  fs.mkdirSync(dir, { recursive: true });
  if (withConfig) fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type":"llama"}');
  return dir;
}

describe('Hugging Face cache', () => {
  it('finds model snapshots with a config.json, refs/main first', () => {
    const hub = path.join(tempDir('hfhome'), 'hub');
    const older = snapshot(hub, 'models--HuggingFaceTB--SmolLM2-135M', 'aaa111');
    const main = snapshot(hub, 'models--HuggingFaceTB--SmolLM2-135M', 'fff999');
    fs.mkdirSync(path.join(hub, 'models--HuggingFaceTB--SmolLM2-135M', 'refs'), { recursive: true });
    fs.writeFileSync(path.join(hub, 'models--HuggingFaceTB--SmolLM2-135M', 'refs', 'main'), 'fff999\n');
    const qwen = snapshot(hub, 'models--Qwen--Qwen2.5-0.5B', 'bbb222');
    snapshot(hub, 'models--org--weights-only', 'ccc333', false);
    snapshot(hub, 'datasets--org--data', 'ddd444');
    fs.mkdirSync(path.join(hub, '.locks'), { recursive: true });
    assert.deepEqual(scanHfCache(hub), [
      { id: 'HuggingFaceTB/SmolLM2-135M', revision: 'fff999', dir: main },
      { id: 'HuggingFaceTB/SmolLM2-135M', revision: 'aaa111', dir: older },
      { id: 'Qwen/Qwen2.5-0.5B', revision: 'bbb222', dir: qwen },
    ]);
    assert.deepEqual(scanHfCache(path.join(hub, 'missing')), []);
    assert.equal(modelName(qwen), 'Qwen/Qwen2.5-0.5B');
    assert.equal(modelName('/models/tiny-llama/'), 'tiny-llama');
  });

  it('names a run model in one line', () => {
    assert.deepEqual([999, 1234, 135_000_000, 7_615_616_512].map(compactCount), [
      '999',
      '1.2k',
      '135M',
      '7.6B',
    ]);
    const lora = { rank: 8, alpha: 16, dropout: 0, targetModules: ['q_proj'] };
    const hf = {
      path: '/m/tiny-llama',
      architecture: 'llama',
      parameters: 134_515_008,
      trainableParameters: 1,
      configSha256: 'a',
      lora,
    };
    assert.equal(modelSummary(hf), 'tiny-llama · llama · 135M parameters · LoRA r 8');
    assert.equal(
      modelSummary({ ...hf, path: null, architecture: 'builtin', parameters: 52_000, lora: null }),
      'builtin · 52k parameters · every weight trained',
    );
  });

  it('looks where the hub library does', () => {
    assert.equal(hfHubDir({ HF_HUB_CACHE: '/c/hub2', HF_HOME: '/h' }), '/c/hub2');
    assert.equal(hfHubDir({ HF_HOME: '/h' }), path.join('/h', 'hub'));
    assert.equal(hfHubDir({ XDG_CACHE_HOME: '/x' }), path.join('/x', 'huggingface', 'hub'));
  });

  it('puts a picked model into the launched configuration with LoRA by default', () => {
    const picks = {
      source: { task: 'sorting' as const },
      rules: undefined,
      estimator: 'bnpo' as const,
      backend: 'cpu' as const,
      size: 'quick' as const,
      model: '/hf/hub/models--Qwen--Qwen2.5-0.5B/snapshots/bbb222',
    };
    const config = RunConfigSchema.parse(configFromPicks(picks));
    assert.equal(config.model.path, picks.model);
    assert.equal(config.model.fullFineTune, undefined);
    assert.equal(config.model.lora, undefined, 'no lora block: the trainer applies its LoRA default');
    assert.equal(
      configFileFor('/w/.bnpo/configs', picks),
      '/w/.bnpo/configs/sorting-Qwen_Qwen2.5-0.5B-bnpo-quick.bnporun.json',
    );
    const builtin = RunConfigSchema.parse(configFromPicks({ ...picks, model: undefined }));
    assert.equal(builtin.model.path, undefined);
  });
});

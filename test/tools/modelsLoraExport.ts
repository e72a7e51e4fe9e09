// For the python tier: `node out/test/tools/modelsLoraExport.js BASE_DIR OUT_DIR PROMPT_IDS` trains a LoRA adapter
// for 3 policy-gradient steps on the base model's own samples (group-normalised rewards: a completion's share of
// even token ids), exports it as a PEFT adapter (OUT/adapter) and a merged folder (OUT/merged), and writes our
// logits for PROMPT_IDS with the adapter to OUT/logits.json, for peft and transformers to reproduce.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { exportMerged, exportPeftAdapter } from '../../src/models/export';
import { loadModel } from '../../src/models/load';
import { DEFAULT_LORA, Lora } from '../../src/models/lora';
import { generate } from '../../src/models/sampling';
import { policyGradientStep } from '../../src/models/train';
import { selectBackend } from '../../src/trainer/backend';
import { lossAggregationFor } from '../../src/trainer/losses';
import { AdamW } from '../../src/trainer/optimizer';
import { Rng } from '../../src/trainer/rng';
import { registerGradientsForTests } from '../unit/trainerSetup';

function groupAdvantages(rewards: number[]): number[] {
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  const sd = Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / rewards.length);
  return rewards.map((r) => (r - mean) / (sd + 1e-6));
}

async function main(): Promise<void> {
  const [baseDir, outDir, promptArg] = process.argv.slice(2);
  if (baseDir === undefined || outDir === undefined || promptArg === undefined) {
    throw new Error('usage: modelsLoraExport BASE_DIR OUT_DIR PROMPT_IDS');
  }
  registerGradientsForTests();
  await selectBackend('wasm');
  const { model, folder } = await loadModel(baseDir);
  const rng = new Rng(4);
  const lora = new Lora(model, { ...DEFAULT_LORA, rank: 4, alpha: 8, dropout: 0.05 }, rng);
  const optimizer = new AdamW(lora.params);
  const prompts = [
    [5, 6, 7],
    [5, 6, 7],
    [5, 6, 7],
    [5, 6, 7],
    [9, 10],
    [9, 10],
    [9, 10],
    [9, 10],
  ];
  for (let step = 0; step < 3; step++) {
    const rollout = await generate(model, prompts, {
      temperature: 1,
      topP: 1,
      maxNew: 6,
      eosIds: folder.eosIds,
      rng,
    });
    const rewards = rollout.tokens.map((t) => t.filter((id) => id % 2 === 0).length / Math.max(1, t.length));
    const advantages = [...groupAdvantages(rewards.slice(0, 4)), ...groupAdvantages(rewards.slice(4))];
    const clip = { low: 0.2, high: 0.28, dual: 10 };
    const batch = { prompts, completions: rollout.tokens, oldLogProbs: rollout.logProbs, advantages };
    const r = await policyGradientStep(model, lora.params, optimizer, batch, {
      lr: 5e-2,
      clip,
      temperature: 1,
      aggregation: lossAggregationFor('bnpo', 6),
      gradClip: 1,
    });
    process.stderr.write(`step ${step + 1}: loss ${r.loss.toFixed(4)} grad norm ${r.gradNorm.toFixed(4)}\n`);
  }
  await exportPeftAdapter(lora, folder, path.join(outDir, 'adapter'));
  await exportMerged(model, lora, folder, path.join(outDir, 'merged'));
  const ids = promptArg.split(',').map(Number);
  const logits = tf.tidy(() =>
    model.run({ ids: [ids], positions: [ids.map((_, i) => i)], keyMask: [ids.map(() => 1)] }),
  );
  fs.writeFileSync(path.join(outDir, 'logits.json'), JSON.stringify(await logits.array()));
  logits.dispose();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

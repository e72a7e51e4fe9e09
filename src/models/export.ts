// Exports in Hugging Face formats: a PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors with PEFT's
// key names and [r, in] / [out, r] layouts) that peft loads onto the base model, and a merged model folder
// (W + (alpha/r)·B·A folded in, float32 safetensors, the base config and tokenizer files) that transformers loads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelFolder } from './folder';
import type { CausalLM } from './llama';
import { type Lora, peftKey } from './lora';
import { type NamedTensor, writeSafetensors } from './safetensors';

/** Files of a model folder that describe the tokenizer and generation; copied unchanged into a merged export. */
const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'generation_config.json',
];

async function transposed(v: tf.Tensor): Promise<NamedTensor> {
  const t = tf.transpose(v);
  const values = (await t.data()) as Float32Array;
  const shape = [...t.shape];
  t.dispose();
  return { shape, values };
}

export async function exportPeftAdapter(lora: Lora, base: ModelFolder, outDir: string): Promise<void> {
  fs.mkdirSync(outDir, { recursive: true });
  const tensors = new Map<string, NamedTensor>();
  for (const module of lora.modules) {
    for (const factor of ['A', 'B'] as const) {
      const key = peftKey(module, factor);
      tensors.set(key, await transposed(lora.params.get(key)!));
    }
  }
  writeSafetensors(path.join(outDir, 'adapter_model.safetensors'), tensors);
  const { rank, alpha, dropout, targetModules } = lora.settings;
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: base.dir,
    r: rank,
    lora_alpha: alpha,
    lora_dropout: dropout,
    target_modules: [...targetModules],
    bias: 'none',
    fan_in_fan_out: false,
    use_rslora: false,
    use_dora: false,
    inference_mode: true,
    modules_to_save: null,
  };
  fs.writeFileSync(path.join(outDir, 'adapter_config.json'), JSON.stringify(config, null, 2) + '\n');
}

/** The model's weights in Hugging Face layout with the adapter (if any) folded in. */
async function mergedWeights(model: CausalLM, lora: Lora | undefined): Promise<Map<string, NamedTensor>> {
  const weights = await model.hfWeights();
  if (lora === undefined) return weights;
  for (const module of lora.modules) {
    const name = `${module}.weight`;
    const delta = tf.tidy(() =>
      // Ours is [in, out] = A·B; Hugging Face's [out, in] is its transpose.
      tf.transpose(
        tf.mul(
          tf.matMul(lora.params.get(peftKey(module, 'A'))!, lora.params.get(peftKey(module, 'B'))!),
          lora.scale,
        ),
      ),
    );
    const d = (await delta.data()) as Float32Array;
    delta.dispose();
    const w = weights.get(name)!;
    weights.set(name, { shape: w.shape, values: w.values.map((x, i) => x + d[i]!) });
  }
  return weights;
}

export async function exportMerged(
  model: CausalLM,
  lora: Lora | undefined,
  base: ModelFolder,
  outDir: string,
): Promise<void> {
  fs.mkdirSync(outDir, { recursive: true });
  writeSafetensors(path.join(outDir, 'model.safetensors'), await mergedWeights(model, lora));
  // Weights are written in float32, whatever the base stored; say so where transformers looks.
  const config = {
    ...base.rawConfig,
    ...('torch_dtype' in base.rawConfig ? { torch_dtype: 'float32' } : {}),
    dtype: 'float32',
  };
  fs.writeFileSync(path.join(outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  for (const file of TOKENIZER_FILES) {
    const from = path.join(base.dir, file);
    if (fs.existsSync(from)) fs.copyFileSync(from, path.join(outDir, file));
  }
}

import assert from 'node:assert/strict';
import { lossAggregationFor } from '../../src/trainer/losses';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { ChatTemplate } from '../../src/models/chatTemplate';
import { ModelConfigError, parameterCount, parseModelConfig } from '../../src/models/config';
import { ModelFolderError, openModelFolder, readWeights } from '../../src/models/folder';
import { CausalLM } from '../../src/models/llama';
import { loadModel } from '../../src/models/load';
import { Lora } from '../../src/models/lora';
import { backendMemory, preflight } from '../../src/models/preflight';
import { generate } from '../../src/models/sampling';
import { readSafetensors, writeSafetensors } from '../../src/models/safetensors';
import { policyGradientStep } from '../../src/models/train';
import { selectBackend } from '../../src/trainer/backend';
import { AdamW } from '../../src/trainer/optimizer';
import { Rng } from '../../src/trainer/rng';
import { randomWeights, tempDir, tinyConfig, writeTinyModel } from './modelsFixtures';
import { registerGradientsForTests } from './trainerSetup';

const dirs: string[] = [];
function track(dir: string): string {
  dirs.push(dir);
  return dir;
}

before(async () => {
  registerGradientsForTests();
  await selectBackend('cpu');
});
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('model config', () => {
  it('reads Llama 3 rope scaling, Qwen2 biases and Qwen3 q/k norm', () => {
    const llama = parseModelConfig(
      tinyConfig({
        model_type: 'llama',
        tie_word_embeddings: false,
        rope_scaling: {
          rope_type: 'llama3',
          factor: 8,
          low_freq_factor: 1,
          high_freq_factor: 4,
          original_max_position_embeddings: 16,
        },
      }),
    );
    assert.equal(llama.ropeScaling.type, 'llama3');
    assert.equal(llama.qkvBias, false);
    assert.equal(llama.tiedEmbeddings, false);
    const qwen2 = parseModelConfig(tinyConfig());
    assert.equal(qwen2.qkvBias, true);
    assert.equal(qwen2.outputBias, false);
    assert.equal(qwen2.headDim, 4);
    const qwen3 = parseModelConfig(
      tinyConfig({
        model_type: 'qwen3',
        head_dim: 8,
        rope_parameters: { rope_type: 'default', rope_theta: 5e5 },
      }),
    );
    assert.equal(qwen3.qkNorm, true);
    assert.equal(qwen3.headDim, 8);
    assert.equal(qwen3.ropeTheta, 5e5);
  });

  it('refuses what it cannot compute in one line naming the field', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ model_type: 'gpt2' }, /^model_type 'gpt2' is not supported/],
      [
        { rope_scaling: { rope_type: 'yarn', factor: 4 } },
        /^rope_scaling\.rope_type 'yarn' is not supported/,
      ],
      [{ hidden_act: 'gelu' }, /^hidden_act 'gelu'/],
      [{ num_key_value_heads: 3 }, /^num_key_value_heads \(3\)/],
      [{ vocab_size: 'many' }, /^vocab_size:/],
      [{ use_sliding_window: true }, /^use_sliding_window/],
    ];
    for (const [override, pattern] of cases) {
      assert.throws(
        () => parseModelConfig(tinyConfig(override)),
        (err: unknown) =>
          err instanceof ModelConfigError && pattern.test(err.message) && !err.message.includes('\n'),
        JSON.stringify(override),
      );
    }
  });

  it('names the file when a folder is broken', async () => {
    const dir = track(writeTinyModel());
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(tinyConfig({ model_type: 'mamba' })));
    await assert.rejects(openModelFolder(dir), (err: unknown) => {
      return (
        err instanceof ModelFolderError &&
        err.message ===
          `${path.join(dir, 'config.json')}: model_type 'mamba' is not supported (supported: llama, qwen2, qwen3)`
      );
    });
  });
});

describe('safetensors', () => {
  it('round-trips float32 exactly and bfloat16 with round-to-nearest-even', () => {
    const dir = track(tempDir('st'));
    const values = Float32Array.from([1, -2.5, 3.14159, 1e-3, 65504, 1 + 2 ** -8, 1 + 3 * 2 ** -8]);
    const tensors = new Map([['w', { shape: [7], values }]]);
    writeSafetensors(path.join(dir, 'a.safetensors'), tensors);
    assert.deepEqual(readSafetensors(path.join(dir, 'a.safetensors')).get('w')?.values, values);
    writeSafetensors(path.join(dir, 'b.safetensors'), tensors, { format: 'pt' }, 'BF16');
    const bf = readSafetensors(path.join(dir, 'b.safetensors')).get('w')!.values;
    // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: it rounds to the even 1; 1 + 3·2^-8 rounds up to 1 + 2^-6.
    assert.deepEqual([bf[0], bf[1], bf[5], bf[6]], [1, -2.5, 1, 1 + 2 ** -6]);
    assert.ok(Math.abs(bf[2]! - 3.14159) < 0.01);
  });

  it('reads float16 and refuses an unsupported dtype naming the tensor', () => {
    const dir = track(tempDir('st'));
    const write = (dtype: string, bytes: number[]) => {
      const header = JSON.stringify({
        x: { dtype, shape: [bytes.length / 2], data_offsets: [0, bytes.length] },
      });
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(header.length));
      const file = path.join(dir, `${dtype}.safetensors`);
      fs.writeFileSync(file, Buffer.concat([len, Buffer.from(header), Buffer.from(bytes)]));
      return file;
    };
    // 0x3c00 = 1, 0xc000 = -2, 0x0001 = the smallest subnormal.
    const f16 = readSafetensors(write('F16', [0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00])).get('x')!.values;
    assert.deepEqual([...f16], [1, -2, Math.fround(2 ** -24)]);
    assert.throws(() => readSafetensors(write('I16', [0, 0])), /tensor 'x' has dtype I16/);
  });

  it('loads sharded weights through model.safetensors.index.json', () => {
    const dir = track(tempDir('shards'));
    const config = tinyConfig();
    const weights = randomWeights(config, 3);
    const names = [...weights.keys()];
    const half = Math.floor(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(
        path.join(dir, file),
        new Map(shard.map((n) => [n, weights.get(n)!])),
        { format: 'pt' },
        'BF16',
      );
      for (const n of shard) weightMap[n] = file;
    });
    fs.writeFileSync(
      path.join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: weightMap }),
    );
    const loaded = readWeights(dir);
    assert.deepEqual([...loaded.keys()].sort(), [...names].sort());
    const v = loaded.get(names[0]!)!.values;
    assert.ok(Math.abs(v[0]! - weights.get(names[0]!)!.values[0]!) < 1e-2);
  });
});

describe('CausalLM', () => {
  it('gives each row of a left-padded batch the logits it has alone', async () => {
    const config = parseModelConfig(tinyConfig({ model_type: 'qwen3', head_dim: 8 }));
    const model = new CausalLM(config, randomWeights(tinyConfig({ model_type: 'qwen3', head_dim: 8 }), 5));
    const alone = tf.tidy(() =>
      model.run({ ids: [[5, 6, 7]], positions: [[0, 1, 2]], keyMask: [[1, 1, 1]] }),
    );
    const padded = tf.tidy(() =>
      model.run({
        ids: [
          [0, 0, 5, 6, 7],
          [9, 8, 7, 6, 5],
        ],
        positions: [
          [0, 0, 0, 1, 2],
          [0, 1, 2, 3, 4],
        ],
        keyMask: [
          [0, 0, 1, 1, 1],
          [1, 1, 1, 1, 1],
        ],
      }),
    );
    const a = await alone.array();
    const p = await padded.array();
    for (let t = 0; t < 3; t++) {
      a[t]!.forEach((v, j) => assert.ok(Math.abs(v - p[t + 2]![j]!) < 1e-5, `position ${t} logit ${j}`));
    }
    tf.dispose([alone, padded]);
    model.dispose();
  });

  it('keeps the tied output projection equal to the embedding after the embedding is assigned', async () => {
    const raw = tinyConfig();
    const config = parseModelConfig(raw);
    const input = { ids: [[5, 6, 7]], positions: [[0, 1, 2]], keyMask: [[1, 1, 1]] };
    const model = new CausalLM(config, randomWeights(raw, 5));
    const reference = new CausalLM(config, randomWeights(raw, 6));
    const first = tf.tidy(() => model.run(input));
    // A checkpoint loaded into a frozen model: the embedding gets the other model's values.
    const table = model.params.get('model.embed_tokens.weight')!;
    table.assign(reference.params.get('model.embed_tokens.weight')!);
    for (const [name, v] of reference.params)
      if (name !== 'model.embed_tokens.weight') model.params.get(name)!.assign(v);
    const [after, expected] = tf.tidy(() => [model.run(input), reference.run(input)]);
    const a = (await after.data()) as Float32Array;
    const e = (await expected.data()) as Float32Array;
    const f = (await first.data()) as Float32Array;
    assert.ok(
      f.some((v, i) => Math.abs(v - e[i]!) > 1e-3),
      'the two models must differ to begin with',
    );
    a.forEach((v, i) => assert.ok(Math.abs(v - e[i]!) < 1e-5, `logit ${i}: ${v} vs ${e[i]}`));
    tf.dispose([first, after, expected]);
    model.dispose();
    reference.dispose();
  });

  it('spends no product or transpose of the vocabulary’s size on a frozen tied head in the backward', async () => {
    const raw = tinyConfig();
    const config = parseModelConfig(raw);
    const input = { ids: [[5, 6, 7]], positions: [[0, 1, 2]], keyMask: [[1, 1, 1]] };
    const weights = { hidden: Number(raw.hidden_size), vocab: Number(raw.vocab_size) };
    const headSized = (shape: number[]): boolean =>
      shape.length === 2 &&
      [shape[0], shape[1]].sort().join() === [weights.hidden, weights.vocab].sort().join();
    const probe = tf.randomNormal([weights.vocab], 0, 1, 'float32', 3);
    const backward = async (model: CausalLM) => {
      const norm = model.params.get('model.norm.weight')!;
      norm.trainable = true;
      tf.tidy(() => model.run(input)).dispose(); // the frozen head is transposed here, once
      let grad: tf.Tensor | undefined;
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.run(input), probe)), [norm]);
        value.dispose();
        grad = grads[norm.name];
        return grad!;
      });
      const values = (await grad!.data()) as Float32Array;
      grad!.dispose();
      // Identity (a variable read or a custom gradient's pass-through) copies nothing and computes nothing
      const compute = info.kernels.filter((k) => k.name !== 'Identity');
      return { values, headSized: compute.filter((k) => k.outputShapes.some((s) => headSized(s))) };
    };
    const frozen = new CausalLM(config, randomWeights(raw, 5));
    frozen.params.get('model.embed_tokens.weight')!.trainable = false;
    const trained = new CausalLM(config, randomWeights(raw, 5));
    trained.params.get('model.embed_tokens.weight')!.trainable = true;
    const f = await backward(frozen);
    const t = await backward(trained);
    assert.ok(t.headSized.length > 0, 'a trained head has its weight gradient (the check can see one)');
    assert.deepEqual(
      f.headSized.map((k) => k.name),
      [],
      'no kernel of the frozen backward makes a [hidden, vocab] tensor',
    );
    f.values.forEach((v, i) => assert.ok(Math.abs(v - t.values[i]!) < 1e-5, `norm gradient ${i}`));
    probe.dispose();
    frozen.dispose();
    trained.dispose();
  });

  it('samples with the KV cache exactly what full recomputation gives (greedy), and stops at eos', async () => {
    const dir = track(writeTinyModel({ model_type: 'llama', tie_word_embeddings: false }, 7));
    const { model, folder } = await loadModel(dir);
    assert.deepEqual(folder.eosIds, [1]);
    const prompts = [
      [3, 4, 5, 6],
      [7, 8],
    ];
    const cached = await generate(model, prompts, {
      temperature: 0,
      topP: 1,
      maxNew: 12,
      eosIds: [],
      rng: new Rng(0),
    });
    for (const [r, prompt] of prompts.entries()) {
      const seq = [...prompt];
      for (let t = 0; t < 12; t++) {
        const logits = tf.tidy(() =>
          model.run(
            { ids: [seq], positions: [seq.map((_, i) => i)], keyMask: [seq.map(() => 1)] },
            { lastOnly: true },
          ),
        );
        seq.push((await tf.argMax(logits, -1).data())[0]!);
        logits.dispose();
      }
      assert.deepEqual(cached.tokens[r], seq.slice(prompt.length), `row ${r}`);
    }
    const firstToken = cached.tokens[0]![0]!;
    const stopped = await generate(model, [prompts[0]!], {
      temperature: 0,
      topP: 1,
      maxNew: 12,
      eosIds: [firstToken],
      rng: new Rng(0),
    });
    assert.deepEqual(stopped.tokens[0], [firstToken]);
    model.dispose();
  });
});

describe('chat template', () => {
  it('renders messages with the special tokens and the generation prompt', async () => {
    const source =
      "{{ bos_token }}{% for m in messages %}<{{ m['role'] }}>{{ m['content'] | trim }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";
    const template = await ChatTemplate.parse(source, { bos_token: '<s>', eos_token: '</s>' });
    assert.equal(template.render([{ role: 'user', content: ' hi ' }]), '<s><user>hi</s><assistant>');
    assert.equal(
      template.render([{ role: 'user', content: 'hi' }], { addGenerationPrompt: false }),
      '<s><user>hi</s>',
    );
  });
});

describe('training', () => {
  async function train(kind: 'lora' | 'full') {
    const dir = track(writeTinyModel({}, 11));
    const { model } = await loadModel(dir, { trainable: kind === 'full' });
    const lora =
      kind === 'lora'
        ? new Lora(
            model,
            {
              rank: 4,
              alpha: 8,
              dropout: 0.1,
              targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
            },
            new Rng(2),
          )
        : undefined;
    const trainable = lora?.params ?? model.params;
    const before = new Map([...trainable].map(([n, v]) => [n, v.dataSync().slice()]));
    const baseBefore = model.params.get('model.layers.0.self_attn.q_proj.weight')!.dataSync().slice();
    const prompts = [
      [3, 4, 5],
      [3, 4, 5],
      [6, 7],
      [6, 7],
    ];
    const completions = [
      [8, 9, 1],
      [10, 11, 1],
      [12, 1],
      [13, 14, 1],
    ];
    const advantages = [1, -1, 1, -1];
    const optimizer = new AdamW(trainable, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
    const losses: number[] = [];
    for (let step = 0; step < 6; step++) {
      // Old log-probs of 0 make the ratio π(completion token) itself and the clip is wide: the loss is −Σ A·π,
      // which falls only while the update raises the good completions and lowers the bad ones.
      const r = await policyGradientStep(
        model,
        trainable,
        optimizer,
        { prompts, completions, oldLogProbs: completions.map((c) => c.map(() => 0)), advantages },
        {
          lr: 3e-2,
          clip: { low: 10, high: 10, dual: 100 },
          temperature: 1,
          gradClip: 1,
          aggregation: lossAggregationFor('bnpo', 8),
        },
      );
      assert.equal(r.skipped, false);
      losses.push(r.loss);
    }
    return { model, lora, trainable, before, baseBefore, losses, optimizer };
  }

  it('LoRA: the loss falls, every LoRA factor moves, the base weights do not', async () => {
    const { model, lora, trainable, before, baseBefore, losses, optimizer } = await train('lora');
    assert.ok(losses.at(-1)! < losses[0]! - 0.1, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    assert.equal(trainable.size, 2 * 7 * 2);
    for (const [name, v] of trainable) {
      const moved = v.dataSync().some((x, i) => x !== before.get(name)![i]);
      assert.ok(moved, `${name} did not move`);
    }
    assert.deepEqual(model.params.get('model.layers.0.self_attn.q_proj.weight')!.dataSync(), baseBefore);
    optimizer.dispose();
    lora!.dispose();
    model.dispose();
  });

  it('full fine-tuning: the loss falls and the base weights move', async () => {
    const { model, losses, baseBefore, optimizer } = await train('full');
    assert.ok(losses.at(-1)! < losses[0]! - 0.1, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    assert.notDeepEqual(model.params.get('model.layers.0.self_attn.q_proj.weight')!.dataSync(), baseBefore);
    optimizer.dispose();
    model.dispose();
  });
});

describe('memory pre-flight', () => {
  const sevenB = parseModelConfig({
    model_type: 'llama',
    vocab_size: 32000,
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 32,
    max_position_embeddings: 4096,
  });
  const smol = parseModelConfig({
    model_type: 'llama',
    vocab_size: 49152,
    hidden_size: 576,
    intermediate_size: 1536,
    num_hidden_layers: 30,
    num_attention_heads: 9,
    num_key_value_heads: 3,
    tie_word_embeddings: true,
  });
  const wasm = backendMemory('wasm');

  it('refuses a 7B-shaped model on wasm in one line, from the config alone', () => {
    assert.ok(Math.abs(parameterCount(sevenB) - 6.74e9) < 0.01e9, `${parameterCount(sevenB)}`);
    const message = preflight(sevenB, { mode: 'lora', rows: 8, tokens: 256 }, wasm);
    assert.ok(message !== undefined);
    assert.match(
      message,
      /needs about \d+\.\d GiB \(weights 25\.1 GiB.*more than the wasm backend offers \(4\.0 GiB\)/,
    );
    assert.match(message, /weights alone do not fit: use another backend/);
    assert.ok(!message.includes('\n'));
  });

  it('lets a SmolLM2-135M-shaped LoRA step through and says what to change when the batch is too big', () => {
    assert.equal(preflight(smol, { mode: 'lora', rows: 8, tokens: 128 }, wasm), undefined);
    const tooBig = preflight(smol, { mode: 'full', rows: 16, tokens: 512 }, wasm);
    assert.ok(tooBig !== undefined);
    assert.match(tooBig, /^a full training step at 16 × 512 tokens needs about/);
    assert.match(
      tooBig,
      /use LoRA instead of full fine-tuning, or fewer completions per step \(G\) or gradient accumulation/,
    );
  });

  it("refuses a tensor larger than the GPU adapter's biggest buffer", () => {
    const qwen = parseModelConfig({
      ...tinyConfig(),
      vocab_size: 151936,
      hidden_size: 896,
      num_attention_heads: 14,
      num_key_value_heads: 2,
    });
    const gpu = backendMemory('webgpu', {
      maxBufferSize: 256 * 2 ** 20,
      maxStorageBufferBindingSize: 128 * 2 ** 20,
    });
    const message = preflight(qwen, { mode: 'inference', rows: 1, tokens: 64 }, gpu);
    assert.match(
      message ?? '',
      /^the embedding table \(151936 × 896\) needs 0\.51 GiB in one buffer, more than the webgpu backend's largest \(0\.13 GiB\)/,
    );
  });
});

// The trainer on a Hugging Face model folder: a real run (LoRA), what run.json and the checkpoints record, resume,
// the memory pre-flight's refusal before a run folder exists, the PPO loss falling over updates, and gradient
// accumulation giving the unaccumulated gradient.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
// The module object itself (not a namespace copy), so a stubbed method is what every importer calls.
import fsModule from 'node:fs';
import * as path from 'node:path';
import { before, describe, it, mock } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { run as evalRun } from '../../src/cli/eval';
import { run as exportRun } from '../../src/cli/export';
import { openRunModel } from '../../src/cli/runModel';
import { loadModel } from '../../src/models/load';
import { readSafetensors } from '../../src/models/safetensors';
import { Lora } from '../../src/models/lora';
import { builtinLlamaFolder, builtinModelsDir } from '../../src/models/builtinFolder';
import { openModelFolder } from '../../src/models/folder';
import { HfPolicy, HfPromptTokenizer } from '../../src/models/policy';
import { LOSS_AGGREGATIONS } from '../../src/core/estimators';
import { RunConfigSchema, type RunConfigInput } from '../../src/protocol/runConfig';
import { RunInfoSchema } from '../../src/protocol/runDir';
import { listCheckpoints, readCheckpoint, readCheckpointMeta } from '../../src/runDir/checkpoints';
import { selectBackend } from '../../src/trainer/backend';
import { accumulatedGradients, gradientStep } from '../../src/trainer/gradient';
import { AdamW } from '../../src/trainer/optimizer';
import { ppoParts } from '../../src/trainer/rlStep';
import { Rng } from '../../src/trainer/rng';
import { BUILTIN_ALPHABET, CharTokenizer } from '../../src/trainer/tokenizer';
import { ConfigError, train } from '../../src/trainer/trainer';
import { tempDir, writeTinyCharModel } from './modelsFixtures';
import { registerGradientsForTests } from './trainerSetup';

/** A reward a random model earns about half the time, so groups have something to tell apart. */
function letterRule(): string {
  const file = path.join(tempDir('hf-rules'), 'letters.rewards.json');
  const rule = { name: 'letter', kind: 'regex', pattern: '[a-m]' };
  fs.writeFileSync(file, JSON.stringify({ rules: [rule] }));
  return file;
}

function hfConfig(modelDir: string, extra: RunConfigInput = {}): RunConfigInput {
  return {
    task: 'sorting',
    digits: 3,
    rules: letterRule(),
    steps: 3,
    promptsPerStep: 3,
    groupSize: 4,
    lr: 2e-2,
    warmupSteps: 0,
    model: { path: modelDir, lora: { rank: 4, alpha: 8 } },
    sft: { maxSteps: 0 },
    eval: { every: 100, size: 4, temperature: 0 },
    checkpointEvery: 1,
    seed: 3,
    backend: 'wasm',
    ...extra,
  };
}

async function trainIn(runsDir: string, input: RunConfigInput): ReturnType<typeof train> {
  return train({
    config: RunConfigSchema.parse(input),
    configFile: null,
    baseDir: process.cwd(),
    runsDir,
  });
}

async function resumeIn(runsDir: string, runDir: string, steps: number): ReturnType<typeof train> {
  return train({
    config: RunConfigSchema.parse({}),
    configFile: null,
    baseDir: process.cwd(),
    runsDir,
    resumeDir: runDir,
    resume: { steps },
  });
}

function onlyRun(runsDir: string): string {
  const runs = fs.readdirSync(runsDir);
  assert.equal(runs.length, 1);
  return path.join(runsDir, runs[0]!);
}

function checkpointWeights(runDir: string, step: number): Map<string, Float32Array> {
  const ref = listCheckpoints(runDir).find((c) => c.step === step);
  assert.ok(ref, `checkpoint of step ${step}`);
  const meta = readCheckpointMeta(ref.dir);
  const sizes = meta.weights.map((w) => w.shape.reduce((a, b) => a * b, 1));
  const data = readCheckpoint(ref.dir, sizes);
  return new Map(meta.weights.map((w, i) => [w.name, data.weights[i]!]));
}

let modelDir: string;
before(async () => {
  registerGradientsForTests();
  await selectBackend('wasm');
  modelDir = writeTinyCharModel(BUILTIN_ALPHABET);
});

describe('bnpo train on a Hugging Face model folder', () => {
  it('trains LoRA adapters for 3 steps: every factor moves, run.json names the model', async () => {
    const runs = tempDir('hf-runs');
    const result = await trainIn(runs, hfConfig(modelDir));
    assert.equal(result.status, 'completed', result.error ?? '');
    const runDir = onlyRun(runs);
    const info = RunInfoSchema.parse(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
    assert.equal(info.modelInfo?.path, modelDir);
    assert.equal(info.modelInfo?.architecture, 'llama');
    assert.match(info.modelInfo?.configSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(info.modelInfo?.lora, {
      rank: 4,
      alpha: 8,
      dropout: 0,
      targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    });
    const before = checkpointWeights(runDir, 0);
    const after = checkpointWeights(runDir, 3);
    // 2 layers × 7 projections × (A, B), with PEFT's key names.
    assert.equal(after.size, 28);
    assert.ok([...after.keys()].every((k) => /^base_model\.model\..*\.lora_[AB]\.weight$/.test(k)));
    const trainable = [...after.values()].reduce((n, w) => n + w.length, 0);
    assert.equal(info.modelInfo?.trainableParameters, trainable);
    for (const [name, w] of after) {
      const w0 = before.get(name)!;
      const moved = w.reduce((m, x, i) => Math.max(m, Math.abs(x - w0[i]!)), 0);
      assert.ok(moved > 1e-6, `${name} moved by ${moved}`);
    }
    const metrics = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(metrics.length, 3);
  });

  it('exports any checkpoint as a PEFT adapter and as a merged folder that computes the same logits', async () => {
    const runs = tempDir('hf-export');
    const result = await trainIn(runs, hfConfig(modelDir, { steps: 2 }));
    assert.equal(result.status, 'completed', result.error ?? '');
    const runDir = onlyRun(runs);
    const out = tempDir('hf-exported');
    const adapter = path.join(out, 'adapter');
    const merged = path.join(out, 'merged');
    assert.equal(await exportRun([runDir, '--step', '1', '--format', 'peft', '--out', adapter]), 0);
    assert.equal(await exportRun([runDir, '--format', 'merged', '--out', merged, '--backend', 'wasm']), 0);
    const config = JSON.parse(fs.readFileSync(path.join(adapter, 'adapter_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(config['r'], 4);
    assert.equal(config['lora_alpha'], 8);
    const tensors = readSafetensors(path.join(adapter, 'adapter_model.safetensors'));
    const a = tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!;
    // PEFT's layouts: A is [r, in], B is [out, r].
    assert.deepEqual(a.shape, [4, 16]);
    const step1 = checkpointWeights(runDir, 1).get(
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
    )!;
    assert.equal(
      a.values[1],
      step1[4],
      'A[0][1] of PEFT is our A[1][0] (rank 4): the step-1 checkpoint was exported',
    );
    // The merged folder, loaded as a plain model, computes what the run's model computes with its adapters.
    const ids = [3, 4, 12, 5, 9];
    const input = { ids: [ids], positions: [ids.map((_, i) => i)], keyMask: [ids.map(() => 1)] };
    const fromRun = (await openRunModel(runDir, undefined)).load();
    const { model: plain } = await loadModel(merged);
    const ours = tf.tidy(() => fromRun.model.run(input).dataSync());
    const theirs = tf.tidy(() => plain.run(input).dataSync());
    const scale = Math.max(...ours.map(Math.abs));
    ours.forEach((v, i) =>
      assert.ok(Math.abs(v - theirs[i]!) <= 1e-4 * scale, `logit ${i}: ${v} vs ${theirs[i]}`),
    );
    fromRun.lora?.dispose();
    fromRun.model.dispose();
    plain.dispose();
    await assert.rejects(
      exportRun([runDir, '--format', 'peft', '--out', adapter]),
      /exists and is not empty/,
    );
    // bnpo eval reads the same checkpoint through the run's policy.
    assert.equal(await evalRun([runDir, '--size', '2', '--backend', 'wasm']), 0);
  });

  it('resumes from a checkpoint of adapters and extends the run', async () => {
    const runs = tempDir('hf-resume');
    const first = await trainIn(runs, hfConfig(modelDir, { steps: 2 }));
    assert.equal(first.status, 'completed', first.error ?? '');
    const runDir = onlyRun(runs);
    const resumed = await resumeIn(runs, runDir, 3);
    assert.equal(resumed.status, 'completed', resumed.error ?? '');
    assert.equal(resumed.steps, 3);
  });

  it('refuses to resume on a model folder whose config.json changed', async () => {
    const dir = writeTinyCharModel(BUILTIN_ALPHABET);
    const runs = tempDir('hf-changed');
    const first = await trainIn(runs, hfConfig(dir, { steps: 1 }));
    assert.equal(first.status, 'completed', first.error ?? '');
    const file = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...config, rms_norm_eps: 1e-5 }));
    await assert.rejects(resumeIn(runs, onlyRun(runs), 2), /config\.json changed since the run started/);
  });

  it('refuses a 7B-shaped model on wasm in one line, before reading weights or making a run folder', async () => {
    const dir = writeTinyCharModel(BUILTIN_ALPHABET);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    Object.assign(config, {
      hidden_size: 4096,
      intermediate_size: 11008,
      num_hidden_layers: 32,
      num_attention_heads: 32,
      num_key_value_heads: 32,
    });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    // Weights that do not match the config: reading them would fail differently.
    fs.writeFileSync(path.join(dir, 'model.safetensors'), 'not read');
    const runs = tempDir('hf-refused');
    await assert.rejects(trainIn(runs, hfConfig(dir)), (err: Error) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.doesNotMatch(err.message, /\n/);
      assert.match(err.message, /model\.path .*wasm backend/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(runs), []);
  });

  it('bnpo train --model names a folder it cannot use in one line, with no stack and no run folder', () => {
    const runs = tempDir('hf-cli');
    const missing = path.join(runs, 'no-such-model');
    const cli = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
    const out = spawnSync(
      process.execPath,
      [cli, 'train', '--model', missing, '--out', runs, '--backend', 'wasm'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(out.status, 2, out.stderr);
    assert.equal(out.stderr.trim(), `bnpo train: ${missing}: not a folder`);
    assert.deepEqual(fs.readdirSync(runs), []);
  });

  it('names an unsupported architecture in one line before a run folder exists', async () => {
    const dir = writeTinyCharModel(BUILTIN_ALPHABET);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'gpt2' }));
    const runs = tempDir('hf-arch');
    await assert.rejects(trainIn(runs, hfConfig(dir)), /config\.json: model_type 'gpt2' is not supported/);
    assert.deepEqual(fs.readdirSync(runs), []);
  });
});

describe('the built-in model as a Llama folder (model.architecture: llama)', () => {
  const dims = { vocab: 0, context: 24, dModel: 16, layers: 1, heads: 2, mlpRatio: 2, tiedOutput: true };
  const design = { ropeTheta: 1e4, intermediateSize: 32 };

  it('is made once per content in the cache, and its tokenizer.json encodes as the character tokenizer', async () => {
    process.env['XDG_CACHE_HOME'] = tempDir('hf-cache');
    const chars = CharTokenizer.fromAlphabet(BUILTIN_ALPHABET);
    const dir = builtinLlamaFolder(dims, design, chars.vocab, 5);
    assert.ok(dir.startsWith(builtinModelsDir()));
    assert.equal(builtinLlamaFolder(dims, design, chars.vocab, 5), dir);
    assert.notEqual(builtinLlamaFolder(dims, design, chars.vocab, 6), dir);
    const wider = builtinLlamaFolder(dims, { ropeTheta: 1e6, intermediateSize: 21 }, chars.vocab, 5);
    assert.notEqual(wider, dir);
    assert.equal((await openModelFolder(wider)).config.intermediate, 21);
    assert.equal((await openModelFolder(wider)).config.ropeTheta, 1e6);
    const folder = await openModelFolder(dir);
    assert.equal(folder.config.architecture, 'llama');
    assert.equal(folder.config.intermediate, 32);
    assert.equal(folder.config.vocab, chars.size);
    assert.deepEqual(folder.eosIds, [1]);
    const text = '3,1,2=1,2,3 sort: ab';
    assert.deepEqual(folder.tokenizer!.encode(text), chars.encode(text));
    const tokenizer = new HfPromptTokenizer(folder.tokenizer!, undefined, folder.eosIds);
    assert.deepEqual(tokenizer.encodeTarget('12'), chars.encodeTarget('12'));
    assert.equal(tokenizer.decode([...chars.encode('12'), 1, 5]), '12');
    assert.equal(tokenizer.decode([1]), '', 'a completion that ends at once is empty');
  });

  it('leaves a folder another run made meanwhile in place, since that run may be reading it', () => {
    process.env['XDG_CACHE_HOME'] = tempDir('hf-cache');
    const chars = CharTokenizer.fromAlphabet(BUILTIN_ALPHABET);
    const dir = builtinLlamaFolder(dims, design, chars.vocab, 5);
    const weights = path.join(dir, 'model.safetensors');
    const before = fs.statSync(weights).ino;
    // This run checked before the other's folder appeared: it makes its own, then finds the other's in the way.
    const existsSync = fsModule.existsSync;
    let first = true;
    mock.method(fsModule, 'existsSync', (p: fs.PathLike) => {
      if (first && p === weights) {
        first = false;
        return false;
      }
      return existsSync(p);
    });
    try {
      assert.equal(builtinLlamaFolder(dims, design, chars.vocab, 5), dir);
    } finally {
      mock.restoreAll();
    }
    assert.equal(first, false, 'the second call saw no folder at first');
    assert.equal(fs.statSync(weights).ino, before, 'the complete folder was not replaced');
    assert.deepEqual(
      fs.readdirSync(builtinModelsDir()).filter((n) => n.includes('.partial-')),
      [],
      'its own copy was removed',
    );
  });

  it('trains every weight through the model-folder path and records it in run.json', async () => {
    process.env['XDG_CACHE_HOME'] = tempDir('hf-cache');
    const runs = tempDir('llama-runs');
    const result = await trainIn(runs, {
      task: 'sorting',
      digits: 3,
      steps: 2,
      promptsPerStep: 2,
      groupSize: 3,
      model: { dModel: 16, layers: 1, heads: 2, mlpRatio: 2, architecture: 'llama' },
      sft: { maxSteps: 3, batchSize: 4, evalEvery: 3, targetAccuracy: 0.9 },
      eval: { every: 100, size: 4 },
      backend: 'wasm',
    });
    assert.equal(result.status, 'completed', result.error ?? '');
    const runDir = onlyRun(runs);
    const info = RunInfoSchema.parse(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
    assert.equal(info.modelInfo?.architecture, 'llama');
    assert.equal(info.modelInfo?.lora, null);
    // The design's defaults are recorded, so a resume rebuilds this very folder.
    assert.equal(info.config.model.ropeTheta, 1e6);
    assert.equal(info.config.model.intermediateSize, 21);
    const made = await openModelFolder(info.modelInfo?.path ?? '');
    assert.equal(made.config.intermediate, 21);
    assert.ok(info.modelInfo?.path?.startsWith(builtinModelsDir()));
    assert.ok(checkpointWeights(runDir, 2).has('model.embed_tokens.weight'));
    const out = path.join(tempDir('llama-export'), 'adapter');
    await assert.rejects(
      exportRun([runDir, '--format', 'peft', '--out', out]),
      /not LoRA adapters: use --format merged/,
    );
    // The GPT-style built-in model has no Hugging Face form.
    const gptRuns = tempDir('gpt-runs');
    const gpt = await trainIn(gptRuns, {
      task: 'sorting',
      digits: 3,
      steps: 0,
      sft: { maxSteps: 0 },
      eval: { size: 2 },
    });
    assert.equal(gpt.status, 'completed', gpt.error ?? '');
    await assert.rejects(
      exportRun([onlyRun(gptRuns), '--format', 'merged', '--out', out]),
      /no Hugging Face form/,
    );
  });
});

describe('policy updates on a Hugging Face model', () => {
  // A fixed batch: 2 prompts × 3 completions, sampled once from the base model, with group advantages.
  async function fixedBatch(policy: HfPolicy) {
    const prompts = [
      [3, 4, 12, 5],
      [3, 4, 12, 5],
      [3, 4, 12, 5],
      [6, 7],
      [6, 7],
      [6, 7],
    ];
    const rollout = await policy.sample(prompts, { temperature: 1, topP: 1, maxNew: 5, rng: new Rng(9) });
    return { prompts, rollout, advantages: [1, -0.5, -0.5, 0.8, 0.2, -1] };
  }

  it('3 BNPO updates with LoRA lower the PPO loss of the batch each time', async () => {
    const { model } = await loadModel(modelDir);
    const lora = new Lora(
      model,
      { rank: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'up_proj'] },
      new Rng(2),
    );
    const policy = new HfPolicy(model, lora, [1]);
    const { prompts, rollout, advantages } = await fixedBatch(policy);
    const config = RunConfigSchema.parse({ estimator: 'bnpo', temperature: 1 });
    const optimizer = new AdamW(policy.params);
    const losses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { parts } = ppoParts({ policy, config, maxNew: 5 }, prompts, rollout, advantages);
      losses.push((await gradientStep(policy, optimizer, 2e-2, 1, parts)).loss);
    }
    for (let i = 1; i < losses.length; i++)
      assert.ok(losses[i]! < losses[i - 1]!, `loss ${losses.join(' → ')} falls every update`);
    optimizer.dispose();
    policy.dispose();
  });

  for (const mode of LOSS_AGGREGATIONS) {
    it(`gradient accumulation in micro-batches gives the whole batch's gradient (${mode})`, async () => {
      const { model } = await loadModel(modelDir, { trainable: true });
      const policy = new HfPolicy(model, undefined, [1]);
      const { prompts, rollout, advantages } = await fixedBatch(policy);
      const estimator = {
        'seq-mean-token-sum': 'bnpo',
        'seq-mean-token-mean': 'grpo',
        'seq-mean-token-sum-norm': 'drgrpo',
        'token-mean': 'reinforcepp',
      }[mode];
      const whole = RunConfigSchema.parse({ estimator });
      const split = RunConfigSchema.parse({ estimator, microBatch: 4 });
      const gradsOf = (config: typeof whole) => {
        const { parts } = ppoParts({ policy, config, maxNew: 5 }, prompts, rollout, advantages);
        return { count: parts.length, ...accumulatedGradients(policy.params, parts) };
      };
      const a = gradsOf(whole);
      const b = gradsOf(split);
      assert.equal(a.count, 1);
      assert.equal(b.count, 2);
      assert.ok(Math.abs(a.value.dataSync()[0]! - b.value.dataSync()[0]!) < 1e-5);
      let largest = 0;
      for (const [name, g] of Object.entries(a.grads)) {
        const x = g.dataSync();
        const y = b.grads[name]!.dataSync();
        let diff = 0;
        x.forEach((v, i) => {
          diff = Math.max(diff, Math.abs(v - y[i]!));
          largest = Math.max(largest, Math.abs(v));
        });
        assert.ok(diff <= 1e-5 + 1e-4 * largest, `${name}: accumulated differs by ${diff}`);
      }
      assert.ok(largest > 1e-3, 'the gradient is not zero, so the comparison means something');
      tf.dispose([a.value, a.extra, b.value, b.extra, ...Object.values(a.grads), ...Object.values(b.grads)]);
      policy.dispose();
    });
  }
});

// `bnpo bench --llama`: a real-model shape. A random Llama of SmolLM2-135M's shape (hidden 576, 30 layers, 9 heads, 3 KV heads,
// intermediate 1536, vocab 49152, tied embeddings), built in-process (nothing from a hub), through src/models
// (CausalLM + Lora) on a tfjs backend: KV-cache sampling tokens/s and one LoRA policy-gradient step (PPO loss, AdamW
// on the factors), and where that step's time goes by op. Side by side, in the same run: transformers'
// LlamaForCausalLM from the same config with peft's LoRA in PyTorch (CPU with 1 and 2 threads, or CUDA), same batch,
// same rank and targets; and each train step's GFLOP/s as a share of this machine's matmul peak (numpy/OpenBLAS, one
// thread and all cores). Figures only, never asserted.
import * as os from 'node:os';
import type { ModelConfig } from '../models/config';
import { parameterCount } from '../models/config';
import { CausalLM, expectedWeights } from '../models/llama';
import { DEFAULT_LORA, Lora } from '../models/lora';
import type { NamedTensor } from '../models/safetensors';
import { generate } from '../models/sampling';
import { policyGradientStep } from '../models/train';
import type { BackendName } from '../protocol/runConfig';
import { selectBackend } from '../trainer/backend';
import type { OpTime } from '../trainer/bench';
import { findPython, formatOps, lastJson, matmulPeaks, opProfile, runCommand } from '../trainer/bench';
import { lossAggregationFor } from '../trainer/losses';
import { AdamW } from '../trainer/optimizer';
import { Rng } from '../trainer/rng';

export const SMOLLM2_135M: ModelConfig = {
  architecture: 'llama',
  vocab: 49152,
  hidden: 576,
  intermediate: 1536,
  layers: 30,
  heads: 9,
  kvHeads: 3,
  headDim: 64,
  rmsEps: 1e-5,
  ropeTheta: 100000,
  ropeScaling: { type: 'default' },
  maxPositions: 8192,
  tiedEmbeddings: true,
  qkvBias: false,
  outputBias: false,
  mlpBias: false,
  qkNorm: false,
};

/**
 * The workload, the same on both sides: rows = prompts × G, all prompts and completions of fixed lengths. Four rows:
 * at eight the LoRA step's activations (tfjs keeps every elementwise intermediate for the backward, about 0.5 MB
 * per token per layer here) pass wasm's 4 GiB heap and the step aborts.
 */
const WORK = { rows: 4, prompt: 16, completion: 16, rank: DEFAULT_LORA.rank, alpha: DEFAULT_LORA.alpha };
const WARMUP = 1;
const STEPS = 2;

/** Random weights (uniform, std 0.02; norms at 1) with a fast generator: the speed does not depend on values. */
function randomWeights(config: ModelConfig): Map<string, NamedTensor> {
  let state = 0x9e3779b9;
  const scale = 0.02 * Math.sqrt(3) * 2 ** -31;
  const out = new Map<string, NamedTensor>();
  for (const [name, shape] of expectedWeights(config)) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('norm.weight')) values.fill(1);
    else {
      for (let i = 0; i < values.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        values[i] = state * scale;
      }
    }
    out.set(name, { shape, values });
  }
  return out;
}

/**
 * Multiply-adds of one LoRA train step over rows × width tokens: the forward, then the backward's input gradients
 * (the frozen weights get none); LoRA's own factors and the attention products over the sequence included.
 */
export function loraStepFlops(c: ModelConfig, rows: number, width: number, rank: number): number {
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const projections = c.hidden * (q + 2 * kv) + q * c.hidden + 3 * c.hidden * c.intermediate;
  const lora = rank * (4 * c.hidden + q + 2 * kv + 2 * c.intermediate + c.hidden + 2 * c.intermediate);
  const attention = 2 * width * q;
  const perToken = c.layers * (projections + attention) + c.hidden * c.vocab;
  // forward (1×) + input gradients (1×) of the frozen products; the LoRA factors get weight gradients too (3×).
  return 2 * rows * width * (2 * perToken + 3 * c.layers * lora);
}

interface TfjsFigures {
  readonly samplingMs: number;
  readonly samplingTokensPerSecond: number;
  readonly stepMs: number;
  readonly loadMs: number;
  /** Kernel time by op of one more (profiled) LoRA step. */
  readonly ops: readonly OpTime[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function tfjsFigures(config: ModelConfig): Promise<TfjsFigures> {
  const t0 = performance.now();
  const model = new CausalLM(config, randomWeights(config));
  const loadMs = performance.now() - t0;
  const rng = new Rng(1);
  const lora = new Lora(model, { ...DEFAULT_LORA, rank: WORK.rank, alpha: WORK.alpha }, rng);
  const optimizer = new AdamW(lora.params);
  const prompts = Array.from({ length: WORK.rows }, (_, r) =>
    Array.from({ length: WORK.prompt }, (_, i) => 100 + ((r * 31 + i * 7) % 40000)),
  );
  const sampling: number[] = [];
  const steps: number[] = [];
  let ops: OpTime[] = [];
  try {
    for (let s = 0; s < WARMUP + STEPS; s++) {
      const a = performance.now();
      // No eos: every row runs the full completion length, as PyTorch's min_new_tokens makes it there.
      const rollout = await generate(model, prompts, {
        temperature: 1,
        topP: 1,
        maxNew: WORK.completion,
        eosIds: [],
        rng,
      });
      const b = performance.now();
      const update = () =>
        policyGradientStep(
          model,
          lora.params,
          optimizer,
          {
            prompts,
            completions: rollout.tokens,
            oldLogProbs: rollout.logProbs,
            advantages: prompts.map((_, i) => (i % 2 === 0 ? 1 : -1)),
          },
          {
            lr: 1e-4,
            clip: { low: 0.2, high: 0.28, dual: 10 },
            temperature: 1,
            gradClip: 1,
            aggregation: lossAggregationFor('bnpo', WORK.completion),
          },
        );
      await update();
      const c = performance.now();
      if (s < WARMUP) continue;
      sampling.push(b - a);
      steps.push(c - b);
      if (s === WARMUP + STEPS - 1) ops = await opProfile(update);
    }
  } finally {
    optimizer.dispose();
    lora.dispose();
    model.dispose();
  }
  const samplingMs = median(sampling);
  return {
    samplingMs,
    samplingTokensPerSecond: (WORK.rows * WORK.completion) / (samplingMs / 1000),
    stepMs: median(steps),
    loadMs,
    ops,
  };
}

/** The same model, LoRA, sampling and PPO train step in transformers + peft on PyTorch CPU. Argument: a JSON. */
const TORCH_LLAMA = `
import json, sys, time, torch
from transformers import LlamaConfig, LlamaForCausalLM
from peft import LoraConfig, get_peft_model
c = json.loads(sys.argv[1])
dev = c["device"]
if dev == "cuda" and not torch.cuda.is_available(): print(json.dumps({"error": "no CUDA device"})); sys.exit(0)
if dev == "cpu": torch.set_num_threads(c["threads"])
torch.manual_seed(0)
cfg = LlamaConfig(vocab_size=c["vocab"], hidden_size=c["hidden"], intermediate_size=c["intermediate"],
    num_hidden_layers=c["layers"], num_attention_heads=c["heads"], num_key_value_heads=c["kvHeads"],
    head_dim=c["headDim"], rms_norm_eps=c["rmsEps"], rope_theta=c["ropeTheta"], tie_word_embeddings=True,
    max_position_embeddings=c["maxPositions"])
model = LlamaForCausalLM(cfg).to(dev)
model = get_peft_model(model, LoraConfig(r=c["rank"], lora_alpha=c["alpha"], lora_dropout=0.0,
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0)
R, P, N = c["rows"], c["prompt"], c["completion"]
prompts = torch.randint(100, 40000, (R, P), device=dev); mask = torch.ones(R, P, dtype=torch.long, device=dev)
adv = torch.tensor([1.0 if i % 2 == 0 else -1.0 for i in range(R)], device=dev)[:, None]
sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
def sample():
    with torch.no_grad():
        return model.generate(input_ids=prompts, attention_mask=mask, do_sample=True, temperature=1.0, top_p=1.0,
            top_k=0, max_new_tokens=N, min_new_tokens=N, use_cache=True, pad_token_id=0)
def step(seq):
    ids, tgt = seq[:, :-1], seq[:, 1:]
    logp = torch.log_softmax(model(input_ids=ids).logits.float(), -1).gather(-1, tgt[..., None])[..., 0]
    logp = logp[:, P - 1:]
    ratio = torch.exp(logp - logp.detach())
    loss = torch.max(-adv * ratio, -adv * ratio.clamp(0.8, 1.28))
    loss = torch.where(adv < 0, torch.minimum(loss, -adv * 10), loss).sum() / (R * N)
    opt.zero_grad(); loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0); opt.step()
samples, steps = [], []
for i in range(c["warmup"] + c["steps"]):
    sync(); t0 = time.perf_counter(); seq = sample(); sync(); t1 = time.perf_counter(); step(seq); sync()
    t2 = time.perf_counter()
    if i >= c["warmup"]: samples.append(t1 - t0); steps.append(t2 - t1)
med = lambda xs: sorted(xs)[len(xs) // 2] * 1000
print(json.dumps({"samplingMs": med(samples), "stepMs": med(steps), "threads": torch.get_num_threads(),
                  "version": torch.__version__, "device": torch.cuda.get_device_name() if dev == "cuda" else "CPU"}))
`;

interface TorchFigures {
  readonly samplingMs: number;
  readonly stepMs: number;
  readonly threads: number;
  readonly version: string;
  readonly device: string;
}

function torchFigures(
  python: string,
  config: ModelConfig,
  device: 'cpu' | 'cuda',
  threads: number,
): TorchFigures | string {
  const args = { ...config, ...WORK, device, threads, warmup: WARMUP, steps: STEPS };
  const r = runCommand(python, ['-c', TORCH_LLAMA, JSON.stringify(args)], {
    timeoutMs: 900_000,
    env: { OMP_NUM_THREADS: String(threads) },
  });
  const json = lastJson(r.out);
  if (typeof json?.error === 'string') return json.error;
  if (json === null || typeof json.stepMs !== 'number') return r.out.slice(-300);
  return json as unknown as TorchFigures;
}

const gflops = (flops: number, ms: number) => flops / (ms / 1000) / 1e9;
const pct = (x: number, of: number | null) => (of === null ? 'n/a' : `${((100 * x) / of).toFixed(1)}%`);

export interface LlamaBenchOptions {
  readonly backend: BackendName;
  /** PyTorch on cpu runs twice, with 1 and 2 threads; on cuda once. */
  readonly torchDevice: 'cpu' | 'cuda';
  /** The python with torch, transformers and peft; found on PATH when absent. */
  readonly python?: string;
  readonly print: (line: string) => void;
}

export async function runLlamaBench(options: LlamaBenchOptions): Promise<void> {
  const { print } = options;
  const config = SMOLLM2_135M;
  const width = WORK.prompt + WORK.completion - 1;
  const stepFlops = loraStepFlops(config, WORK.rows, width, WORK.rank);
  print(
    `  model: random Llama of SmolLM2-135M's shape, ${(parameterCount(config) / 1e6).toFixed(1)}M parameters; LoRA r=${WORK.rank} on the 7 projections`,
  );
  print(
    `  workload: ${WORK.rows} rows × (${WORK.prompt} prompt + ${WORK.completion} sampled tokens); train step on ${WORK.rows} × ${width} tokens, ${(stepFlops / 1e9).toFixed(1)} GFLOP; medians of ${STEPS} after ${WARMUP} warm-up; ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  const notes: string[] = [];
  const py = findPython(notes, options.python);
  const peaks = py === null ? { all: null, one: null } : matmulPeaks(py);
  const backend = await selectBackend(options.backend);
  const ours = await tfjsFigures(config);
  const threads = options.torchDevice === 'cpu' ? [1, 2] : [1];
  const torch = threads.map((n) =>
    py === null ? 'no python with torch' : torchFigures(py, config, options.torchDevice, n),
  );
  print(
    `  matmul peak (numpy/OpenBLAS 2048³ fp32): ${peaks.one?.toFixed(1) ?? 'n/a'} GFLOP/s one thread, ${peaks.all?.toFixed(1) ?? 'n/a'} all cores`,
  );
  print(
    `  tfjs ${backend.name}: ${backend.detail}; random weights built and uploaded in ${(ours.loadMs / 1000).toFixed(1)} s`,
  );
  print('');
  print(
    '  engine | sampling ms | sampled tokens/s | LoRA step ms | step GFLOP/s | of 1-thread peak | of all-core peak | step vs tfjs',
  );
  const line = (name: string, sMs: number, stepMs: number) => {
    const g = gflops(stepFlops, stepMs);
    print(
      `  ${name} | ${sMs.toFixed(0)} | ${((WORK.rows * WORK.completion) / (sMs / 1000)).toFixed(1)} | ${stepMs.toFixed(0)} | ${g.toFixed(2)} | ${pct(g, peaks.one)} | ${pct(g, peaks.all)} | ${(stepMs / ours.stepMs).toFixed(2)}×`,
    );
  };
  line(`tfjs ${backend.name}`, ours.samplingMs, ours.stepMs);
  torch.forEach((t, i) => {
    if (typeof t === 'string')
      print(`  PyTorch ${options.torchDevice} (${threads[i]} thread(s)): failed: ${t}`);
    else {
      const where =
        options.torchDevice === 'cpu' ? `CPU ${t.threads} thread${t.threads > 1 ? 's' : ''}` : t.device;
      line(`PyTorch ${t.version} ${where}`, t.samplingMs, t.stepMs);
    }
  });
  const last = torch.at(-1);
  if (last !== undefined && typeof last !== 'string') {
    print(
      `  tfjs ${backend.name} / PyTorch ${options.torchDevice === 'cpu' ? '2 threads' : 'CUDA'}: sampling ${(ours.samplingMs / last.samplingMs).toFixed(2)}×, LoRA step ${(ours.stepMs / last.stepMs).toFixed(2)}×`,
    );
  }
  print(
    "  (step GFLOP/s counts the forward, the input gradients of the frozen weights and LoRA's products; the embedding lookup is not counted)",
  );
  print(`  where one ${backend.name} LoRA step's time goes, by op: ${formatOps(ours.ops)}`);
  for (const n of notes) print(`  note: ${n}`);
}

// `bnpo bench`: how fast the trainer runs here. For every backend that starts: ms per RL step split into sampling /
// scoring / advantage / update, tokens per second, and the train step's achieved GFLOP/s next to this machine's
// matmul peak (numpy + OpenBLAS on all cores); and the same train step of the same model in PyTorch, as a ratio.
// The Python with numpy and torch is the one given (`--python PATH`), else the first of python3 and /usr/bin/python3
// that has both (or numpy alone). Nothing is ever installed: test/bench passes the test venv's python.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { computeAdvantages } from '../core/estimators';
import { RunConfigSchema, runSubject, type RunConfig } from '../protocol/runConfig';
import { selectBackend } from './backend';
import { buildSeqBatch, lossAggregationFor, ppoLoss, targetLogProbs } from './losses';
import { Policy } from './model';
import { AdamW } from './optimizer';
import { Rng } from './rng';
import { generate } from './sampler';
import { gradientStep, loadTask, modelDims } from './trainer';

export interface BackendFigures {
  readonly backend: string;
  readonly detail: string;
  readonly steps: number;
  readonly ms: { sampling: number; scoring: number; advantage: number; update: number; total: number };
  readonly tokensPerSecond: number;
  readonly samplingTokensPerSecond: number;
  readonly trainGflops: number;
  readonly trainStepFlops: number;
  readonly rows: number;
  readonly width: number;
  /** Kernel time by op of one profiled update (empty unless asked for). */
  readonly ops: readonly OpTime[];
  /** One plain matMul's GFLOP/s on this backend: what a step made only of matMuls could reach at best. */
  readonly matMul?: readonly MatMulFigure[];
}

export interface MatMulFigure {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly gflops: number;
}

/** GFLOP/s of one plain [m,k]×[k,n] matMul on the current backend: median of 5 after a warm-up. */
export async function matMulGflops(m: number, k: number, n: number): Promise<MatMulFigure> {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const times: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
    if (r > 0) times.push(performance.now() - t);
  }
  tf.dispose([a, b]);
  times.sort((x, y) => x - y);
  return { m, k, n, gflops: (2 * m * k * n) / (times[2]! * 1e6) };
}

export interface OpTime {
  readonly op: string;
  readonly ms: number;
  readonly calls: number;
}

/**
 * Kernel time by op of `f` through tf.profile, slowest first. Custom-gradient scopes (matMulPlain's, tfjs's own
 * composites) are listed by tf.profile besides the kernels they run; only registered kernels are summed here.
 */
export async function opProfile(f: () => Promise<unknown>): Promise<OpTime[]> {
  const info = await tf.profile(async () => {
    await f();
    return [];
  });
  const backend = tf.getBackend();
  const byOp = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    if (tf.getKernel(k.name, backend) === undefined) continue;
    const entry = byOp.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    entry.calls++;
    byOp.set(k.name, entry);
  }
  return [...byOp].map(([op, e]) => ({ op, ...e })).sort((a, b) => b.ms - a.ms);
}

/** "BatchMatMul 61% (120 ms, 96 calls), Transpose 12% …": the first `top` ops and the rest. */
export function formatOps(ops: readonly OpTime[], top = 8): string {
  const total = ops.reduce((a, o) => a + o.ms, 0);
  const share = (ms: number) => `${((100 * ms) / Math.max(total, 1e-9)).toFixed(0)}%`;
  const head = ops
    .slice(0, top)
    .map((o) => `${o.op} ${share(o.ms)} (${o.ms.toFixed(0)} ms, ${o.calls} calls)`);
  const rest = ops.slice(top).reduce((a, o) => a + o.ms, 0);
  return `${head.join(', ')}${ops.length > top ? `, ${ops.length - top} other ops ${share(rest)}` : ''}; kernels ${total.toFixed(0)} ms in all`;
}

export interface PythonFigures {
  readonly python: string | null;
  readonly numpyPeakGflops: number | null;
  readonly numpyThreads: string | null;
  /** The same matmul on one OpenBLAS thread: the peak of the one core wasm runs on. */
  readonly numpyPeakOneThreadGflops: number | null;
  readonly torchMs: number | null;
  readonly torchDevice: string | null;
  readonly torchThreads: number | null;
  /** The same step with one thread (wasm runs on one core in Node); cpu device only. */
  readonly torchOneThreadMs: number | null;
  readonly torchVersion: string | null;
  readonly notes: string[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** FLOPs of one train step (forward + backward ≈ 3 forwards) on rows × width tokens, one-hot embeddings excluded. */
export function trainStepFlops(policy: Policy, rows: number, width: number): number {
  const { dModel, layers } = policy.dims;
  const attentionMacsPerToken = layers * 2 * width * dModel;
  return 2 * 3 * rows * width * (policy.denseMacsPerToken() + attentionMacsPerToken);
}

/** Runs `warmup + steps` RL steps of the given config on the current backend and returns median timings. */
export async function benchRlSteps(
  config: RunConfig,
  warmup: number,
  steps: number,
  profile = false,
): Promise<Omit<BackendFigures, 'backend' | 'detail'>> {
  const loaded = await loadTask(config, process.cwd());
  const { task, rules } = loaded;
  const tokenizer = task.tokenizer;
  const rng = new Rng(config.seed);
  const policy = new Policy(modelDims(config, task, tokenizer.size), rng);
  const optimizer = new AdamW(policy.params);
  const G = config.groupSize;
  const parts: Record<'sampling' | 'scoring' | 'advantage' | 'update' | 'total', number[]> = {
    sampling: [],
    scoring: [],
    advantage: [],
    update: [],
    total: [],
  };
  const tokens: number[] = [];
  let rows = 0;
  let width = 0;
  let ops: OpTime[] = [];
  try {
    for (let s = 0; s < warmup + steps; s++) {
      const t0 = performance.now();
      const examples = Array.from({ length: config.promptsPerStep }, () => task.nextTrain(rng));
      const repeated = examples.flatMap((e) => new Array<typeof e>(G).fill(e));
      const prompts = repeated.map((e) => tokenizer.encode(e.prompt));
      const rollout = await generate(policy, prompts, {
        temperature: config.temperature,
        topP: 1,
        maxNew: config.maxNewTokens ?? task.maxNew,
        rng,
      });
      const t1 = performance.now();
      const scored = rollout.tokens.map((t, i) => rules.evaluate(tokenizer.decode(t), repeated[i]!.sample));
      const groups = examples.map((_, i) =>
        scored.slice(i * G, (i + 1) * G).map((o) => Object.fromEntries(o.map((x) => [x.name, x.reward]))),
      );
      const t2 = performance.now();
      const adv = computeAdvantages(groups, config.estimator).advantages.flat();
      const t3 = performance.now();
      const seq = buildSeqBatch(prompts, rollout.tokens, rollout.logProbs);
      rows = seq.rows;
      width = seq.width;
      const update = () =>
        gradientStep(policy, optimizer, 1e-4, 1, () => {
          const aggregation = lossAggregationFor(config.estimator, config.maxNewTokens ?? task.maxNew);
          const out = ppoLoss(
            targetLogProbs(policy, seq, config.temperature),
            seq,
            adv,
            config.clip,
            aggregation,
          );
          return { loss: out.loss, extra: out.clipped };
        });
      await update();
      const t4 = performance.now();
      // One more update of the last batch, under the profiler (its timers slow the step, so it is not timed).
      if (profile && s === warmup + steps - 1) ops = await opProfile(update);
      if (s < warmup) continue;
      parts.sampling.push(t1 - t0);
      parts.scoring.push(t2 - t1);
      parts.advantage.push(t3 - t2);
      parts.update.push(t4 - t3);
      parts.total.push(t4 - t0);
      tokens.push(rollout.tokenCount);
    }
    const flops = trainStepFlops(policy, rows, width);
    const ms = {
      sampling: median(parts.sampling),
      scoring: median(parts.scoring),
      advantage: median(parts.advantage),
      update: median(parts.update),
      total: median(parts.total),
    };
    return {
      steps,
      ms,
      tokensPerSecond: median(tokens) / (ms.total / 1000),
      samplingTokensPerSecond: median(tokens) / (ms.sampling / 1000),
      trainGflops: flops / (ms.update / 1000) / 1e9,
      trainStepFlops: flops,
      rows,
      width,
      ops,
    };
  } finally {
    optimizer.dispose();
    policy.dispose();
  }
}

/** Runs a command to the end; `env` adds variables (e.g. a thread count) to this process's environment. */
export function runCommand(
  cmd: string,
  args: string[],
  { timeoutMs = 600000, env }: { timeoutMs?: number; env?: Record<string, string> } = {},
): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    ...(env !== undefined ? { env: { ...process.env, ...env } } : {}),
  });
  // A timeout or a failed start leaves no output of its own: say which it was.
  const why =
    r.error !== undefined ? `\n(${r.error.message})` : r.signal !== null ? `\n(ended by ${r.signal})` : '';
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${why}`.trim() };
}

function hasModule(python: string, mod: string): boolean {
  return runCommand(python, ['-c', `import ${mod}`]).ok;
}

/**
 * The python for the reference figures: `given` when set (it must exist; a missing numpy is noted), else the first
 * of python3 and /usr/bin/python3 with numpy and torch, then with numpy alone. Never installs anything.
 */
export function findPython(notes: string[], given?: string): string | null {
  if (given !== undefined) {
    if (!hasModule(given, 'numpy')) notes.push(`${given} cannot import numpy`);
    return given;
  }
  const candidates = ['python3', '/usr/bin/python3'].filter((p) => !p.startsWith('/') || fs.existsSync(p));
  return (
    candidates.find((p) => hasModule(p, 'numpy') && hasModule(p, 'torch')) ??
    candidates.find((p) => hasModule(p, 'numpy')) ??
    null
  );
}

/** numpy's 2048³ fp32 matmul, best of 5; OPENBLAS_NUM_THREADS (when set) limits its threads. */
const NUMPY_PEAK = `
import json, os, time, numpy as np
n = 2048
a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
a @ b
best = min((lambda t0: (a @ b, time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(5))
cfg = getattr(np, '__config__', None)
print(json.dumps({"gflops": 2 * n ** 3 / best / 1e9, "threads": os.environ.get("OPENBLAS_NUM_THREADS", "all")}))
`;

/** The same policy and PPO train step (forward, backward, AdamW) in PyTorch, timed. Arguments: a JSON of dims. */
const TORCH_STEP = `
import json, os, sys, time, torch
import torch.nn as nn, torch.nn.functional as F
c = json.loads(sys.argv[1])
dev = c["device"]
if dev == "cuda" and not torch.cuda.is_available(): print(json.dumps({"error": "no CUDA device"})); sys.exit(0)
torch.set_num_threads(c.get("threads") or os.cpu_count() or 1)
torch.manual_seed(0)
V, T, d, L, H, r = c["vocab"], c["context"], c["dModel"], c["layers"], c["heads"], c["mlpRatio"]
class Block(nn.Module):
    def __init__(s):
        super().__init__(); s.ln1 = nn.LayerNorm(d); s.qkv = nn.Linear(d, 3 * d); s.o = nn.Linear(d, d)
        s.ln2 = nn.LayerNorm(d); s.w1 = nn.Linear(d, r * d); s.w2 = nn.Linear(r * d, d)
    def forward(s, x, bias):
        B, W, _ = x.shape
        q, k, v = s.qkv(s.ln1(x)).split(d, dim=-1)
        q, k, v = [t.view(B, W, H, d // H).transpose(1, 2) for t in (q, k, v)]
        att = torch.softmax(q @ k.transpose(-1, -2) / (d // H) ** 0.5 + bias, dim=-1)
        x = x + s.o((att @ v).transpose(1, 2).reshape(B, W, d))
        return x + s.w2(F.relu(s.w1(s.ln2(x))))
class Policy(nn.Module):
    def __init__(s):
        super().__init__(); s.wte = nn.Embedding(V, d); s.wpe = nn.Embedding(T, d)
        s.blocks = nn.ModuleList(Block() for _ in range(L)); s.lnf = nn.LayerNorm(d)
    def forward(s, ids):
        W = ids.shape[1]
        bias = torch.full((W, W), -1e9, device=ids.device).triu(1)
        x = s.wte(ids) + s.wpe(torch.arange(W, device=ids.device))
        for b in s.blocks: x = b(x, bias)
        return s.lnf(x) @ s.wte.weight.T
m = Policy().to(dev)
opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=0)
R, W = c["rows"], c["width"]
ids = torch.randint(2, V, (R, W), device=dev); tgt = torch.randint(2, V, (R, W), device=dev)
mask = torch.ones(R, W, device=dev); adv = torch.randn(R, 1, device=dev); old = torch.full((R, W), -1.0, device=dev)
def step():
    logp = torch.log_softmax(m(ids), -1).gather(-1, tgt[..., None])[..., 0]
    ratio = torch.exp(logp - old)
    loss = torch.max(-adv * ratio, -adv * ratio.clamp(0.8, 1.28))
    loss = torch.where(adv < 0, torch.minimum(loss, -adv * 10), loss)
    loss = (loss * mask).sum() / R
    opt.zero_grad(); loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
def sync():
    if dev == "cuda": torch.cuda.synchronize()
for _ in range(3): step()
sync(); times = []
for _ in range(10):
    t0 = time.perf_counter(); step(); sync(); times.append(time.perf_counter() - t0)
times.sort()
print(json.dumps({"ms": times[len(times) // 2] * 1000, "threads": torch.get_num_threads(), "version": torch.__version__,
                  "device": torch.cuda.get_device_name() if dev == "cuda" else "cpu"}))
`;

/** numpy's matmul peak on one OpenBLAS thread and on all cores, GFLOP/s (null where it failed). */
export function matmulPeaks(python: string): { one: number | null; all: number | null } {
  const gflops = (env?: Record<string, string>): number | null => {
    const r = lastJson(runCommand(python, ['-c', NUMPY_PEAK], env !== undefined ? { env } : {}).out);
    return typeof r?.gflops === 'number' ? r.gflops : null;
  };
  return { one: gflops({ OPENBLAS_NUM_THREADS: '1' }), all: gflops() };
}

/** The last line of a script's output that parses as a JSON object. */
export function lastJson(text: string): Record<string, unknown> | null {
  const line = text
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (line === undefined) return null;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export function pythonFigures(
  dims: { vocab: number; context: number; dModel: number; layers: number; heads: number; mlpRatio: number },
  rows: number,
  width: number,
  torchDevice: 'cpu' | 'cuda',
  givenPython?: string,
): PythonFigures {
  const notes: string[] = [];
  const python = findPython(notes, givenPython);
  if (python === null) {
    notes.push('no python with numpy: peak and PyTorch figures unavailable');
    return {
      python,
      numpyPeakGflops: null,
      numpyThreads: null,
      numpyPeakOneThreadGflops: null,
      torchMs: null,
      torchDevice: null,
      torchThreads: null,
      torchOneThreadMs: null,
      torchVersion: null,
      notes,
    };
  }
  const peak = lastJson(runCommand(python, ['-c', NUMPY_PEAK]).out);
  const peak1 = matmulPeaks(python).one;
  const torchRun = hasModule(python, 'torch')
    ? runCommand(python, ['-c', TORCH_STEP, JSON.stringify({ ...dims, rows, width, device: torchDevice })])
    : null;
  const torch = torchRun === null ? null : lastJson(torchRun.out);
  const single =
    torchRun !== null && torchDevice === 'cpu'
      ? lastJson(
          runCommand(python, [
            '-c',
            TORCH_STEP,
            JSON.stringify({ ...dims, rows, width, device: 'cpu', threads: 1 }),
          ]).out,
        )
      : null;
  if (torchRun === null) notes.push(`${python} has no torch`);
  else if (torch === null || typeof torch.ms !== 'number')
    notes.push(
      `PyTorch step failed: ${typeof torch?.error === 'string' ? torch.error : torchRun.out.slice(-300)}`,
    );
  return {
    python,
    numpyPeakGflops: typeof peak?.gflops === 'number' ? peak.gflops : null,
    numpyThreads: typeof peak?.threads === 'string' ? peak.threads : null,
    numpyPeakOneThreadGflops: peak1,
    torchMs: typeof torch?.ms === 'number' ? torch.ms : null,
    torchDevice: typeof torch?.device === 'string' ? torch.device : null,
    torchThreads: typeof torch?.threads === 'number' ? torch.threads : null,
    torchOneThreadMs: typeof single?.ms === 'number' ? single.ms : null,
    torchVersion: typeof torch?.version === 'string' ? torch.version : null,
    notes,
  };
}

export interface BenchOptions {
  readonly backends: readonly ('webgpu' | 'wasm' | 'cpu' | 'tensorflow')[];
  readonly torchDevice: 'cpu' | 'cuda';
  /** The python with numpy and torch for the reference figures; found on PATH when absent. */
  readonly python?: string;
  readonly config?: Partial<Record<string, unknown>>;
  readonly print: (line: string) => void;
}

export async function runTrainerBench(
  options: BenchOptions,
): Promise<{ backends: BackendFigures[]; python: PythonFigures }> {
  const config = RunConfigSchema.parse({ ...options.config });
  const print = options.print;
  print(
    `  workload: default run (${runSubject(config)}), N=${config.promptsPerStep} prompts × G=${config.groupSize}, model d=${config.model.dModel} × ${config.model.layers} layers, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  const figures: BackendFigures[] = [];
  for (const name of options.backends) {
    let detail: string;
    try {
      detail = (await selectBackend(name)).detail;
    } catch (err) {
      print(`  ${name}: not available here (${(err as Error).message})`);
      continue;
    }
    const heavy = name === 'cpu';
    const f = await benchRlSteps(config, 1, heavy ? 1 : 5, name === 'wasm');
    const { dModel, mlpRatio } = config.model;
    // the square reference, and the model's widest train matMul (every token of the batch through the MLP)
    const matMul = heavy
      ? []
      : [
          await matMulGflops(1024, 1024, 1024),
          await matMulGflops(f.rows * f.width, dModel, dModel * mlpRatio),
        ];
    figures.push({ backend: name, detail, ...f, matMul });
  }
  const loaded = await loadTask(config, process.cwd());
  const dims = modelDims(config, loaded.task, loaded.task.tokenizer.size);
  const ref = figures[0];
  const py = pythonFigures(dims, ref?.rows ?? 256, ref?.width ?? 24, options.torchDevice, options.python);
  const peak = py.numpyPeakGflops;
  print(
    `  matmul peak (numpy/OpenBLAS 2048³ fp32, threads ${py.numpyThreads ?? '?'}): ${peak?.toFixed(1) ?? 'n/a'} GFLOP/s; one thread: ${py.numpyPeakOneThreadGflops?.toFixed(1) ?? 'n/a'} GFLOP/s`,
  );
  if (py.torchOneThreadMs !== null) {
    print(`  PyTorch on cpu (1 thread): train step ${py.torchOneThreadMs.toFixed(1)} ms`);
  }
  if (py.torchMs !== null) {
    print(
      `  PyTorch ${py.torchVersion} on ${py.torchDevice} (${py.torchThreads} threads): train step ${py.torchMs.toFixed(1)} ms`,
    );
  }
  for (const n of py.notes) print(`  note: ${n}`);
  print('');
  print(
    '  backend | step ms | sampling | scoring | advantage | update | tokens/s | train GFLOP/s | of peak | tfjs/PyTorch | tfjs/PyTorch 1 thread',
  );
  for (const f of figures) {
    const ofPeak = peak !== null ? `${((100 * f.trainGflops) / peak).toFixed(1)}%` : 'n/a';
    const ratio = py.torchMs !== null ? `${(f.ms.update / py.torchMs).toFixed(2)}×` : 'n/a';
    const ratio1 =
      py.torchOneThreadMs !== null ? `${(f.ms.update / py.torchOneThreadMs).toFixed(2)}×` : 'n/a';
    print(
      `  ${f.backend} | ${f.ms.total.toFixed(0)} | ${f.ms.sampling.toFixed(0)} | ${f.ms.scoring.toFixed(1)} | ${f.ms.advantage.toFixed(2)} | ${f.ms.update.toFixed(0)} | ${f.tokensPerSecond.toFixed(0)} | ${f.trainGflops.toFixed(2)} | ${ofPeak} | ${ratio} | ${ratio1}`,
    );
  }
  if (ref !== undefined) {
    print(
      `  (train step: ${ref.rows} sequences × ${ref.width} tokens, ${(ref.trainStepFlops / 1e9).toFixed(2)} GFLOP; medians of ${figures.map((f) => `${f.steps} ${f.backend}`).join(', ')} steps after one warm-up)`,
    );
  }
  for (const f of figures.filter((x) => x.ops.length > 0)) {
    print(`  where one ${f.backend} update's time goes, by op: ${formatOps(f.ops)}`);
  }
  const one = py.numpyPeakOneThreadGflops;
  for (const f of figures.filter((x) => (x.matMul?.length ?? 0) > 0)) {
    const shares = (f.matMul ?? []).map(
      (mm) =>
        `${mm.m}×${mm.k}×${mm.n} ${mm.gflops.toFixed(1)} GFLOP/s` +
        (one !== null ? ` (${((100 * mm.gflops) / one).toFixed(0)}% of one OpenBLAS thread)` : ''),
    );
    print(`  ${f.backend} plain matMul, the ceiling of a step made of matMuls: ${shares.join('; ')}`);
  }
  return { backends: figures, python: py };
}

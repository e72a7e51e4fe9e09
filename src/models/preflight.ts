// The memory pre-flight: from config.json alone (before a weight is read), what a step needs — float32 weights,
// the trainable parameters' gradients and AdamW moments, activations kept for the backward pass, the sampling KV
// cache — against what the backend can address (wasm: a 4 GiB linear memory; a GPU: its adapter's largest buffer
// and, where known, its memory). A plan that does not fit is refused in one line saying what to change.
import * as os from 'node:os';
import type { ModelConfig } from './config';
import { parameterCount } from './config';
import { ATTENTION_PROJECTIONS, MLP_PROJECTIONS } from './llama';

const F32 = 4;
const GIB = 2 ** 30;

export interface MemoryPlan {
  /** inference: sampling only; lora / full: sampling plus a training step. */
  readonly mode: 'inference' | 'lora' | 'full';
  readonly loraRank?: number;
  readonly loraTargets?: readonly string[];
  /** Sequences in one forward pass (prompts × G, or one micro-batch with gradient accumulation). */
  readonly rows: number;
  /** Prompt + completion tokens per sequence. */
  readonly tokens: number;
}

export interface BackendMemory {
  readonly name: string;
  /** Everything the backend can hold at once. */
  readonly totalBytes: number;
  /** The largest single tensor (a GPU's maxBufferSize / maxStorageBufferBindingSize). */
  readonly maxBufferBytes: number;
}

export interface MemoryEstimate {
  readonly weights: number;
  readonly trainingState: number;
  readonly activations: number;
  readonly kvCache: number;
  readonly total: number;
  readonly largestTensor: { readonly name: string; readonly bytes: number };
}

/** What a backend offers; webgpu's limits come from its adapter (pass them in), the rest from the platform. */
export function backendMemory(
  name: string,
  gpuLimits?: { maxBufferSize: number; maxStorageBufferBindingSize: number },
): BackendMemory {
  if (name === 'wasm') return { name, totalBytes: 4 * GIB, maxBufferBytes: 4 * GIB };
  if (name === 'webgpu' && gpuLimits !== undefined) {
    const max = Math.min(gpuLimits.maxBufferSize, gpuLimits.maxStorageBufferBindingSize);
    return { name, totalBytes: os.totalmem(), maxBufferBytes: max };
  }
  return { name, totalBytes: os.totalmem(), maxBufferBytes: Number.MAX_SAFE_INTEGER };
}

function loraParameters(c: ModelConfig, rank: number, targets: readonly string[]): number {
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const dims: Record<string, [number, number]> = {
    q_proj: [c.hidden, q],
    k_proj: [c.hidden, kv],
    v_proj: [c.hidden, kv],
    o_proj: [q, c.hidden],
    gate_proj: [c.hidden, c.intermediate],
    up_proj: [c.hidden, c.intermediate],
    down_proj: [c.intermediate, c.hidden],
  };
  const perLayer = targets.reduce((sum, t) => sum + rank * ((dims[t]?.[0] ?? 0) + (dims[t]?.[1] ?? 0)), 0);
  return c.layers * perLayer;
}

/** Parameters the optimizer updates under `plan`: every weight, the LoRA factors, or none. */
export function trainableParameters(c: ModelConfig, plan: Omit<MemoryPlan, 'rows' | 'tokens'>): number {
  if (plan.mode === 'full') return parameterCount(c);
  if (plan.mode === 'inference') return 0;
  const targets = plan.loraTargets ?? [...ATTENTION_PROJECTIONS, ...MLP_PROJECTIONS];
  return loraParameters(c, plan.loraRank ?? 8, targets);
}

export function estimateMemory(c: ModelConfig, plan: MemoryPlan): MemoryEstimate {
  const weights = parameterCount(c) * F32;
  const trainable = trainableParameters(c, plan);
  // Gradient + AdamW's two moments per trainable parameter.
  const trainingState = 3 * trainable * F32;
  const seqTokens = plan.rows * plan.tokens;
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  // Kept for the backward pass, per token and layer: norms, residuals, q/k/v before and after RoPE, the MLP's
  // gate/up/product; per row and layer the attention scores and probabilities; at the end logits, log-softmax and
  // the one-hot targets.
  const perTokenLayer = 8 * c.hidden + 2 * (q + 2 * kv) + 4 * c.intermediate;
  const attention = 2 * c.heads * plan.tokens * plan.tokens * plan.rows;
  const logits = 3 * seqTokens * c.vocab;
  const activations =
    plan.mode === 'inference'
      ? plan.rows * c.vocab * F32 + ((perTokenLayer * seqTokens + attention) * F32) / c.layers
      : (c.layers * (perTokenLayer * seqTokens + attention) + logits) * F32;
  const kvCache = 2 * c.layers * kv * seqTokens * F32;
  const largest = [
    { name: `the embedding table (${c.vocab} × ${c.hidden})`, bytes: c.vocab * c.hidden * F32 },
    {
      name: `the logits (${seqTokens} tokens × ${c.vocab})`,
      bytes: plan.mode === 'inference' ? 0 : seqTokens * c.vocab * F32,
    },
  ].sort((a, b) => b.bytes - a.bytes)[0]!;
  // Sampling's cache is freed before the training step's activations are made: the larger of the two counts.
  const total = weights + trainingState + Math.max(activations, kvCache);
  return { weights, trainingState, activations, kvCache, total, largestTensor: largest };
}

function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(bytes < GIB ? 2 : 1)} GiB`;
}

function advice(plan: MemoryPlan, e: MemoryEstimate, memory: BackendMemory): string {
  if (e.weights > memory.totalBytes * 0.9) {
    return 'the weights alone do not fit: use another backend (tensorflow or webgpu on a GPU) or a smaller model';
  }
  const steps: string[] = [];
  if (plan.mode === 'full') steps.push('LoRA instead of full fine-tuning');
  steps.push(
    'fewer completions per step (G) or gradient accumulation',
    'shorter completions (max new tokens)',
  );
  if (memory.name === 'wasm' || memory.name === 'cpu')
    steps.push('another backend (tensorflow or webgpu on a GPU)');
  return `use ${steps.join(', or ')}`;
}

/** undefined when the plan fits; otherwise the one line to show the user. */
export function preflight(c: ModelConfig, plan: MemoryPlan, memory: BackendMemory): string | undefined {
  const e = estimateMemory(c, plan);
  if (e.largestTensor.bytes > memory.maxBufferBytes) {
    return `${e.largestTensor.name} needs ${gib(e.largestTensor.bytes)} in one buffer, more than the ${memory.name} backend's largest (${gib(memory.maxBufferBytes)}): ${advice(plan, e, memory)}`;
  }
  if (e.total <= memory.totalBytes) return undefined;
  const parts = `weights ${gib(e.weights)}, gradients + optimizer ${gib(e.trainingState)}, activations ${gib(e.activations)}, KV cache ${gib(e.kvCache)}`;
  return `${plan.mode === 'inference' ? 'sampling' : `a ${plan.mode} training step`} at ${plan.rows} × ${plan.tokens} tokens needs about ${gib(e.total)} (${parts}), more than the ${memory.name} backend offers (${gib(memory.totalBytes)}): ${advice(plan, e, memory)}`;
}

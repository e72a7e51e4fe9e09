// What a configuration needs in memory, estimated before anything is allocated: an absurd `dModel` or a 5 MB prompt
// otherwise fails deep inside the backend (`Invalid typed array length`, wasm `memory access out of bounds`) after
// minutes. The estimate is a lower bound of float32 storage: parameters, their gradients, AdamW's two moments and
// the reference copy, plus the activations one batch keeps for the backward pass (attention scores included).
import * as os from 'node:os';
import type { RunConfig } from '../protocol/runConfig';
import type { ModelDims } from './model';
import { ConfigError } from './setup';

const FLOAT_BYTES = 4;
/** A wasm module addresses 32 bits: 4 GiB is all it can ever have. */
export const WASM_MEMORY_BYTES = 4 * 1024 ** 3;
/** Copies of the parameters held while training: weights, gradients, AdamW's m and v, the reference policy. */
const PARAMETER_COPIES = 5;

/** Parameters of the model `dims` describes (the same shapes model.ts allocates). */
export function parameterCount(dims: ModelDims): number {
  const d = dims.dModel;
  const h = d * dims.mlpRatio;
  const perLayer = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * h + h) + (h * d + d);
  const head = dims.tiedOutput ? 0 : d * dims.vocab;
  return dims.vocab * d + dims.context * d + dims.layers * perLayer + 2 * d + head;
}

/** Bytes one training step needs at least: parameter copies plus the activations of its largest batch. */
export function trainingBytes(config: RunConfig, dims: ModelDims): number {
  const d = dims.dModel;
  const h = d * dims.mlpRatio;
  const tokens = Math.max(config.promptsPerStep * config.groupSize, config.sft.batchSize) * dims.context;
  // Per token and layer: the normed inputs, q/k/v, attention output and residuals, both MLP widths, and each
  // head's row of attention scores and probabilities.
  const perTokenLayer = 8 * d + 2 * h + 2 * dims.heads * dims.context;
  const activations = tokens * (dims.layers * perTokenLayer + 2 * dims.vocab);
  return FLOAT_BYTES * (PARAMETER_COPIES * parameterCount(dims) + activations);
}

/** What the configured backend can hold: wasm (and auto, which falls back to it) 4 GiB, else the machine's memory. */
export function backendMemoryBytes(backend: RunConfig['backend']): number {
  return backend === 'wasm' || backend === 'auto' ? WASM_MEMORY_BYTES : os.totalmem();
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** Refuses, on one line saying what to change, a configuration that cannot fit the backend's memory. */
export function checkMemory(config: RunConfig, dims: ModelDims): void {
  const needed = trainingBytes(config, dims);
  const available = backendMemoryBytes(config.backend);
  if (needed <= available) return;
  throw new ConfigError(
    `this run needs at least ${gib(needed)} (${parameterCount(dims).toLocaleString('en')} parameters, context ` +
      `${dims.context}) but the ${config.backend} backend has ${gib(available)}: lower model.dModel or model.layers, ` +
      `promptsPerStep × groupSize, or model.context (shorter prompts, a smaller maxNewTokens)`,
  );
}

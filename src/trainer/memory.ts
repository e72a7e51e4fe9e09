// What a configuration needs in memory, estimated before anything is allocated: an absurd `dModel` or a 5 MB prompt
// otherwise fails deep inside the backend (`Invalid typed array length`, wasm `memory access out of bounds`) after
// minutes. The estimate is a lower bound of float32 storage, within 1.5× of the peak tfjs itself counts on small
// runs (test/unit/trainerMemory.test.ts): the parameter copies, plus the activations one batch keeps for the
// backward pass and the gradients tfjs keeps for them, or the optimizer's temporaries, whichever is larger.
import * as os from 'node:os';
import type { RunConfig } from '../protocol/runConfig';
import type { ModelDims } from './model';
import { ConfigError } from './setup';

const FLOAT_BYTES = 4;
/** A wasm module addresses 32 bits: 4 GiB is all it can ever have. */
export const WASM_MEMORY_BYTES = 4 * 1024 ** 3;
/** Copies of the parameters held while training: weights, gradients, AdamW's m and v, the gradient norm's squares. */
const PARAMETER_COPIES = 5;
/** The forward tape and the gradients backpropagation keeps for it. */
const BACKWARD_COPIES = 2;
/**
 * Tensors one parameter's AdamW update makes in its scope (optimizer.ts: the scaled gradient, both moments' terms,
 * the bias corrections, the step).
 */
const UPDATE_TEMPORARIES = 14;

/** Parameters of the model `dims` describes (the same shapes model.ts allocates). */
export function parameterCount(dims: ModelDims): number {
  const d = dims.dModel;
  const h = d * dims.mlpRatio;
  const perLayer = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * h + h) + (h * d + d);
  const head = dims.tiedOutput ? 0 : d * dims.vocab;
  return dims.vocab * d + dims.context * d + dims.layers * perLayer + 2 * d + head;
}

/** The largest parameter matrix's size (the embeddings, the qkv projection or an MLP matrix). */
function largestParameter(dims: ModelDims): number {
  const d = dims.dModel;
  return Math.max(dims.vocab * d, dims.context * d, 3 * d * d, d * d * dims.mlpRatio);
}

/**
 * Floats the autodiff tape keeps per token and per transformer block (model.ts, counted op by op: every output
 * stays alive until the backward pass has used it). Two layer norms (the moments' deviation and square, the
 * centred, normed, scaled and shifted input: 7d each), the qkv projection and bias (6d), its split and the
 * transposes into heads (6d), the attention output, its transpose, the output projection and bias and the
 * residual (5d), the MLP (its two widths with biases and the ReLU: 3h + 2d) and its residual (d); per head, the
 * attention scores, their scaling, the causal bias and the softmax (4 rows of the context).
 */
function blockFloats(dims: ModelDims): number {
  const d = dims.dModel;
  return 34 * d + 3 * d * dims.mlpRatio + 4 * dims.heads * dims.context;
}

/**
 * Floats per token outside the blocks: the one-hot token and position rows and their embeddings (V + T + 3d), the
 * final layer norm (7d), the logits and the log-softmax of the loss over them (temperature-scaled, shifted, exp:
 * 4V) and the one-hot of the targets (V).
 */
function edgeFloats(dims: ModelDims): number {
  return 6 * dims.vocab + dims.context + 10 * dims.dModel;
}

/**
 * Bytes one training step needs: the parameter copies plus the activations of its largest batch (the RL update
 * over promptsPerStep × groupSize sequences, or an SFT batch), each sequence `context` tokens long. Checked
 * against tfjs's own count of the bytes it holds (`tf.profile` peak) in test/unit/trainerMemory.test.ts.
 */
export function trainingBytes(config: RunConfig, dims: ModelDims): number {
  const sftBatch = config.sft.maxSteps > 0 ? config.sft.batchSize : 0;
  const tokens = Math.max(config.promptsPerStep * config.groupSize, sftBatch) * dims.context;
  const activations = tokens * (dims.layers * blockFloats(dims) + edgeFloats(dims));
  // tfjs's backward pass keeps the gradient of every taped tensor until the step's scope ends (tape.ts,
  // backpropagateGradients, disposes only what it accumulates into), so the tape is held twice at its end.
  const backward = PARAMETER_COPIES * parameterCount(dims) + BACKWARD_COPIES * activations;
  const update = PARAMETER_COPIES * parameterCount(dims) + UPDATE_TEMPORARIES * largestParameter(dims);
  return FLOAT_BYTES * Math.max(backward, update);
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

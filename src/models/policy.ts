// A Hugging Face causal LM behind the trainer's policy interface (src/trainer/policy.ts): sampling with the KV cache
// and the model's eos ids, log-probs for the losses, and the trained tensors (the LoRA factors, or every weight).
// Prompts are the user turn of the folder's chat template (when it has one and the config keeps it on).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../protocol/runConfig';
import type { ModelInfo } from '../protocol/runDir';
import type { SeqBatch } from '../trainer/losses';
import type { BuiltPolicy, PolicySource, PolicyTokenizer, TrainablePolicy } from '../trainer/policy';
import type { Rng } from '../trainer/rng';
import type { Rollout, SampleOptions } from '../trainer/sampler';
import type { ChatTemplate } from './chatTemplate';
import { parameterCount } from './config';
import { type ModelFolder, openModelFolder, readWeights } from './folder';
import { CausalLM } from './llama';
import { DEFAULT_LORA, Lora, type LoraSettings } from './lora';
import { backendMemory, preflight, trainableParameters } from './preflight';
import { generate } from './sampling';
import type { HfTokenizer } from './tokenizer';
import { sequenceLogProbs } from './train';

export class HfPolicy implements TrainablePolicy {
  readonly params: Map<string, tf.Variable>;

  constructor(
    readonly model: CausalLM,
    readonly lora: Lora | undefined,
    private readonly eosIds: readonly number[],
  ) {
    this.params = lora?.params ?? model.params;
  }

  async sample(prompts: readonly (readonly number[])[], options: SampleOptions): Promise<Rollout> {
    return generate(this.model, prompts, { ...options, eosIds: this.eosIds });
  }

  logProbs(batch: SeqBatch, temperature: number): tf.Tensor2D {
    return sequenceLogProbs(this.model, batch, temperature, true);
  }

  dispose(): void {
    this.lora?.dispose();
    this.model.dispose();
  }
}

export class HfPromptTokenizer implements PolicyTokenizer {
  readonly vocab: readonly string[] = [];

  constructor(
    private readonly tokenizer: HfTokenizer,
    private readonly template: ChatTemplate | undefined,
    private readonly eosIds: readonly number[],
  ) {}

  encodePrompt(text: string): number[] {
    if (this.template === undefined) return this.tokenizer.encode(text);
    // The rendered template already holds the special tokens it wants.
    const rendered = this.template.render([{ role: 'user', content: text }]);
    return this.tokenizer.encode(rendered, { specialTokens: false });
  }

  encodeTarget(text: string): number[] {
    return [...this.tokenizer.encode(text, { specialTokens: false }), this.eosIds[0]!];
  }

  decode(ids: readonly number[]): string {
    const end = ids.findIndex((id) => this.eosIds.includes(id));
    return this.tokenizer.decode(end === -1 ? ids : ids.slice(0, end));
  }
}

/** Thrown for a model folder a run cannot train (the user's to fix); one line. */
export class ModelRunError extends Error {
  override readonly name = 'ModelRunError';
}

/** The LoRA settings a run uses: the config's, the defaults, or none for a full fine-tune. */
export function loraSettings(config: RunConfig): LoraSettings | undefined {
  if (config.model.fullFineTune === true) return undefined;
  return config.model.lora ?? DEFAULT_LORA;
}

export function modelIdentity(folder: ModelFolder, lora: LoraSettings | undefined): ModelInfo {
  const training =
    lora === undefined
      ? ({ mode: 'full' } as const)
      : ({ mode: 'lora', loraRank: lora.rank, loraTargets: lora.targetModules } as const);
  return {
    path: folder.dir,
    architecture: folder.config.architecture,
    parameters: parameterCount(folder.config),
    trainableParameters: trainableParameters(folder.config, training),
    configSha256: crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(folder.dir, 'config.json')))
      .digest('hex'),
    lora: lora === undefined ? null : { ...lora, targetModules: [...lora.targetModules] },
  };
}

export interface HfPlan {
  /** Sequences in the largest forward/backward pass, and their longest prompt + completion in tokens. */
  readonly rows: number;
  readonly tokens: number;
  readonly backend: string;
}

/**
 * A run's Hugging Face policy: the folder's metadata is read and the memory pre-flight passes (or throws
 * ModelRunError, in one line) before a weight is read; `build` then loads the weights.
 */
/** What a run trains of a model folder. */
export interface HfModelSpec {
  readonly dir: string;
  /** undefined: every weight (full fine-tuning). */
  readonly lora: LoraSettings | undefined;
  readonly chatTemplate: boolean;
}

/** The spec `config.model` gives for its `path`. */
export function hfModelSpec(config: RunConfig, baseDir: string): HfModelSpec {
  return {
    dir: path.resolve(baseDir, config.model.path!),
    lora: loraSettings(config),
    chatTemplate: config.model.chatTemplate !== false,
  };
}

export async function hfPolicySource(
  spec: HfModelSpec,
  plan: (tokenizer: PolicyTokenizer) => HfPlan,
): Promise<PolicySource> {
  const { dir, lora } = spec;
  const folder = await openModelFolder(dir);
  if (folder.tokenizer === undefined) throw new ModelRunError(`${dir}: no tokenizer.json (a run needs one)`);
  if (folder.eosIds.length === 0)
    throw new ModelRunError(`${dir}: no eos_token_id (generation_config.json or config.json)`);
  const template = spec.chatTemplate ? folder.chatTemplate : undefined;
  const tokenizer = new HfPromptTokenizer(folder.tokenizer, template, folder.eosIds);
  const p = plan(tokenizer);
  const refusal = preflight(
    folder.config,
    lora === undefined
      ? { mode: 'full', rows: p.rows, tokens: p.tokens }
      : {
          mode: 'lora',
          rows: p.rows,
          tokens: p.tokens,
          loraRank: lora.rank,
          loraTargets: lora.targetModules,
        },
    backendMemory(p.backend),
  );
  if (refusal !== undefined) throw new ModelRunError(`model.path ${dir}: ${refusal}`);
  return {
    info: modelIdentity(folder, lora),
    build(rng: Rng): BuiltPolicy {
      // The checkpoint (if any) holds the trained tensors only: the folder shapes everything.
      const model = new CausalLM(folder.config, readWeights(dir), { trainable: lora === undefined });
      const adapters = lora === undefined ? undefined : new Lora(model, lora, rng);
      return { policy: new HfPolicy(model, adapters, folder.eosIds), tokenizer };
    },
  };
}

// A local Hugging Face model folder: config.json, model.safetensors (or the shards of model.safetensors.index.json),
// tokenizer.json + tokenizer_config.json, the chat template (chat_template.jinja, or tokenizer_config.json's
// `chat_template`), generation_config.json's eos ids. Every problem is one line naming the file and the field.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ChatTemplate } from './chatTemplate';
import { type ModelConfig, parseModelConfig } from './config';
import { type NamedTensor, readSafetensors } from './safetensors';
import { HfTokenizer, specialTokens } from './tokenizer';

export class ModelFolderError extends Error {
  override readonly name = 'ModelFolderError';
}

export interface ModelFolder {
  readonly dir: string;
  readonly config: ModelConfig;
  /** config.json as written, kept so an export writes it back unchanged. */
  readonly rawConfig: Record<string, unknown>;
  readonly tokenizer: HfTokenizer | undefined;
  readonly chatTemplate: ChatTemplate | undefined;
  readonly eosIds: number[];
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ModelFolderError(`${file}: cannot be read`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelFolderError(
      `${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

function readJsonObject(file: string): Record<string, unknown> {
  const json = readJson(file);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ModelFolderError(`${file}: expected a JSON object`);
  }
  return json as Record<string, unknown>;
}

async function withFile<T>(file: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ModelFolderError) throw err;
    throw new ModelFolderError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const shardIndex = z.object({ weight_map: z.record(z.string(), z.string()) });

/** The safetensors files holding the weights, in a stable order. */
export function weightFiles(dir: string): string[] {
  const single = path.join(dir, 'model.safetensors');
  if (fs.existsSync(single)) return [single];
  const indexFile = path.join(dir, 'model.safetensors.index.json');
  if (!fs.existsSync(indexFile)) {
    throw new ModelFolderError(`${dir}: no model.safetensors or model.safetensors.index.json`);
  }
  const parsed = shardIndex.safeParse(readJson(indexFile));
  if (!parsed.success) throw new ModelFolderError(`${indexFile}: weight_map must map tensor names to files`);
  return [...new Set(Object.values(parsed.data.weight_map))].sort().map((f) => path.join(dir, f));
}

/** Every weight tensor of the folder, by its Hugging Face name, widened to float32. */
export function readWeights(dir: string): Map<string, NamedTensor> {
  const all = new Map<string, NamedTensor>();
  for (const file of weightFiles(dir)) {
    try {
      for (const [name, t] of readSafetensors(file)) all.set(name, t);
    } catch (err) {
      throw new ModelFolderError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return all;
}

function idList(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number');
  return [];
}

function eosIds(
  dir: string,
  rawConfig: Record<string, unknown>,
  tokenizer: HfTokenizer | undefined,
): number[] {
  const genFile = path.join(dir, 'generation_config.json');
  if (fs.existsSync(genFile)) {
    const ids = idList(readJsonObject(genFile)['eos_token_id']);
    if (ids.length > 0) return ids;
  }
  const fromConfig = idList(rawConfig['eos_token_id']);
  if (fromConfig.length > 0) return fromConfig;
  const eos = tokenizer?.special.eos_token;
  const id = eos === undefined ? undefined : tokenizer?.idOf(eos);
  return id === undefined ? [] : [id];
}

function chatTemplateSource(dir: string, tokenizerConfig: Record<string, unknown>): string | undefined {
  const jinjaFile = path.join(dir, 'chat_template.jinja');
  if (fs.existsSync(jinjaFile)) return fs.readFileSync(jinjaFile, 'utf8');
  const value = tokenizerConfig['chat_template'];
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    // Several named templates: transformers uses the one named "default".
    const named = value.find((t: unknown) => (t as { name?: unknown }).name === 'default') as
      { template?: unknown } | undefined;
    if (typeof named?.template === 'string') return named.template;
  }
  return undefined;
}

/** Reads everything but the weights (those load into the network, see readWeights). */
export async function openModelFolder(dir: string): Promise<ModelFolder> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new ModelFolderError(`${dir}: not a folder`);
  const configFile = path.join(dir, 'config.json');
  const rawConfig = readJsonObject(configFile);
  const config = await withFile(configFile, () => parseModelConfig(rawConfig));
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  const tokenizerConfigFile = path.join(dir, 'tokenizer_config.json');
  const tokenizerConfig = fs.existsSync(tokenizerConfigFile) ? readJsonObject(tokenizerConfigFile) : {};
  const tokenizer = fs.existsSync(tokenizerFile)
    ? await withFile(tokenizerFile, () => HfTokenizer.create(readJsonObject(tokenizerFile), tokenizerConfig))
    : undefined;
  const source = chatTemplateSource(dir, tokenizerConfig);
  const chatTemplate =
    source === undefined
      ? undefined
      : await withFile(tokenizerConfigFile, () => ChatTemplate.parse(source, specialTokens(tokenizerConfig)));
  return { dir, config, rawConfig, tokenizer, chatTemplate, eosIds: eosIds(dir, rawConfig, tokenizer) };
}

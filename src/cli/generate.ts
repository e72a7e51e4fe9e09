// `bnpo generate --model DIR|RUN [--step N] --prompt TEXT`: prints the completion of a model folder, or of a run's
// checkpoint on its base folder (greedy at temperature 0), so a user sees the model before and after training and anyone can check our forward pass against another
// implementation (--json adds the ids and, with --logits, every prompt position's logits).
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type ModelFolder, openModelFolder, readWeights } from '../models/folder';
import { CausalLM } from '../models/llama';
import { backendMemory, preflight } from '../models/preflight';
import { generate } from '../models/sampling';
import { BACKEND_NAMES, type BackendName } from '../protocol/runConfig';
import { isRunDir } from '../runDir/layout';
import { describeBackend, selectBackend } from '../trainer/backend';
import { Rng } from '../trainer/rng';
import { openRunModel } from './runModel';
import { parseCommandLine, UsageError } from './usage';
import { explainUserErrors } from './userErrors';

const HELP = `usage: bnpo generate --model DIR|RUN_DIR (--prompt TEXT | --prompt-ids 1,2,3) [options]

  --model DIR            a Hugging Face model folder (config.json, safetensors, tokenizer.json), or a run
                         directory that trained one (its checkpoint on the base folder)
  --step N               with a run: the checkpoint of RL step N (default: the newest valid one)
  --prompt TEXT          the prompt; with --chat it is the user message of the chat template
  --prompt-ids LIST      token ids instead of text (no tokenizer needed)
  --chat                 apply the folder's chat template (with the generation prompt)
  --system TEXT          a system message before the user's (with --chat)
  --max-new-tokens N     at most N new tokens (default 64)
  --temperature T        0 = greedy (default 0)
  --top-p P              nucleus sampling mass (default 1)
  --seed S               the sampling seed (default 0)
  --backend NAME         auto | tensorflow | webgpu | wasm | cpu (default auto)
  --json                 print {prompt_ids, completion_ids, completion} as JSON
  --logits               with --json: also the logits at every prompt position`;

function number(
  value: string | undefined,
  flag: string,
  fallback: number,
  check: (n: number) => boolean,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} '${value}' is out of range`);
  return n;
}

function promptIds(
  values: { prompt?: string; 'prompt-ids'?: string; chat?: boolean; system?: string },
  folder: ModelFolder,
  dir: string,
): { ids: number[]; text: string | undefined } {
  if (values['prompt-ids'] !== undefined) {
    const ids = values['prompt-ids'].split(',').map((s) => Number(s.trim()));
    const vocab = folder.config.vocab;
    if (ids.some((id) => !Number.isInteger(id) || id < 0 || id >= vocab)) {
      throw new UsageError(`--prompt-ids must be integers in [0, ${vocab})`);
    }
    return { ids, text: undefined };
  }
  const { tokenizer, chatTemplate } = folder;
  if (tokenizer === undefined) throw new UsageError(`${dir}: no tokenizer.json (use --prompt-ids)`);
  const text = values.prompt ?? '';
  if (values.chat !== true) return { ids: tokenizer.encode(text), text };
  if (chatTemplate === undefined) throw new UsageError(`${dir}: tokenizer_config.json has no chat_template`);
  const messages = [
    ...(values.system !== undefined ? [{ role: 'system', content: values.system }] : []),
    { role: 'user', content: text },
  ];
  // The rendered template already holds the special tokens it wants.
  const rendered = chatTemplate.render(messages);
  return { ids: tokenizer.encode(rendered, { specialTokens: false }), text: rendered };
}

async function promptLogits(model: CausalLM, ids: number[]): Promise<number[][]> {
  const logits = tf.tidy(() =>
    model.run({ ids: [ids], positions: [ids.map((_, i) => i)], keyMask: [ids.map(() => 1)] }),
  );
  const values = await logits.array();
  logits.dispose();
  return values;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      model: { type: 'string' },
      step: { type: 'string' },
      prompt: { type: 'string' },
      'prompt-ids': { type: 'string' },
      chat: { type: 'boolean' },
      system: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
      logits: { type: 'boolean' },
    },
    HELP,
  );
  if (parsed === undefined) return 0;
  const { values } = parsed;
  if (values.model === undefined) throw new UsageError('--model DIR is required (see --help)');
  if ((values.prompt === undefined) === (values['prompt-ids'] === undefined)) {
    throw new UsageError('give exactly one of --prompt and --prompt-ids (see --help)');
  }
  const backendName = (values.backend ?? 'auto') as BackendName;
  if (!BACKEND_NAMES.includes(backendName)) {
    throw new UsageError(`--backend '${backendName}' is not one of ${BACKEND_NAMES.join(', ')}`);
  }
  const maxNew = number(
    values['max-new-tokens'],
    '--max-new-tokens',
    64,
    (n) => Number.isInteger(n) && n > 0,
  );
  const temperature = number(values.temperature, '--temperature', 0, (n) => n >= 0);
  const topP = number(values['top-p'], '--top-p', 1, (n) => n > 0 && n <= 1);
  const seed = number(values.seed, '--seed', 0, Number.isInteger);
  const dir = path.resolve(values.model);
  const fromRun = isRunDir(dir);
  if (values.step !== undefined && !fromRun)
    throw new UsageError(`--step N goes with a run directory: ${dir}`);
  const backend = await selectBackend(backendName);
  if (values.json !== true) process.stderr.write(describeBackend(backend) + '\n');
  const { folder, ids, text, model } = await explainUserErrors(async () => {
    const run = fromRun ? await openRunModel(dir, values.step) : undefined;
    const folder = run?.folder ?? (await openModelFolder(dir));
    const prompt = promptIds(values, folder, folder.dir);
    // Before a weight is read: refuse what the backend cannot hold, in one line.
    const refusal = preflight(
      folder.config,
      { mode: 'inference', rows: 1, tokens: prompt.ids.length + maxNew },
      backendMemory(backend.name),
    );
    if (refusal !== undefined) throw new UsageError(refusal);
    const model = run?.load().model ?? new CausalLM(folder.config, readWeights(dir));
    return { folder, model, ...prompt };
  });
  const options = { temperature, topP, maxNew, eosIds: folder.eosIds, rng: new Rng(seed) };
  const out = await generate(model, [ids], options);
  const completionIds = out.tokens[0] ?? [];
  const completion = folder.tokenizer?.decode(completionIds) ?? completionIds.join(' ');
  if (values.json === true) {
    const record: Record<string, unknown> = {
      prompt_text: text ?? null,
      prompt_ids: ids,
      completion_ids: completionIds,
      completion,
    };
    if (values.logits === true) record['logits'] = await promptLogits(model, ids);
    process.stdout.write(JSON.stringify(record) + '\n');
  } else {
    process.stdout.write(completion + '\n');
  }
  model.dispose();
  return 0;
}

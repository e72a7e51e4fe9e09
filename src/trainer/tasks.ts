// Verifiable tasks: built-in generators (with a fixed train/held-out split by problem hash) and user JSONL datasets.
// Every example carries the `sample` the reward rules read (its `answer` and any optional fields).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetConfig, TaskName } from '../protocol/runConfig';
import { Rng } from './rng';
import { BUILTIN_ALPHABET, CharTokenizer } from './tokenizer';

export interface Example {
  /** Stable across steps and runs (the prompt itself for built-in tasks, the line for datasets). */
  readonly id: string;
  readonly prompt: string;
  /** The demonstration used by the supervised warm start. */
  readonly target: string;
  readonly sample: Readonly<Record<string, unknown>>;
}

export interface TaskSource {
  readonly name: string;
  readonly tokenizer: CharTokenizer;
  readonly maxPrompt: number;
  readonly maxNew: number;
  /** Fixed held-out examples (the same for every seed, so base and final accuracy compare on one set). */
  readonly heldOut: readonly Example[];
  nextTrain(rng: Rng): Example;
  /** Default rule file of a built-in task; datasets bring their own. */
  readonly defaultRules: string | null;
}

/** Thrown for a dataset the run cannot start with; the message has one `file:line: problem` per line. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

const HELD_OUT_SEED = 0x5eed;

/** FNV-1a: a stable hash so the split never depends on the seed or the platform. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function isHeldOut(key: string): boolean {
  return hash(key) % 10 === 0;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

interface Generator {
  readonly maxPrompt: number;
  readonly maxNew: number;
  draw(rng: Rng): { prompt: string; answer: string; extra?: Record<string, unknown> };
}

function arithmetic(op: '+' | '*', digits: number): Generator {
  const top = 10 ** digits;
  const answerDigits = op === '+' ? digits + 1 : 2 * digits;
  return {
    maxPrompt: 2 * digits + 2,
    maxNew: answerDigits + 1,
    draw(rng) {
      const a = rng.int(top);
      const b = rng.int(top);
      return {
        prompt: `${pad(a, digits)}${op}${pad(b, digits)}=`,
        answer: String(op === '+' ? a + b : a * b),
      };
    },
  };
}

function modular(digits: number): Generator {
  const top = 10 ** digits;
  return {
    maxPrompt: 2 * digits + 5,
    maxNew: 3,
    draw(rng) {
      const a = rng.int(top);
      const b = rng.int(top);
      const m = 2 + rng.int(98);
      return { prompt: `${pad(a, digits)}*${pad(b, digits)}%${pad(m, 2)}=`, answer: String((a * b) % m) };
    },
  };
}

function sorting(length: number): Generator {
  return {
    maxPrompt: 2 * length,
    maxNew: 2 * length,
    draw(rng) {
      const items = Array.from({ length }, () => rng.int(10));
      const sorted = [...items].sort((x, y) => x - y);
      return { prompt: `${items.join(',')}=`, answer: sorted.join(',') };
    },
  };
}

function evaluate(nums: readonly number[], ops: readonly string[]): number {
  // Standard precedence for a op b op c: multiplication first.
  const terms: number[] = [nums[0]!];
  const signs: number[] = [1];
  for (let i = 0; i < ops.length; i++) {
    const n = nums[i + 1]!;
    if (ops[i] === '*') terms[terms.length - 1]! *= n;
    else {
      terms.push(n);
      signs.push(ops[i] === '+' ? 1 : -1);
    }
  }
  return terms.reduce((s, t, i) => s + signs[i]! * t, 0);
}

const PERMS3 = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
];
const OPS = ['+', '-', '*'];

/** Every expression using each number once with + - * that reaches the target, sorted. */
export function countdownSolutions(nums: readonly number[], target: number): string[] {
  const found = new Set<string>();
  for (const perm of PERMS3) {
    const ordered = perm.map((i) => nums[i]!);
    for (const o1 of OPS) {
      for (const o2 of OPS) {
        if (evaluate(ordered, [o1, o2]) === target)
          found.add(`${ordered[0]}${o1}${ordered[1]}${o2}${ordered[2]}`);
      }
    }
  }
  return [...found].sort();
}

function countdown(): Generator {
  return {
    maxPrompt: 10,
    maxNew: 6,
    draw(rng) {
      for (;;) {
        const nums = [1 + rng.int(9), 1 + rng.int(9), 1 + rng.int(9)];
        const target = evaluate(nums, [OPS[rng.int(3)]!, OPS[rng.int(3)]!]);
        if (target < 1 || target > 999) continue;
        const solutions = countdownSolutions(nums, target);
        return {
          prompt: `${nums.join(',')}:${pad(target, 3)}=`,
          answer: solutions[0]!,
          extra: { solutions },
        };
      }
    },
  };
}

function generatorFor(task: TaskName, digits: number | undefined): Generator {
  switch (task) {
    case 'addition':
      return arithmetic('+', digits ?? 3);
    case 'multiplication':
      return arithmetic('*', digits ?? 2);
    case 'modular':
      return modular(digits ?? 2);
    case 'sorting':
      return sorting(digits ?? 5);
    case 'countdown':
      return countdown();
  }
}

/** Where the built-in rule files live: media/tasks next to the bundle's folder, or in the source tree. */
export function builtinRulesDir(): string {
  const candidates = [
    path.join(__dirname, '..', 'media', 'tasks'),
    path.join(__dirname, '..', '..', 'media', 'tasks'),
    path.join(__dirname, '..', '..', '..', 'media', 'tasks'),
  ];
  return candidates.find((d) => fs.existsSync(d)) ?? candidates[0]!;
}

export function builtinTask(task: TaskName, digits?: number): TaskSource {
  const gen = generatorFor(task, digits);
  const toExample = (d: ReturnType<Generator['draw']>): Example => ({
    id: d.prompt,
    prompt: d.prompt,
    target: d.answer,
    sample: { answer: d.answer, ...d.extra },
  });
  const heldOut: Example[] = [];
  const seen = new Set<string>();
  const rng = new Rng(HELD_OUT_SEED);
  for (let tries = 0; heldOut.length < 500 && tries < 200000; tries++) {
    const d = gen.draw(rng);
    if (!isHeldOut(d.prompt) || seen.has(d.prompt)) continue;
    seen.add(d.prompt);
    heldOut.push(toExample(d));
  }
  return {
    name: task,
    tokenizer: CharTokenizer.fromAlphabet(BUILTIN_ALPHABET),
    maxPrompt: gen.maxPrompt,
    maxNew: gen.maxNew,
    heldOut,
    nextTrain(r) {
      for (;;) {
        const d = gen.draw(r);
        if (!isHeldOut(d.prompt)) return toExample(d);
      }
    },
    defaultRules: path.join(builtinRulesDir(), `${task}.rewards.json`),
  };
}

/**
 * The file as UTF-8 text; bytes that are not UTF-8 are an error naming the first bad line (read leniently they would
 * become U+FFFD, which the model would then learn to write).
 */
function readUtf8(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new DatasetError(`${file}: cannot read the dataset: ${(err as Error).message}`);
  }
  const strict = new TextDecoder('utf-8', { fatal: true });
  try {
    return strict.decode(bytes);
  } catch {
    let start = 0;
    for (let line = 1; ; line++) {
      const end = bytes.indexOf(0x0a, start);
      const slice = bytes.subarray(start, end < 0 ? bytes.length : end);
      try {
        strict.decode(slice);
      } catch {
        throw new DatasetError(`${file}:${line}: not UTF-8 text (save the file as UTF-8)`);
      }
      if (end < 0) throw new DatasetError(`${file}: not UTF-8 text (save the file as UTF-8)`);
      start = end + 1;
    }
  }
}

/** Parses a dataset file; every bad line is reported as `file:line: problem`, up to 20. */
export function readDataset(file: string): Example[] {
  const text = readUtf8(file);
  const examples: Example[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      problems.push(`${where}: not JSON: ${(err as Error).message}`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${where}: expected an object with "prompt" and "answer"`);
      return;
    }
    const row = value as Record<string, unknown>;
    if (typeof row.prompt !== 'string' || row.prompt === '') {
      problems.push(`${where}: field "prompt" must be a non-empty string`);
      return;
    }
    if (typeof row.answer !== 'string' && typeof row.answer !== 'number') {
      problems.push(`${where}: field "answer" must be a string or a number`);
      return;
    }
    if (row.completion !== undefined && typeof row.completion !== 'string') {
      problems.push(`${where}: field "completion" (the demonstration) must be a string when present`);
      return;
    }
    const target = typeof row.completion === 'string' ? row.completion : String(row.answer);
    examples.push({ id: `${path.basename(file)}:${i + 1}`, prompt: row.prompt, target, sample: row });
  });
  if (problems.length > 0) {
    const more = problems.length > 20 ? [`… and ${problems.length - 20} more`] : [];
    throw new DatasetError([...problems.slice(0, 20), ...more].join('\n'));
  }
  if (examples.length === 0) throw new DatasetError(`${file}: the dataset has no examples`);
  return examples;
}

/** A user dataset: JSONL files resolved against `baseDir` (the config file's folder). */
export function datasetTask(config: DatasetConfig, baseDir: string, maxNewOverride?: number): TaskSource {
  const trainFile = path.resolve(baseDir, config.train);
  let train = readDataset(trainFile);
  let heldOut: Example[];
  if (config.heldOut !== undefined) {
    heldOut = readDataset(path.resolve(baseDir, config.heldOut));
  } else {
    const buckets = Math.round(1 / config.heldOutFraction);
    heldOut = train.filter((e) => hash(e.id) % buckets === 0);
    train = train.filter((e) => hash(e.id) % buckets !== 0);
    if (heldOut.length === 0 || train.length === 0) {
      throw new DatasetError(`${trainFile}: too few examples to hold out ${config.heldOutFraction} of them`);
    }
  }
  const all = [...train, ...heldOut];
  const tokenizer = CharTokenizer.fromTexts(all.flatMap((e) => [e.prompt, e.target]));
  const maxPrompt = Math.max(...all.map((e) => Array.from(e.prompt).length));
  const maxTarget = Math.max(...all.map((e) => Array.from(e.target).length));
  return {
    name: path.basename(trainFile),
    tokenizer,
    maxPrompt,
    maxNew: maxNewOverride ?? maxTarget + 1,
    heldOut,
    // Drawn with replacement from the run's Rng alone, so a resumed run continues the same sequence.
    nextTrain: (rng) => train[rng.int(train.length)]!,
    defaultRules: null,
  };
}

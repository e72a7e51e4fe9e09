// Reads sample completions for a dry run of the rules, tolerantly: flat lines or a run's samples.jsonl records
// (the shapes below). Bad lines are reported with their line number and skipped.
import type { SampleItem } from './report';
import { z } from 'zod';

export type { SampleItem };

const sample = z.record(z.string(), z.unknown());

/**
 * One line of a samples file for testing rules. Accepted shapes:
 * - flat: `{"completion": "...", "sample": {...}}` or `{"completion": "...", "answer": "...", ...}` (the other
 *   fields are the sample); `text` or `response` may stand for `completion`;
 * - a run's samples.jsonl record: `{"prompt", "sample": {...}, "completions": [{"text": "..."}, ...]}`.
 */
export const ruleSamplesRunLineSchema = z.looseObject({
  prompt: z.string().optional(),
  promptId: z.string().optional(),
  step: z.number().optional(),
  sample: sample.optional(),
  completions: z.array(z.looseObject({ text: z.string() })),
});
export const ruleSamplesFlatLineSchema = z.union([
  z.looseObject({ completion: z.string(), sample: sample.optional() }),
  z.looseObject({ text: z.string(), sample: sample.optional() }),
  z.looseObject({ response: z.string(), sample: sample.optional() }),
]);

export interface SamplesParse {
  items: SampleItem[];
  problems: { line: number; message: string }[];
}

const completionKeys = ['completion', 'text', 'response'] as const;
// record bookkeeping of a run's samples, not dataset fields
const metaKeys = new Set([
  'v',
  'step',
  'promptId',
  'rewards',
  'reasons',
  'advantage',
  'correct',
  'tokens',
  'sample',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseSamplesText(text: string): SamplesParse {
  const items: SampleItem[] = [];
  const problems: SamplesParse['problems'] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      // a torn last line (a run still writing) is expected, not a problem
      if (i === lines.length - 1) return;
      problems.push({ line, message: `not JSON: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const run = ruleSamplesRunLineSchema.safeParse(value);
    if (run.success) {
      const r = run.data;
      const sample: Record<string, unknown> = {
        ...(r.prompt !== undefined ? { prompt: r.prompt } : {}),
        ...r.sample,
      };
      r.completions.forEach((c, k) => {
        const where = [r.step !== undefined ? `step ${r.step}` : '', r.promptId ?? `line ${line}`].filter(
          Boolean,
        );
        items.push({ completion: c.text, sample, line, label: `${where.join(', ')} #${k + 1}` });
      });
      return;
    }
    const flat = ruleSamplesFlatLineSchema.safeParse(value);
    if (flat.success && isObject(value)) {
      const key = completionKeys.find((k) => typeof value[k] === 'string') ?? 'completion';
      const rest = Object.fromEntries(
        Object.entries(value).filter(
          ([k]) => !metaKeys.has(k) && !(completionKeys as readonly string[]).includes(k),
        ),
      );
      const nested = isObject(value.sample) ? value.sample : {};
      items.push({
        completion: String(value[key]),
        sample: { ...rest, ...nested },
        line,
        label: `line ${line}`,
      });
      return;
    }
    problems.push({
      line,
      message: 'expected {"completion": "...", "sample": {...}} or a run samples record with "completions"',
    });
  });
  return { items, problems };
}

/**
 * The field names of a JSONL dataset, from its first complete lines (the union of their keys, in first-seen
 * order). Enough to check which sample fields a rule file may reference.
 */
export function datasetFieldsFromText(text: string, maxLines = 20): string[] {
  const fields: string[] = [];
  let seen = 0;
  for (const raw of text.split(/\r?\n/)) {
    if (seen >= maxLines) break;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      continue;
    }
    seen++;
    if (!isObject(value)) continue;
    for (const key of Object.keys(value)) if (!fields.includes(key)) fields.push(key);
  }
  return fields;
}

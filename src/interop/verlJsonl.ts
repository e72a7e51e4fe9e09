// verl's file logger (`FileLogger` in verl/utils/tracking.py, verl 0.9.1): one line per step,
// `{"step": N, "data": {metric: value, ...}}`, written with orjson and flushed per line. No wall time.
import { z } from 'zod';
import { parseJsonl } from '../protocol/jsonl';
import type { JsonlProblem } from '../protocol/jsonl';
import type { ScalarPoint } from './scalars';
import { scalarOf } from './scalars';

const VerlLineSchema = z.object({
  step: z.number().int().nonnegative(),
  data: z.record(z.string(), z.unknown()),
});

export interface VerlChunk {
  readonly points: ScalarPoint[];
  readonly problems: JsonlProblem[];
  /** Bytes consumed (whole lines): continue from `start + consumed`. */
  readonly consumed: number;
  /** Lines consumed, to continue the line numbering. */
  readonly lines: number;
}

/** Whether a line has verl's file-logger shape: how a folder's JSONL file is recognised. */
export function isVerlLine(line: string): boolean {
  try {
    return VerlLineSchema.safeParse(JSON.parse(line)).success;
  } catch {
    return false;
  }
}

/** Parses the complete lines of `bytes` (the file from some byte on, whose first line is `firstLine`). */
export function readVerlLines(bytes: Uint8Array, file: string, firstLine = 1): VerlChunk {
  const end = bytes.lastIndexOf(0x0a) + 1;
  const text = new TextDecoder().decode(bytes.subarray(0, end));
  const chunk = parseJsonl(text, VerlLineSchema, { file, firstLine });
  const points: ScalarPoint[] = [];
  for (const { step, data } of chunk.records) {
    for (const [tag, raw] of Object.entries(data)) {
      const value = scalarOf(raw);
      if (value !== undefined) points.push({ tag, step, value, wallTime: undefined });
    }
  }
  return { points, problems: chunk.problems, consumed: end, lines: chunk.lineCount };
}

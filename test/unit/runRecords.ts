// Reading a run's records in tests: every line must parse, and `comparable` keeps what must repeat exactly between
// two runs of the same seed (everything but clocks and speeds).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJsonl } from '../../src/protocol/jsonl';
import { EvalRecordSchema, GroupsRecordSchema, MetricsRecordSchema } from '../../src/protocol/runDir';

export function readRecords<T>(dir: string, file: string, schema: Parameters<typeof parseJsonl<T>>[1]): T[] {
  const full = path.join(dir, file);
  if (!fs.existsSync(full)) return [];
  const r = parseJsonl(fs.readFileSync(full, 'utf8'), schema, { file: full });
  assert.deepEqual(r.problems, []);
  return r.records;
}

/** What must repeat exactly across runs: everything but clocks and speeds. */
export function comparable(dir: string) {
  const metrics = readRecords(dir, 'metrics.jsonl', MetricsRecordSchema).map((m) => {
    const { time: _t, wall: _w, tokensPerSecond: _s, timings: _m, ...rest } = m;
    return rest;
  });
  const groups = readRecords(dir, 'groups.jsonl', GroupsRecordSchema);
  const evals = readRecords(dir, 'eval.jsonl', EvalRecordSchema).map(({ time: _t, ...rest }) => rest);
  return { metrics, groups, evals };
}

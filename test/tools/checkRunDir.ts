// Reads a run directory written by another engine (the verl sink, the TRL callback) with the studio's own schemas
// and tolerant JSONL reader, so the Python tier can check that what it wrote is what the studio accepts:
//   node out/test/tools/checkRunDir.js DIR
// Prints {"run": <run.json>, "records": {"metrics": N, ...}} and exits 0, or prints one line per refused record
// (file:line: why) and exits 1.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { parseJsonl } from '../../src/protocol/jsonl';
import {
  EvalRecordSchema,
  GroupsRecordSchema,
  MetricsRecordSchema,
  RunInfoSchema,
  SamplesRecordSchema,
} from '../../src/protocol/runDir';
import { RUN_FILES } from '../../src/runDir/layout';

const STREAMS: Record<string, z.ZodType<unknown>> = {
  [RUN_FILES.metrics]: MetricsRecordSchema,
  [RUN_FILES.groups]: GroupsRecordSchema,
  [RUN_FILES.samples]: SamplesRecordSchema,
  [RUN_FILES.eval]: EvalRecordSchema,
};

function check(dir: string): { problems: string[]; summary: Record<string, unknown> } {
  const problems: string[] = [];
  const runFile = path.join(dir, RUN_FILES.run);
  const info = RunInfoSchema.safeParse(JSON.parse(readFileSync(runFile, 'utf8')));
  if (!info.success) problems.push(`${runFile}: ${info.error.issues[0]?.message ?? 'refused'}`);
  const records: Record<string, number> = {};
  for (const [name, schema] of Object.entries(STREAMS)) {
    const file = path.join(dir, name);
    if (!existsSync(file)) continue;
    const chunk = parseJsonl(readFileSync(file, 'utf8'), schema, { file });
    for (const p of chunk.problems) problems.push(`${p.file}:${p.line}: ${p.message}`);
    if (chunk.tornTail) problems.push(`${file}: ends in a torn line`);
    records[name.replace(/\.jsonl$/, '')] = chunk.records.length;
  }
  return { problems, summary: { run: info.success ? info.data : null, records } };
}

function main(): void {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node out/test/tools/checkRunDir.js DIR\n');
    process.exit(2);
  }
  const { problems, summary } = check(dir);
  if (problems.length > 0) {
    for (const line of problems) process.stdout.write(`${line}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main();

// `bnpo export-tensorboard RUN --out DIR`: write a run's metrics (and held-out evaluations) as a TensorBoard event
// file, so `tensorboard --logdir DIR` shows it next to runs from other tools.
import type { z } from 'zod';
import { EvalRecordSchema, MetricsRecordSchema } from '../protocol/runDir';
import { readJsonlFile } from '../runDir/jsonl';
import { isRunDir, runFile } from '../runDir/layout';
import { evalScalars, metricsScalars, writeEventFile } from '../interop/tensorboardExport';
import { parseCommandLine, UsageError } from './usage';

export const USAGE = `usage: bnpo export-tensorboard RUN --out DIR

Writes the run folder RUN's metrics.jsonl (and eval.jsonl, under eval/) as scalars in one TensorBoard event file in
DIR, with each step's number and wall time. Tags are the metric names of metrics.jsonl (reward, rewards/<rule>, loss,
gradNorm, entropy, clipFraction, ...). A line still being written at the end of a live run is left out.

options:
  --out DIR     folder for the event file (created)
  -h, --help    print this help
`;

/** Every complete record of one of the run's streams; a line that does not parse is an error naming it. */
function readRecords<T>(file: string, schema: z.ZodType<T>): T[] {
  const read = readJsonlFile(file, schema);
  const problem = read.problems[0];
  if (problem !== undefined) throw new UsageError(problem);
  return read.records;
}

export function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, { out: { type: 'string' } }, USAGE, { positionals: true });
  if (parsed === undefined) return Promise.resolve(0);
  const [runDir, extra] = parsed.positionals;
  if (runDir === undefined || extra !== undefined)
    throw new UsageError('export-tensorboard needs exactly one RUN');
  const out = parsed.values.out;
  if (out === undefined) throw new UsageError('export-tensorboard needs --out DIR');
  if (!isRunDir(runDir)) throw new UsageError(`${runDir}: not a run folder (no run.json)`);
  const metrics = readRecords(runFile(runDir, 'metrics'), MetricsRecordSchema);
  const evals = readRecords(runFile(runDir, 'eval'), EvalRecordSchema);
  const steps = [...metrics.map(metricsScalars), ...evals.map(evalScalars)].sort(
    (a, b) => a.step - b.step || a.wallTime - b.wallTime,
  );
  const file = writeEventFile(out, steps);
  process.stdout.write(`wrote ${metrics.length} steps and ${evals.length} evaluations → ${file}\n`);
  return Promise.resolve(0);
}

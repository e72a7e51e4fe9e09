// A run folder made from another tool's log (`bnpo import`): TensorBoard event files, TRL's trainer_state.json or
// verl's file-logger JSONL. Written by src/interop, read by whoever shows runs. It holds what the source logged and
// nothing made up: a metric the source did not log is absent, never zero.
//
//   import.json     ImportInfo: where the log came from and how its names were mapped
//   scalars.jsonl   ImportedMetricsRecord, one per logged step, in step order
import { z } from 'zod';
import { MetricsRecordSchema, RUN_DIR_VERSION } from './runDir';

export const IMPORTED_RUN_FILES = { info: 'import.json', scalars: 'scalars.jsonl' } as const;

export const IMPORT_SOURCES = ['tensorboard', 'trl', 'verl'] as const;
export type ImportSource = (typeof IMPORT_SOURCES)[number];

const version = z.literal(RUN_DIR_VERSION).describe('Schema version of this record.');

export const ImportedMetricsRecordSchema = MetricsRecordSchema.pick({
  reward: true,
  accuracy: true,
  loss: true,
  clipFraction: true,
  gradNorm: true,
  entropy: true,
  completionLength: true,
  zeroVarianceShare: true,
  tokensPerSecond: true,
  lr: true,
})
  .partial()
  .extend({
    v: version,
    step: z.number().int().nonnegative().describe('The step the source logged (TensorBoard allows 0).'),
    wall: z
      .number()
      .nullable()
      .describe('Unix seconds of the last value at this step; null when not logged.'),
    rewards: z.record(z.string(), z.number()).describe('Per-rule mean reward, where the source logged one.'),
    extra: z
      .record(z.string(), z.number())
      .describe('Every other scalar, under the name the source gave it.'),
  });
export type ImportedMetricsRecord = z.infer<typeof ImportedMetricsRecordSchema>;

export const ImportInfoSchema = z.object({
  v: version,
  id: z.string(),
  source: z.enum(IMPORT_SOURCES),
  path: z.string().describe('The folder or file that was imported (absolute).'),
  importedAt: z.string().describe('ISO time of the import.'),
  steps: z.number().int().nonnegative().describe('Steps in scalars.jsonl.'),
  lastStep: z.number().int().nonnegative().nullable(),
  rules: z.array(z.string()).describe('Rules with a per-rule reward series, in first-seen order.'),
  series: z
    .array(z.object({ tag: z.string(), as: z.string() }))
    .describe('Every source name and what it became: a record field, rewards.<rule> or extra.<name>.'),
});
export type ImportInfo = z.infer<typeof ImportInfoSchema>;

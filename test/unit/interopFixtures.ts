// Paths and expected values of the foreign-log fixtures under test/fixtures/interop, written by the real writers
// (test/python/interop_writers.py: tensorboardX, TensorBoard's EventFileWriter, transformers' TrainerState, orjson
// in verl's file-logger format). expected.json holds the values each was given, by source name and step.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ScalarPoint } from '../../src/interop/scalars';

export const interopFixtures = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'interop');

const ExpectedSchema = z.object({
  trl: z.record(z.string(), z.record(z.string(), z.number())),
  verl: z.record(z.string(), z.record(z.string(), z.number())),
});

export const expected = ExpectedSchema.parse(
  JSON.parse(readFileSync(path.join(interopFixtures, 'expected.json'), 'utf8')),
);

/** The one event file of a fixture folder. */
export function eventFile(folder: string): string {
  const dir = path.join(interopFixtures, folder);
  const names = readdirSync(dir).filter((n) => n.startsWith('events.out.tfevents.'));
  if (names.length !== 1 || names[0] === undefined) throw new Error(`${dir}: expected one event file`);
  return path.join(dir, names[0]);
}

/** Points as {step: {tag: value}}, for comparing with expected.json. */
export function byStep(points: readonly ScalarPoint[], prefix = ''): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const p of points) (out[String(p.step)] ??= {})[p.tag.slice(prefix.length)] = p.value;
  return out;
}

/** Expected values rounded to float32, as TensorBoard's simple_value and DT_FLOAT tensors store them. */
export function asFloat32(
  values: Record<string, Record<string, number>>,
): Record<string, Record<string, number>> {
  return Object.fromEntries(
    Object.entries(values).map(([step, row]) => [
      step,
      Object.fromEntries(Object.entries(row).map(([tag, v]) => [tag, Math.fround(v)])),
    ]),
  );
}

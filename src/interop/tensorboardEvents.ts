// TensorBoard event files (`events.out.tfevents.*`): TFRecord-framed `Event` protos, decoded with the generated
// protobuf-es code. Scalars come as `simple_value` (tensorboardX, torch's SummaryWriter, TF1) or as a one-element
// tensor (TensorBoard's v2 summaries); everything else (images, histograms, graphs) is skipped.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { Event } from './gen/tensorboard_pb';
import { EventSchema, SummarySchema, Summary_ValueSchema } from './gen/tensorboard_pb';
import { frameRecord, readRecords } from './recordFraming';
import type { ScalarPoint } from './scalars';
import { InteropError } from './scalars';
import { tensorScalar } from './tensorValue';

/** The name TensorBoard gives event files; tools add the host name, pid and a suffix after it. */
export const EVENT_FILE_PREFIX = 'events.out.tfevents.';

export function isEventFileName(name: string): boolean {
  return name.startsWith(EVENT_FILE_PREFIX);
}

export interface EventsChunk {
  readonly points: ScalarPoint[];
  /** Bytes consumed (whole records): continue from `start + consumed`. */
  readonly consumed: number;
}

function scalarsOf(event: Event): ScalarPoint[] {
  if (event.what.case !== 'summary') return [];
  const step = Number(event.step);
  const points: ScalarPoint[] = [];
  for (const value of event.what.value.value) {
    const v = value.value;
    const number =
      v.case === 'simpleValue' ? v.value : v.case === 'tensor' ? tensorScalar(v.value) : undefined;
    if (number !== undefined) points.push({ tag: value.tag, step, value: number, wallTime: event.wallTime });
  }
  return points;
}

/** Decodes the scalars in `bytes`, the event file's content from byte `start` on. */
export function readEventScalars(bytes: Uint8Array, start: number, file: string): EventsChunk {
  const chunk = readRecords(bytes, start, file);
  const points: ScalarPoint[] = [];
  for (const record of chunk.records) {
    let event: Event;
    try {
      event = fromBinary(EventSchema, record.data);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new InteropError(`${file}: record at byte ${record.offset} is not a TensorBoard Event: ${why}`);
    }
    points.push(...scalarsOf(event));
  }
  return { points, consumed: chunk.consumed };
}

/** The framed first record of every event file: its format version, which TensorBoard checks. */
export function fileVersionRecord(wallTime: number): Uint8Array {
  const event = create(EventSchema, { wallTime, what: { case: 'fileVersion', value: 'brain.Event:2' } });
  return frameRecord(toBinary(EventSchema, event));
}

/** One framed Event holding the scalars logged at `step`, as `simple_value`s (what EventAccumulator reads). */
export function scalarEventRecord(
  step: number,
  wallTime: number,
  values: readonly { tag: string; value: number }[],
): Uint8Array {
  const summary = create(SummarySchema, {
    value: values.map(({ tag, value }) =>
      create(Summary_ValueSchema, { tag, value: { case: 'simpleValue', value } }),
    ),
  });
  const event = create(EventSchema, {
    wallTime,
    step: BigInt(step),
    what: { case: 'summary', value: summary },
  });
  return frameRecord(toBinary(EventSchema, event));
}

// TensorBoard event files written by tensorboardX and by TensorBoard's own writer read back with equal values;
// framing checksums catch corruption; a record cut short (a live run) waits for the rest.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { TensorBoardFollower } from '../../src/interop/logFollowers';
import { frameRecord, maskedCrc, readRecords } from '../../src/interop/recordFraming';
import { InteropError } from '../../src/interop/scalars';
import { readEventScalars } from '../../src/interop/tensorboardEvents';
import { writeEventFile } from '../../src/interop/tensorboardExport';
import { asFloat32, byStep, eventFile, expected } from './interopFixtures';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bnpo-interop-tb-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function readAll(file: string) {
  const bytes = readFileSync(file);
  return { bytes, chunk: readEventScalars(bytes, 0, file) };
}

describe('TFRecord framing', () => {
  it('masks CRC32C as TFRecord does (CRC32C("123456789") = 0xE3069283, the standard check value)', () => {
    const crc = 0xe3069283;
    const masked = (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
    assert.equal(maskedCrc(new TextEncoder().encode('123456789')), masked);
  });

  it('frames and reads back records, and leaves a cut-short record unconsumed', () => {
    const a = frameRecord(new Uint8Array([1, 2, 3]));
    const b = frameRecord(new Uint8Array([4, 5, 6, 7]));
    const both = Buffer.concat([a, b]);
    const whole = readRecords(both, 100, 'x');
    assert.deepEqual(
      whole.records.map((r) => [r.offset, [...r.data]]),
      [
        [100, [1, 2, 3]],
        [100 + a.length, [4, 5, 6, 7]],
      ],
    );
    for (const cut of [a.length + 5, a.length + 13, both.length - 1]) {
      const torn = readRecords(both.subarray(0, cut), 0, 'x');
      assert.equal(torn.records.length, 1, `cut at ${cut}`);
      assert.equal(torn.consumed, a.length);
      assert.equal(torn.tornTail, true);
    }
  });
});

describe('TensorBoard event files from the real writers', () => {
  it('tensorboardX scalars (simple_value) equal the values logged, with step and wall time', () => {
    const { chunk } = readAll(eventFile('tensorboardx'));
    assert.deepEqual(byStep(chunk.points, 'train/'), asFloat32(expected.trl));
    for (const p of chunk.points) assert.equal(p.wallTime, 1_700_000_000 + p.step);
  });

  it("TensorBoard's v2 tensor scalars equal the values logged (float32 and float64)", () => {
    const { chunk } = readAll(eventFile('tensorboard'));
    const want = asFloat32(expected.verl);
    for (const [step, row] of Object.entries(expected.verl)) {
      for (const [tag, value] of Object.entries(row)) {
        if (tag.startsWith('timing_s/')) (want[step] ??= {})[tag] = value;
      }
    }
    assert.deepEqual(byStep(chunk.points), want);
    for (const p of chunk.points) assert.equal(p.wallTime, 1_700_000_100 + p.step);
  });

  it('names the file and the byte offset of a record whose checksum fails', () => {
    const file = eventFile('tensorboardx');
    const bytes = Buffer.from(readFileSync(file));
    const records = readRecords(bytes, 0, file).records;
    const third = records[2];
    assert.ok(third);
    const at = third.offset + 12 + 2; // a byte inside the third record's data
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    const copy = path.join(tmp, 'corrupt');
    assert.throws(
      () => readEventScalars(bytes, 0, copy),
      (err: unknown) =>
        err instanceof InteropError &&
        err.message === `${copy}: corrupt record at byte ${third.offset}: data checksum does not match`,
    );
  });

  it('follows a live event file: a torn last record is read once the writer completes it', () => {
    const source = readFileSync(eventFile('tensorboardx'));
    const dir = path.join(tmp, 'live');
    const file = path.join(dir, 'events.out.tfevents.1.host');
    mkdirSync(dir);
    const cut = Math.floor(source.length * 0.6);
    writeFileSync(file, source.subarray(0, cut));
    const follower = new TensorBoardFollower(dir);
    const first = follower.poll();
    assert.ok(first.length > 0 && first.length < readAll(eventFile('tensorboardx')).chunk.points.length);
    assert.deepEqual(follower.poll(), [], 'nothing new until the file grows');
    appendFileSync(file, source.subarray(cut));
    const rest = follower.poll();
    assert.deepEqual([...first, ...rest], readAll(eventFile('tensorboardx')).chunk.points);
  });
});

describe('TensorBoard export', () => {
  it('writes scalars that read back with their steps, wall times and float32 values', () => {
    const steps = [
      { step: 1, wallTime: 1_700_000_000.25, values: [{ tag: 'reward', value: 0.1 }] },
      { step: 2, wallTime: 1_700_000_001.5, values: [{ tag: 'loss', value: -3.75 }] },
    ];
    const file = writeEventFile(path.join(tmp, 'export'), steps);
    assert.match(path.basename(file), /^events\.out\.tfevents\.1700000000\./);
    const { chunk } = readAll(file);
    assert.deepEqual(chunk.points, [
      { tag: 'reward', step: 1, value: Math.fround(0.1), wallTime: 1_700_000_000.25 },
      { tag: 'loss', step: 2, value: -3.75, wallTime: 1_700_000_001.5 },
    ]);
  });
});

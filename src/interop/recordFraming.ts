// TFRecord framing of TensorBoard event files: each record is
//   uint64 length (little-endian) · uint32 masked CRC32C of those 8 bytes · data · uint32 masked CRC32C of data.
// A writer appends whole records, so a record cut short at the end of the file is still being written (or was torn
// by a kill): it is left unconsumed for the next read. A record whose checksum does not match is corruption.
import { crc32c } from '@aws-crypto/crc32c';
import { InteropError } from './scalars';

const HEADER = 12;
const FOOTER = 4;
const MASK_DELTA = 0xa282ead8;

/** TFRecord's checksum mask: rotate right by 15 bits and add a constant, so CRCs of CRCs stay well spread. */
export function maskedCrc(data: Uint8Array): number {
  const crc = crc32c(data);
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

export interface FramedRecord {
  /** Byte offset of the record's header in the file. */
  readonly offset: number;
  readonly data: Uint8Array;
}

export interface FramedChunk {
  readonly records: FramedRecord[];
  /** Bytes of the chunk consumed: whole records only. Read again from `start + consumed` later. */
  readonly consumed: number;
  /** The chunk ended inside a record (still being written, or torn). */
  readonly tornTail: boolean;
}

/**
 * Splits `bytes` (the file's content from byte `start` on) into records, checking both checksums of each.
 * Throws an InteropError naming `file` and the record's offset when a checksum fails.
 */
export function readRecords(bytes: Uint8Array, start: number, file: string): FramedChunk {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: FramedRecord[] = [];
  let pos = 0;
  while (bytes.length - pos >= HEADER) {
    const offset = start + pos;
    const length = view.getBigUint64(pos, true);
    if (view.getUint32(pos + 8, true) !== maskedCrc(bytes.subarray(pos, pos + 8))) {
      throw new InteropError(`${file}: corrupt record at byte ${offset}: length checksum does not match`);
    }
    if (length > BigInt(bytes.length - pos - HEADER - FOOTER)) break;
    const end = pos + HEADER + Number(length);
    const data = bytes.subarray(pos + HEADER, end);
    if (view.getUint32(end, true) !== maskedCrc(data)) {
      throw new InteropError(`${file}: corrupt record at byte ${offset}: data checksum does not match`);
    }
    records.push({ offset, data });
    pos = end + FOOTER;
  }
  return { records, consumed: pos, tornTail: pos < bytes.length };
}

/** Frames one record's data the way TensorBoard's writer does. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + data.length + FOOTER);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc(out.subarray(0, 8)), true);
  out.set(data, HEADER);
  view.setUint32(HEADER + data.length, maskedCrc(data), true);
  return out;
}

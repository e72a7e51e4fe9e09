// The safetensors format: an 8-byte little-endian header length, a JSON header (name → dtype, shape, byte offsets
// into the data that follows; plus an optional `__metadata__` of strings), then raw little-endian buffers. Small
// enough to read and write here; no maintained npm package for Node covers it. Everything is widened to float32 on
// read, the only dtype our network computes in.
import * as fs from 'node:fs';
import { z } from 'zod';

export type DiskDtype = 'F32' | 'F16' | 'BF16';

export interface NamedTensor {
  readonly shape: number[];
  readonly values: Float32Array;
}

export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

const entry = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});
type Entry = z.infer<typeof entry>;

const BYTES: Record<DiskDtype, number> = { F32: 4, F16: 2, BF16: 2 };

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function decode(bytes: Buffer, dtype: DiskDtype, count: number): Float32Array {
  // Buffer.alloc never hands out pooled memory, so the view starts at offset 0 and is aligned (little-endian hosts).
  if (dtype === 'F32') return new Float32Array(bytes.buffer, bytes.byteOffset, count).slice();
  const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Float32Array(count);
  if (dtype === 'BF16') {
    // bf16 is the top half of a float32.
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) u32[i] = halves[i]! << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(halves[i]!);
  }
  return out;
}

export interface SafetensorsHeader {
  readonly tensors: Map<string, Entry>;
  readonly metadata: Record<string, string>;
  readonly dataStart: number;
}

function readHeader(file: string, fd: number): SafetensorsHeader {
  const lenBuf = Buffer.alloc(8);
  if (fs.readSync(fd, lenBuf, 0, 8, 0) !== 8) throw new SafetensorsError(`${file}: shorter than its header`);
  const len = Number(lenBuf.readBigUInt64LE(0));
  const size = fs.fstatSync(fd).size;
  if (len > size - 8 || len > 100_000_000)
    throw new SafetensorsError(`${file}: header length ${len} is invalid`);
  const headerBuf = Buffer.alloc(len);
  fs.readSync(fd, headerBuf, 0, len, 8);
  let json: unknown;
  try {
    json = JSON.parse(headerBuf.toString('utf8'));
  } catch {
    throw new SafetensorsError(`${file}: the header is not JSON`);
  }
  if (typeof json !== 'object' || json === null)
    throw new SafetensorsError(`${file}: the header is not an object`);
  const tensors = new Map<string, Entry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = z.record(z.string(), z.string()).parse(value);
      continue;
    }
    const parsed = entry.safeParse(value);
    if (!parsed.success) throw new SafetensorsError(`${file}: tensor '${name}' has an invalid header entry`);
    const [from, to] = parsed.data.data_offsets;
    if (to < from || 8 + len + to > size)
      throw new SafetensorsError(`${file}: tensor '${name}' lies outside the file`);
    tensors.set(name, parsed.data);
  }
  return { tensors, metadata, dataStart: 8 + len };
}

/** Reads every tensor of one file (or only those `wanted` names), widened to float32. */
export function readSafetensors(file: string, wanted?: (name: string) => boolean): Map<string, NamedTensor> {
  const fd = fs.openSync(file, 'r');
  try {
    const header = readHeader(file, fd);
    const out = new Map<string, NamedTensor>();
    for (const [name, e] of header.tensors) {
      if (wanted !== undefined && !wanted(name)) continue;
      if (!(e.dtype in BYTES)) {
        throw new SafetensorsError(
          `${file}: tensor '${name}' has dtype ${e.dtype} (supported: ${Object.keys(BYTES).join(', ')})`,
        );
      }
      const dtype = e.dtype as DiskDtype;
      const count = e.shape.reduce((a, b) => a * b, 1);
      const [from, to] = e.data_offsets;
      if (to - from !== count * BYTES[dtype]) {
        throw new SafetensorsError(
          `${file}: tensor '${name}' has ${to - from} bytes for shape [${e.shape.join(', ')}]`,
        );
      }
      const bytes = Buffer.alloc(to - from);
      fs.readSync(fd, bytes, 0, to - from, header.dataStart + from);
      out.set(name, { shape: e.shape, values: decode(bytes, dtype, count) });
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Only the header: names, dtypes and shapes, for the memory pre-flight and for sharded indexes. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = fs.openSync(file, 'r');
  try {
    return readHeader(file, fd);
  } finally {
    fs.closeSync(fd);
  }
}

function encode(values: Float32Array, dtype: 'F32' | 'BF16'): Buffer {
  if (dtype === 'F32')
    return Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const u32 = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const bits = u32[i]!;
    // Round to nearest even, as torch does when it casts float32 to bfloat16 (NaN stays NaN).
    const rounded = (bits & 0x7fffffff) > 0x7f800000 ? bits | 0x400000 : bits + 0x7fff + ((bits >>> 16) & 1);
    out.writeUInt16LE((rounded >>> 16) & 0xffff, i * 2);
  }
  return out;
}

/** Writes tensors (in the given order) as one safetensors file, with `metadata` such as {format: 'pt'}. */
export function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, NamedTensor>,
  metadata: Record<string, string> = { format: 'pt' },
  dtype: 'F32' | 'BF16' = 'F32',
): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const buffers: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.values.length)
      throw new Error(`tensor '${name}': ${t.values.length} values for shape [${t.shape.join(', ')}]`);
    const buf = encode(t.values, dtype);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + buf.length] };
    buffers.push(buf);
    offset += buf.length;
  }
  let json = JSON.stringify(header);
  // The data is expected to start 8-byte aligned; pad the header with spaces.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from(json, 'utf8'), ...buffers]));
}

// The number inside a one-element TensorProto: how TensorBoard's v2 scalar summaries (and tensorboardX's
// `new_style` ones) carry a scalar. Values sit either in the typed `*_val` list or packed in `tensor_content`.
import type { TensorProto } from './gen/tensorboard_pb';
import { DataType } from './gen/tensorboard_pb';

function elementCount(tensor: TensorProto): number {
  return (tensor.tensorShape?.dim ?? []).reduce((n, d) => n * Number(d.size), 1);
}

/** IEEE 754 half precision, as TensorFlow stores DT_HALF in `half_val` (the 16 bits in an int32). */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function fromContent(tensor: TensorProto): number | undefined {
  const bytes = tensor.tensorContent;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read: Partial<Record<DataType, [number, () => number]>> = {
    [DataType.DT_FLOAT]: [4, () => view.getFloat32(0, true)],
    [DataType.DT_DOUBLE]: [8, () => view.getFloat64(0, true)],
    [DataType.DT_INT32]: [4, () => view.getInt32(0, true)],
    [DataType.DT_INT64]: [8, () => Number(view.getBigInt64(0, true))],
    [DataType.DT_HALF]: [2, () => halfToNumber(view.getUint16(0, true))],
    [DataType.DT_BOOL]: [1, () => view.getUint8(0)],
  };
  const entry = read[tensor.dtype];
  return entry !== undefined && bytes.length === entry[0] ? entry[1]() : undefined;
}

/** The tensor's value when it holds exactly one number; undefined for anything else (strings, histograms). */
export function tensorScalar(tensor: TensorProto): number | undefined {
  if (elementCount(tensor) !== 1) return undefined;
  if (tensor.tensorContent.length > 0) return fromContent(tensor);
  switch (tensor.dtype) {
    case DataType.DT_FLOAT:
      return tensor.floatVal[0];
    case DataType.DT_DOUBLE:
      return tensor.doubleVal[0];
    case DataType.DT_INT32:
    case DataType.DT_INT16:
    case DataType.DT_INT8:
    case DataType.DT_UINT8:
      return tensor.intVal[0];
    case DataType.DT_INT64:
      return tensor.int64Val[0] === undefined ? undefined : Number(tensor.int64Val[0]);
    case DataType.DT_UINT32:
      return tensor.uint32Val[0];
    case DataType.DT_UINT64:
      return tensor.uint64Val[0] === undefined ? undefined : Number(tensor.uint64Val[0]);
    case DataType.DT_BOOL:
      return tensor.boolVal[0] === undefined ? undefined : Number(tensor.boolVal[0]);
    case DataType.DT_HALF:
      return tensor.halfVal[0] === undefined ? undefined : halfToNumber(tensor.halfVal[0]);
    default:
      return undefined;
  }
}

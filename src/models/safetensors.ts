/**
 * Reading and writing the safetensors format: `u64` little-endian header length, a JSON header mapping each tensor
 * name to dtype, shape and byte offsets into the data section, then the raw little-endian data.
 */
import fs from "node:fs";

export interface NamedArray {
  shape: number[];
  /** Values converted to float32, row-major. */
  values: Float32Array;
}

export type TensorFile = Map<string, NamedArray>;

const bytesPerElement: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

function fail(file: string, message: string): never {
  throw new Error(`${file}: ${message}`);
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function decode(bytes: Uint8Array, dtype: string, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (dtype === "F32") {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === "F64") {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  } else if (dtype === "F16") {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  } else {
    // bfloat16 is the upper half of a float32.
    const widened = new Uint32Array(count);
    for (let i = 0; i < count; i++) widened[i] = view.getUint16(i * 2, true) << 16;
    out.set(new Float32Array(widened.buffer));
  }
  return out;
}

/**
 * Reads every tensor of a safetensors file as float32. Errors name the file and the tensor: unsupported dtype,
 * offsets outside the data, a size that disagrees with the shape, overlapping tensors, a truncated file.
 */
export function readSafetensors(file: string): TensorFile {
  let buffer: Buffer;
  try {
    buffer = fs.readFileSync(file);
  } catch (error) {
    fail(file, `cannot read the file (${(error as Error).message}).`);
  }
  if (buffer.length < 8) fail(file, `truncated: ${buffer.length} bytes, shorter than the 8-byte header length.`);
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (headerLength > buffer.length - 8) {
    fail(file, `truncated or not safetensors: header length ${headerLength} exceeds the file size ${buffer.length}.`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, unknown>;
  } catch (error) {
    fail(file, `the header is not valid JSON (${(error as Error).message}).`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = buffer.length - dataStart;
  const tensors: TensorFile = new Map();
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== "string" || bytesPerElement[dtype] === undefined) {
      fail(file, `tensor "${name}" has dtype ${JSON.stringify(dtype)}; supported: F32, F16, BF16, F64.`);
    }
    if (!Array.isArray(shape) || !shape.every((size) => Number.isInteger(size) && size >= 0)) {
      fail(file, `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}.`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((value) => Number.isInteger(value))) {
      fail(file, `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}.`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const expectedBytes = count * (bytesPerElement[dtype] as number);
    if (begin < 0 || end < begin || end - begin !== expectedBytes) {
      fail(file, `tensor "${name}": data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} ${JSON.stringify(shape)} needs ${expectedBytes}.`);
    }
    if (end > dataLength) {
      fail(file, `tensor "${name}" ends at byte ${end} of the data section, which has only ${dataLength} bytes (truncated file or wrong offsets).`);
    }
    ranges.push([begin, end, name]);
    tensors.set(name, {
      shape: shape as number[],
      values: decode(buffer.subarray(dataStart + begin, dataStart + end), dtype, count),
    });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    const previous = ranges[i - 1]!;
    const current = ranges[i]!;
    if (current[0] < previous[1]) fail(file, `tensors "${previous[2]}" and "${current[2]}" overlap in the data section.`);
  }
  return tensors;
}

/** Writes float32 tensors (in name order, contiguous, header space-padded to 8 bytes), atomically via a rename. */
export function writeSafetensors(file: string, tensors: TensorFile, metadata: Record<string, string> = {}): void {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: { format: "pt", ...metadata } };
  let offset = 0;
  for (const name of names) {
    const tensor = tensors.get(name)!;
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (count !== tensor.values.length) {
      throw new Error(`${file}: tensor "${name}" has ${tensor.values.length} values for shape ${JSON.stringify(tensor.shape)}.`);
    }
    header[name] = { dtype: "F32", shape: tensor.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let position = 8 + headerBytes.length;
  for (const name of names) {
    const values = tensors.get(name)!.values;
    Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(out, position);
    position += values.byteLength;
  }
  const temporary = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, out);
  fs.renameSync(temporary, file);
}

/** The metadata block of a safetensors file (empty when absent). */
export function readSafetensorsMetadata(file: string): Record<string, string> {
  const descriptor = fs.openSync(file, "r");
  try {
    const lengthBytes = Buffer.alloc(8);
    fs.readSync(descriptor, lengthBytes, 0, 8, 0);
    const length = Number(lengthBytes.readBigUInt64LE(0));
    const headerBytes = Buffer.alloc(length);
    fs.readSync(descriptor, headerBytes, 0, length, 8);
    const header = JSON.parse(headerBytes.toString("utf8")) as { __metadata__?: Record<string, string> };
    return header.__metadata__ ?? {};
  } finally {
    fs.closeSync(descriptor);
  }
}

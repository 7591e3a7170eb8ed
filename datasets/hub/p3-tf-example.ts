/**
 * A minimal protocol buffer decoder for `tf.train.Example` (tensorflow/core/example/example.proto and feature.proto):
 * `Example { Features features = 1 }`, `Features { map<string, Feature> feature = 1 }` and
 * `Feature { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3 } }`, each
 * list holding `repeated … value = 1`. Numeric lists may be packed or unpacked, as the protobuf encoding allows.
 * Values are decoded only when asked for, so unused token-id features cost nothing.
 */

/** One feature of an example: its kind and its encoded list message, decoded on request. */
export interface TfFeature {
  kind: "bytes" | "float" | "int64";
  payload: Uint8Array;
}

export type TfExample = Map<string, TfFeature>;

/** A decoding failure, without the file and record, which the caller adds. */
export class ProtobufError extends Error {}

const wireVarint = 0;
const wireFixed64 = 1;
const wireLengthDelimited = 2;
const wireFixed32 = 5;

class ProtobufReader {
  position = 0;

  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.position >= this.bytes.length;
  }

  /** Reads a varint of up to 10 bytes as an unsigned 64-bit integer. */
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.position >= this.bytes.length) throw new ProtobufError(`varint runs past the end of the message at byte ${this.position}`);
      const byte = this.bytes[this.position++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new ProtobufError(`varint longer than 10 bytes at byte ${this.position}`);
  }

  /** Reads a varint that must fit a safe JavaScript integer (tags and lengths). */
  smallVarint(fieldName: string): number {
    const value = this.varint();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtobufError(`${fieldName} ${value} is too large at byte ${this.position}`);
    return Number(value);
  }

  take(length: number): Uint8Array {
    if (this.position + length > this.bytes.length) {
      throw new ProtobufError(`field of ${length} bytes at byte ${this.position} runs past the end of the message (${this.bytes.length} bytes)`);
    }
    const slice = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return slice;
  }

  /** Reads a field tag and returns its field number and wire type. */
  tag(): { field: number; wireType: number } {
    const tag = this.smallVarint("tag");
    const field = Math.floor(tag / 8);
    if (field === 0) throw new ProtobufError(`field number 0 at byte ${this.position}`);
    return { field, wireType: tag % 8 };
  }

  skip(wireType: number): void {
    if (wireType === wireVarint) this.varint();
    else if (wireType === wireFixed64) this.take(8);
    else if (wireType === wireLengthDelimited) this.take(this.smallVarint("length"));
    else if (wireType === wireFixed32) this.take(4);
    else throw new ProtobufError(`unsupported wire type ${wireType} at byte ${this.position}`);
  }

  lengthDelimited(wireType: number, fieldName: string): Uint8Array {
    if (wireType !== wireLengthDelimited) throw new ProtobufError(`${fieldName} has wire type ${wireType}, expected 2 (length-delimited)`);
    return this.take(this.smallVarint("length"));
  }
}

const featureKinds: Record<number, TfFeature["kind"]> = { 1: "bytes", 2: "float", 3: "int64" };

function decodeFeature(bytes: Uint8Array, name: string): TfFeature {
  const reader = new ProtobufReader(bytes);
  let feature: TfFeature | undefined;
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    const kind = featureKinds[field];
    if (!kind) {
      reader.skip(wireType);
      continue;
    }
    // In a oneof the last field on the wire wins.
    feature = { kind, payload: reader.lengthDelimited(wireType, `feature "${name}"`) };
  }
  // A Feature with no kind set is an empty list; TensorFlow parses it as one.
  return feature ?? { kind: "bytes", payload: new Uint8Array(0) };
}

function decodeMapEntry(bytes: Uint8Array): { key: string; value: Uint8Array } {
  const reader = new ProtobufReader(bytes);
  let key = "";
  let value: Uint8Array = new Uint8Array(0);
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1) key = Buffer.from(reader.lengthDelimited(wireType, "feature name")).toString("utf8");
    else if (field === 2) value = reader.lengthDelimited(wireType, "feature value");
    else reader.skip(wireType);
  }
  return { key, value };
}

/** Decodes a serialized `tf.train.Example` into its features; throws `ProtobufError` on malformed input. */
export function decodeTfExample(bytes: Uint8Array): TfExample {
  const features: TfExample = new Map();
  const example = new ProtobufReader(bytes);
  while (!example.done) {
    const { field, wireType } = example.tag();
    if (field !== 1) {
      example.skip(wireType);
      continue;
    }
    const featuresReader = new ProtobufReader(example.lengthDelimited(wireType, "Example.features"));
    while (!featuresReader.done) {
      const entry = featuresReader.tag();
      if (entry.field !== 1) {
        featuresReader.skip(entry.wireType);
        continue;
      }
      const { key, value } = decodeMapEntry(featuresReader.lengthDelimited(entry.wireType, "Features.feature entry"));
      features.set(key, decodeFeature(value, key));
    }
  }
  return features;
}

function expectKind(feature: TfFeature, name: string, kind: TfFeature["kind"]): void {
  // An empty Feature carries no kind on the wire; it reads as an empty list of any kind.
  if (feature.kind !== kind && feature.payload.length > 0) throw new ProtobufError(`feature "${name}" is a ${feature.kind} list, expected a ${kind} list`);
}

/** Decodes a `BytesList` feature into UTF-8 strings. */
export function bytesValues(feature: TfFeature, name: string): string[] {
  expectKind(feature, name, "bytes");
  const reader = new ProtobufReader(feature.payload);
  const values: string[] = [];
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1) values.push(Buffer.from(reader.lengthDelimited(wireType, `feature "${name}" value`)).toString("utf8"));
    else reader.skip(wireType);
  }
  return values;
}

/** Decodes an `Int64List` feature, packed or unpacked; throws if a value is outside the safe integer range. */
export function int64Values(feature: TfFeature, name: string): number[] {
  expectKind(feature, name, "int64");
  const reader = new ProtobufReader(feature.payload);
  const values: number[] = [];
  const push = (raw: bigint): void => {
    const value = BigInt.asIntN(64, raw);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new ProtobufError(`feature "${name}" value ${value} is outside the safe integer range`);
    values.push(Number(value));
  };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field !== 1) reader.skip(wireType);
    else if (wireType === wireVarint) push(reader.varint());
    else if (wireType === wireLengthDelimited) {
      const packed = new ProtobufReader(reader.lengthDelimited(wireType, `feature "${name}" values`));
      while (!packed.done) push(packed.varint());
    } else throw new ProtobufError(`feature "${name}" value has wire type ${wireType}, expected 0 or 2`);
  }
  return values;
}

/** Decodes a `FloatList` feature (32-bit little-endian floats), packed or unpacked. */
export function floatValues(feature: TfFeature, name: string): number[] {
  expectKind(feature, name, "float");
  const reader = new ProtobufReader(feature.payload);
  const values: number[] = [];
  const readFloats = (bytes: Uint8Array): void => {
    if (bytes.length % 4 !== 0) throw new ProtobufError(`feature "${name}" packed floats are ${bytes.length} bytes, not a multiple of 4`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let offset = 0; offset < bytes.length; offset += 4) values.push(view.getFloat32(offset, true));
  };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field !== 1) reader.skip(wireType);
    else if (wireType === wireFixed32) readFloats(reader.take(4));
    else if (wireType === wireLengthDelimited) readFloats(reader.lengthDelimited(wireType, `feature "${name}" values`));
    else throw new ProtobufError(`feature "${name}" value has wire type ${wireType}, expected 5 or 2`);
  }
  return values;
}

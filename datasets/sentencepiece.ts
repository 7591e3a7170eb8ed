/**
 * Conversion of a SentencePiece model (`spiece.model`, the `ModelProto` protocol buffer of google/sentencepiece)
 * into a Hugging Face `tokenizer.json` laid out as the T5 converter of transformers writes it, for hub repositories
 * that ship only `spiece.model`.
 */
import { t5PostProcessor, type TokenizerJson } from "./tokenizer.js";

interface SentencePiece {
  piece: string;
  score: number;
  /** SentencePiece piece type: 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte. */
  type: number;
}

export interface SentencePieceModel {
  pieces: SentencePiece[];
  /** `NormalizerSpec.precompiled_charsmap`: the compiled normalization rules (NFKC plus SentencePiece's own). */
  precompiledCharsmap: Uint8Array;
}

/** A minimal protocol buffer reader: varints, 32-bit and 64-bit fields, and length-delimited fields. */
class ProtoReader {
  position = 0;

  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.position >= this.bytes.length;
  }

  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let shift = 0; shift < 64; shift += 7) {
      const byte = this.bytes[this.position++];
      if (byte === undefined) throw new Error("spiece.model: truncated varint");
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return result;
      multiplier *= 128;
    }
    throw new Error("spiece.model: varint longer than 64 bits");
  }

  bytesField(): Uint8Array {
    const length = this.varint();
    const end = this.position + length;
    if (end > this.bytes.length) throw new Error(`spiece.model: field of ${length} bytes at offset ${this.position} runs past the end`);
    const value = this.bytes.subarray(this.position, end);
    this.position = end;
    return value;
  }

  float32(): number {
    if (this.position + 4 > this.bytes.length) throw new Error("spiece.model: truncated float");
    const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.position, 4).getFloat32(0, true);
    this.position += 4;
    return value;
  }

  /** Reads the next field key; returns its number and wire type. */
  key(): { field: number; wireType: number } {
    const key = this.varint();
    return { field: Math.floor(key / 8), wireType: key % 8 };
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.position += 8;
    else if (wireType === 2) this.bytesField();
    else if (wireType === 5) this.position += 4;
    else throw new Error(`spiece.model: unsupported wire type ${wireType} at offset ${this.position}`);
  }
}

function parsePiece(bytes: Uint8Array): SentencePiece {
  const reader = new ProtoReader(bytes);
  const piece: SentencePiece = { piece: "", score: 0, type: 1 };
  while (!reader.done) {
    const { field, wireType } = reader.key();
    if (field === 1 && wireType === 2) piece.piece = new TextDecoder("utf-8", { fatal: true }).decode(reader.bytesField());
    else if (field === 2 && wireType === 5) piece.score = reader.float32();
    else if (field === 3 && wireType === 0) piece.type = reader.varint();
    else reader.skip(wireType);
  }
  return piece;
}

/** Parses `spiece.model` bytes: the pieces (field 1) and the normalizer's precompiled charsmap (field 3, field 2). */
export function parseSentencePieceModel(bytes: Uint8Array): SentencePieceModel {
  const reader = new ProtoReader(bytes);
  const pieces: SentencePiece[] = [];
  let precompiledCharsmap = new Uint8Array(0);
  let haveNormalizerSpec = false;
  while (!reader.done) {
    const { field, wireType } = reader.key();
    if (field === 1 && wireType === 2) pieces.push(parsePiece(reader.bytesField()));
    else if (field === 3 && wireType === 2) {
      haveNormalizerSpec = true;
      const normalizer = new ProtoReader(reader.bytesField());
      while (!normalizer.done) {
        const inner = normalizer.key();
        if (inner.field === 2 && inner.wireType === 2) precompiledCharsmap = normalizer.bytesField().slice();
        else normalizer.skip(inner.wireType);
      }
    } else reader.skip(wireType);
  }
  if (pieces.length === 0) throw new Error("spiece.model: no pieces found; the file is not a SentencePiece model");
  // A protocol buffer cut at a field boundary still parses, but the normalizer spec follows the pieces.
  if (!haveNormalizerSpec) throw new Error(`spiece.model: no normalizer spec after ${pieces.length} pieces; the file is truncated`);
  return { pieces, precompiledCharsmap };
}

const extraIds = 100;

function addedToken(id: number, content: string): TokenizerJson["added_tokens"][number] {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/**
 * Builds T5's `tokenizer.json` from a SentencePiece model: the pieces with their scores, then `<extra_id_99>` …
 * `<extra_id_0>`, the precompiled normalizer, Metaspace pre-tokenization and a `$A </s>` post-processor. The layout
 * follows the `tokenizer.json` that transformers writes for t5-v1_1 (checked against such a file in the tests).
 */
export function t5TokenizerJsonFromSentencePiece(model: SentencePieceModel): TokenizerJson {
  const unkId = model.pieces.findIndex((piece) => piece.type === 2);
  if (unkId < 0) throw new Error("spiece.model: no unknown piece");
  const vocab: [string, number][] = model.pieces.map((piece) => [piece.piece, piece.score]);
  for (let index = extraIds - 1; index >= 0; index--) vocab.push([`<extra_id_${index}>`, 0]);
  const control = model.pieces.flatMap((piece, id) => (piece.type === 2 || piece.type === 3 ? [addedToken(id, piece.piece)] : []));
  const sentinels = Array.from({ length: extraIds }, (_, index) => addedToken(model.pieces.length + index, `<extra_id_${extraIds - 1 - index}>`));
  const metaspace = { type: "Metaspace", replacement: "\u2581", add_prefix_space: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [...control, ...sentinels],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Precompiled", precompiled_charsmap: Buffer.from(model.precompiledCharsmap).toString("base64") },
        { type: "Strip", strip_left: false, strip_right: true },
        { type: "Replace", pattern: { Regex: " {2,}" }, content: "\u2581" },
      ],
    },
    pre_tokenizer: { ...metaspace, prepend_scheme: "first" },
    post_processor: t5PostProcessor,
    decoder: { ...metaspace, prepend_scheme: "always" },
    model: { type: "Unigram", unk_id: unkId, vocab, byte_fallback: false } as TokenizerJson["model"],
  };
}

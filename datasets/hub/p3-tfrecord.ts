/**
 * Reading TFRecord files, the container TensorFlow and seqio write P3's cached tasks in. Each record is a little-endian
 * uint64 length, the masked CRC32C of those 8 bytes, the data, and the masked CRC32C of the data (format described in
 * the TensorFlow guide "TFRecord and tf.train.Example"). Both checksums are verified, so a corrupt or cut-off download
 * is rejected with the file, the record index and its byte offset.
 */
import fs from "node:fs";

/** CRC32C (Castagnoli) lookup table for the reflected polynomial 0x82F63B78. */
const crc32cTable: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

/** Computes the CRC32C (Castagnoli) checksum of `bytes` as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let index = 0; index < bytes.length; index++) {
    crc = crc32cTable[(crc ^ bytes[index]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Computes the masked CRC32C TFRecord stores: the checksum rotated right by 15 bits plus 0xa282ead8, modulo 2^32. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One record's data and where it starts in the file. */
export interface TfRecord {
  /** Zero-based index of the record in the file. */
  index: number;
  /** Byte offset of the record's length field. */
  offset: number;
  data: Buffer;
}

const headerBytes = 12;
const footerBytes = 4;

/** Builds an error naming the file `label`, the record `index` and its byte `offset`. */
export function recordError(label: string, index: number, offset: number, problem: string): Error {
  return new Error(`${label}: record ${index} at byte ${offset}: ${problem}`);
}

function readExactly(descriptor: number, buffer: Buffer, position: number): number {
  let filled = 0;
  while (filled < buffer.length) {
    const read = fs.readSync(descriptor, buffer, filled, buffer.length - filled, position + filled);
    if (read === 0) break;
    filled += read;
  }
  return filled;
}

/**
 * Yields the records of the TFRecord file `file` in order, reading one record at a time so large files do not need
 * to fit in memory. `label` names the file in errors.
 */
export function* readTfRecords(file: string, label: string): Generator<TfRecord> {
  const descriptor = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(descriptor).size;
    const header = Buffer.alloc(headerBytes);
    const footer = Buffer.alloc(footerBytes);
    let offset = 0;
    for (let index = 0; offset < size; index++) {
      if (readExactly(descriptor, header, offset) < headerBytes) {
        throw recordError(label, index, offset, `truncated record header (${size - offset} of ${headerBytes} bytes), so the file may be cut off`);
      }
      const lengthBytes = header.subarray(0, 8);
      if (maskedCrc32c(lengthBytes) !== header.readUInt32LE(8)) {
        throw recordError(label, index, offset, "length checksum mismatch (masked CRC32C), so the file is corrupt");
      }
      const length = header.readBigUInt64LE(0);
      const remaining = BigInt(size - offset - headerBytes - footerBytes);
      if (length > remaining) {
        throw recordError(label, index, offset, `truncated record: its length is ${length} bytes but only ${remaining < 0n ? 0n : remaining} follow, so the file may be cut off`);
      }
      const data = Buffer.alloc(Number(length));
      readExactly(descriptor, data, offset + headerBytes);
      readExactly(descriptor, footer, offset + headerBytes + data.length);
      if (maskedCrc32c(data) !== footer.readUInt32LE(0)) {
        throw recordError(label, index, offset, "data checksum mismatch (masked CRC32C), so the file is corrupt");
      }
      yield { index, offset, data };
      offset += headerBytes + data.length + footerBytes;
    }
  } finally {
    fs.closeSync(descriptor);
  }
}

/**
 * The record format shared by the KV store's write-ahead segments and its snapshots.
 *
 * ```
 * 0   u32  CRC32C of bytes [4, totalBytes)
 * 4   u32  totalBytes (this header included)
 * 8   u8   kind: 1 put, 2 delete, 3 end of snapshot (key and value empty)
 * 9   u16  keyLength
 * 11  u32  valueLength
 * 15  key bytes, then value bytes
 * ```
 *
 * Little-endian. A record is valid only if its length fields agree with each other, it fits in
 * what is left of the file, and its CRC matches: a crash can leave a torn record at the tail (some
 * sectors kept, others zero or stale), and zeros never parse because `totalBytes` would be 0.
 */
import { crc32c } from '@node-rs/crc32';

export const RECORD_HEADER_BYTES = 15;
/** Keys longer than this are refused: the key length field is a u16 and keys live in memory. */
export const KEY_BYTES_MAX = 1024;
/** Values longer than this are refused, so one record never needs an unbounded buffer. */
export const VALUE_BYTES_MAX = 1 << 20;

export const RecordKind = { put: 1, delete: 2, snapshotEnd: 3 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** A decoded record; `key`/`value` are views into the buffer that was decoded. */
export interface DecodedRecord {
  readonly kind: RecordKind;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** Offset of the record in the decoded buffer. */
  readonly offsetBytes: number;
  readonly totalBytes: number;
  /** Offset of the value in the decoded buffer (where a later point read starts). */
  readonly valueOffsetBytes: number;
}

/** Encodes one record. The caller has already bounded key and value lengths. */
export function encodeRecord(kind: RecordKind, key: Uint8Array, value: Uint8Array): Uint8Array {
  const totalBytes = RECORD_HEADER_BYTES + key.byteLength + value.byteLength;
  const out = new Uint8Array(totalBytes);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(4, totalBytes, true);
  view.setUint8(8, kind);
  view.setUint16(9, key.byteLength, true);
  view.setUint32(11, value.byteLength, true);
  out.set(key, RECORD_HEADER_BYTES);
  out.set(value, RECORD_HEADER_BYTES + key.byteLength);
  view.setUint32(0, crc32c(out.subarray(4)) >>> 0, true);
  return out;
}

/** Why {@link decodeRecord} refused the bytes at an offset. */
export type RecordDefect = 'short' | 'length' | 'kind' | 'checksum';

/**
 * Decodes the record at `offsetBytes` of `data`. Returns the record, or the defect that makes the
 * bytes there not a record (the end of the valid log). With `verifyChecksum` false the CRC is not
 * checked: that is the `no-checksum` bug, kept here so the broken variant differs by one flag.
 */
export function decodeRecord(data: Uint8Array, offsetBytes: number, verifyChecksum = true): DecodedRecord | RecordDefect {
  const remaining = data.byteLength - offsetBytes;
  if (remaining < RECORD_HEADER_BYTES) return 'short';
  const view = new DataView(data.buffer, data.byteOffset + offsetBytes, remaining);
  const totalBytes = view.getUint32(4, true);
  const kind = view.getUint8(8);
  const keyLength = view.getUint16(9, true);
  const valueLength = view.getUint32(11, true);
  if (keyLength > KEY_BYTES_MAX || valueLength > VALUE_BYTES_MAX) return 'length';
  if (totalBytes !== RECORD_HEADER_BYTES + keyLength + valueLength) return 'length';
  if (totalBytes > remaining) return 'short';
  if (kind !== RecordKind.put && kind !== RecordKind.delete && kind !== RecordKind.snapshotEnd) return 'kind';
  if (verifyChecksum) {
    const expected = view.getUint32(0, true);
    const actual = crc32c(data.subarray(offsetBytes + 4, offsetBytes + totalBytes)) >>> 0;
    if (expected !== actual) return 'checksum';
  }
  const keyStart = offsetBytes + RECORD_HEADER_BYTES;
  const valueStart = keyStart + keyLength;
  return {
    kind: kind as RecordKind,
    key: data.subarray(keyStart, valueStart),
    value: data.subarray(valueStart, valueStart + valueLength),
    offsetBytes,
    totalBytes,
    valueOffsetBytes: valueStart,
  };
}

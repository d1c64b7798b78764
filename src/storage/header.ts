/**
 * The blob header codec: the first {@link BLOB_HEADER_BYTES} bytes of every blob file.
 *
 * Layout (all integers little-endian):
 *
 * | offset | bytes | field                                                   |
 * |-------:|------:|---------------------------------------------------------|
 * |      0 |     8 | magic, ASCII `FLTLBLOB`                                 |
 * |      8 |     2 | layout version (u16), {@link BLOB_LAYOUT_VERSION}       |
 * |     10 |     2 | application blob version (u16)                          |
 * |     12 |     4 | CRC32C (u32) of bytes 0..12                             |
 * |     16 |  4080 | zero padding                                            |
 *
 * Data starts at byte 4096, so a blob's data stays aligned for O_DIRECT. The CRC covers only the
 * fields: the padding is checked to be zero byte by byte instead, which catches the same damage
 * and lets a future layout give meaning to padding bytes behind a new layout version.
 *
 * Decoding tells a torn creation (the header never fully reached the disk: the file is shorter
 * than the header, or the header is all zeros) from damage (anything else that is not a valid
 * header). Only the first may be healed, and only while no data follows the header.
 */
import { crc32c } from '@node-rs/crc32';
import { StorageError } from '../interfaces/errors.js';
import { BLOB_HEADER_BYTES, BLOB_VERSION_MAX } from '../interfaces/limits.js';

/** The 8 magic bytes at the start of every blob file: ASCII `FLTLBLOB`. */
export const BLOB_MAGIC: Uint8Array = new Uint8Array([0x46, 0x4c, 0x54, 0x4c, 0x42, 0x4c, 0x4f, 0x42]);
/** The only header layout this code writes and reads. */
export const BLOB_LAYOUT_VERSION = 1;

/** Byte offsets of the header fields (exported for tests that damage headers on purpose). */
export const HEADER_OFFSET_MAGIC = 0;
export const HEADER_OFFSET_LAYOUT_VERSION = 8;
export const HEADER_OFFSET_BLOB_VERSION = 10;
export const HEADER_OFFSET_CRC = 12;
/** Where the zero padding starts; the CRC covers `[0, HEADER_OFFSET_CRC)`. */
export const HEADER_OFFSET_PADDING = 16;

/** What the header of an existing blob file says. */
export type HeaderDecodeResult =
  /** A valid header with this application version. */
  | { readonly kind: 'valid'; readonly version: number }
  /** A creation torn by a crash, with no data after the header: safe to rewrite. */
  | { readonly kind: 'torn' };

/** Why a header was rejected, in `details.reason` of `ERR_BLOB_CORRUPT`. */
export type HeaderDamage = 'magic' | 'crc' | 'layout-version' | 'padding' | 'torn-with-data';

/** The CRC32C of the header fields in `header` (bytes `[0, HEADER_OFFSET_CRC)`). */
export function headerChecksum(header: Uint8Array): number {
  return crc32c(Buffer.from(header.buffer, header.byteOffset, HEADER_OFFSET_CRC)) >>> 0;
}

/**
 * Writes a complete header for application version `version` into `target` (at least
 * {@link BLOB_HEADER_BYTES} long; the header range is overwritten, padding included). Returns the
 * header view. `target` may be an aligned buffer for O_DIRECT writes.
 */
export function encodeHeader(version: number, target: Uint8Array = new Uint8Array(BLOB_HEADER_BYTES)): Uint8Array {
  if (!Number.isInteger(version) || version < 0 || version > BLOB_VERSION_MAX) {
    throw new StorageError('ERR_INVALID_ARGUMENT', 'header version must be a u16', { operation: 'encodeHeader', version });
  }
  if (target.byteLength < BLOB_HEADER_BYTES) {
    throw new StorageError('ERR_INVALID_ARGUMENT', 'header target too small', {
      operation: 'encodeHeader', lengthBytes: target.byteLength, limit: BLOB_HEADER_BYTES,
    });
  }
  const header = target.subarray(0, BLOB_HEADER_BYTES);
  header.fill(0);
  header.set(BLOB_MAGIC, HEADER_OFFSET_MAGIC);
  const view = new DataView(header.buffer, header.byteOffset, BLOB_HEADER_BYTES);
  view.setUint16(HEADER_OFFSET_LAYOUT_VERSION, BLOB_LAYOUT_VERSION, true);
  view.setUint16(HEADER_OFFSET_BLOB_VERSION, version, true);
  view.setUint32(HEADER_OFFSET_CRC, headerChecksum(header), true);
  return header;
}

function corrupt(reason: HeaderDamage, path: string | undefined, extra: Record<string, unknown> = {}): StorageError {
  return new StorageError('ERR_BLOB_CORRUPT', 'blob header is damaged', {
    operation: 'storage.open', reason, ...(path === undefined ? {} : { path }), ...extra,
  });
}

function allZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Decodes the header of an existing blob file.
 *
 * `header` holds the first bytes of the file (what a read of the header range returned; shorter
 * than {@link BLOB_HEADER_BYTES} only when the file is) and `fileSizeBytes` is the file's length.
 * Resolves the three cases apart:
 * - `{ kind: 'valid', version }` for a good header (the caller checks the version range);
 * - `{ kind: 'torn' }` when the file is shorter than the header, or exactly header-sized with an
 *   all-zero header: a creation cut short by a crash, safe to rewrite;
 * - throws `ERR_BLOB_CORRUPT` (with `details.reason`, a {@link HeaderDamage}) for anything else,
 *   including an all-zero header followed by data, which a crash during creation cannot produce.
 */
export function decodeHeader(header: Uint8Array, fileSizeBytes: number, path?: string): HeaderDecodeResult {
  if (fileSizeBytes < BLOB_HEADER_BYTES) return { kind: 'torn' };
  if (header.byteLength < BLOB_HEADER_BYTES) {
    // The caller read fewer bytes than the file claims to hold: the file shrank under us.
    throw corrupt('torn-with-data', path, { fileSizeBytes, headerBytesRead: header.byteLength });
  }
  const h = header.subarray(0, BLOB_HEADER_BYTES);
  if (allZero(h)) {
    if (fileSizeBytes === BLOB_HEADER_BYTES) return { kind: 'torn' };
    throw corrupt('torn-with-data', path, { fileSizeBytes });
  }
  for (let i = 0; i < BLOB_MAGIC.byteLength; i++) {
    if (h[HEADER_OFFSET_MAGIC + i] !== BLOB_MAGIC[i]) throw corrupt('magic', path);
  }
  const view = new DataView(h.buffer, h.byteOffset, BLOB_HEADER_BYTES);
  const storedChecksum = view.getUint32(HEADER_OFFSET_CRC, true);
  const computedChecksum = headerChecksum(h);
  if (storedChecksum !== computedChecksum) throw corrupt('crc', path, { storedChecksum, computedChecksum });
  const layoutVersion = view.getUint16(HEADER_OFFSET_LAYOUT_VERSION, true);
  if (layoutVersion !== BLOB_LAYOUT_VERSION) throw corrupt('layout-version', path, { layoutVersion });
  if (!allZero(h.subarray(HEADER_OFFSET_PADDING))) throw corrupt('padding', path);
  return { kind: 'valid', version: view.getUint16(HEADER_OFFSET_BLOB_VERSION, true) };
}

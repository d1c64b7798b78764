/**
 * A misdirected write: the device stores the data at another sector of the same file, while the
 * file system updates the size exactly as asked (the size is metadata, written by the file system,
 * not by the misbehaving device). So the intended range keeps its old bytes (or zeros past the old
 * end), the size becomes what the application asked for, and data landing past that size is beyond
 * the end of the file: it is never seen.
 */
import type { Disk, FileInode } from './disk.js';

/** What `misdirect` needs of the operation: the caller's bytes. */
export interface WriteSource {
  readonly buffer: Uint8Array | undefined;
  readonly buffers: readonly Uint8Array[] | undefined;
}

/** Applies a write of `lengthBytes` asked at an offset ending at `askedEndBytes` that lands at `targetBytes`. */
export function misdirect(disk: Disk, file: FileInode, source: WriteSource, targetBytes: number, lengthBytes: number, askedEndBytes: number): void {
  const sizeAfter = Math.max(file.cache.sizeBytes, askedEndBytes);
  const landed = Math.max(0, Math.min(lengthBytes, sizeAfter - targetBytes));
  if (landed > 0) {
    const bytes = new Uint8Array(landed);
    if (source.buffer !== undefined) bytes.set(source.buffer.subarray(0, landed));
    else {
      let at = 0;
      for (const b of source.buffers ?? []) {
        if (at >= landed) break;
        const n = Math.min(b.byteLength, landed - at);
        bytes.set(b.subarray(0, n), at);
        at += n;
      }
    }
    disk.write(file, bytes, targetBytes, false);
  }
  // The size update of an append that landed below the old end (or nowhere in the file).
  if (file.cache.sizeBytes < sizeAfter) disk.grow(file, sizeAfter);
}

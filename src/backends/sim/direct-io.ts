/**
 * O_DIRECT and the page cache. A direct write bypasses the page cache and invalidates the cached
 * pages it touches, so bytes the cache held without the media having them (dropped by a failed
 * fsync, fsyncgate; or never written by the device, `lostWrite`) are gone from those pages: a
 * later read re-reads the media, and a later fsync cannot save them. Buffered writes are different
 * on purpose: they dirty the whole cached page, and its writeback does save its other bytes.
 *
 * The simulator keeps one cache for both kinds of I/O, so a direct write first rebuilds the pages
 * it touches from what the media will hold (the durable bytes plus the pending operations). Only
 * files the cache can disagree with (`markCacheAhead`) pay for it.
 */
import { replayPending } from './crash.js';
import { CHUNK_BYTES } from './file-data.js';
import type { Disk, FileInode } from './disk.js';

const cacheAhead = new WeakSet<FileInode>();

/** The cache of `file` may now hold bytes that neither the media nor a pending write has. */
export function markCacheAhead(file: FileInode): void {
  cacheAhead.add(file);
}

/** Before a direct write of `[offsetBytes, offsetBytes + lengthBytes)`: drops the cached pages it touches. */
export function invalidatePages(disk: Disk, file: FileInode, offsetBytes: number, lengthBytes: number): void {
  if (!cacheAhead.has(file) || lengthBytes <= 0) return;
  const media = replayPending(disk, file);
  const cache = file.cache;
  const first = Math.floor(offsetBytes / CHUNK_BYTES);
  const last = Math.floor((offsetBytes + lengthBytes - 1) / CHUNK_BYTES);
  for (let index = first; index <= last; index++) {
    const start = index * CHUNK_BYTES;
    const end = Math.min(start + CHUNK_BYTES, cache.sizeBytes);
    if (end <= start) break;
    const bytes = new Uint8Array(end - start);
    media.read(bytes, start);
    cache.write(bytes, start);
  }
}

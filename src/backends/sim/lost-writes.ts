/**
 * Lost and phantom writes (`lostWrite`): the device acknowledges a write that does not reach the
 * media. The page cache has it (reads return it until a restart, or until a direct write
 * invalidates the page), so only a checksum with a version number, read after a restart, can tell.
 *
 * - `lost`: the write goes to the page cache only; no fsync makes it durable. A later buffered
 *   write to the same page dirties the page again and its writeback carries the lost bytes along,
 *   as a real page cache would.
 * - `phantom`: reported done, lands later: the fsync after it succeeds without making it durable;
 *   it then becomes an ordinary pending write (any crash outcome) that the next fsync commits.
 *   Landing late, it may cover a newer write of the same range: that is what late writes do.
 */
import type { Disk, FileInode } from './disk.js';
import { markCacheAhead } from './direct-io.js';

interface Phantom {
  readonly offsetBytes: number;
  readonly data: Uint8Array;
}

/** Most phantom writes waiting per file; past it the oldest lands at once (a bound, not a model). */
const PHANTOMS_PER_FILE_MAX = 1024;

const phantoms = new WeakMap<FileInode, Phantom[]>();

/** The write changes the page cache only (and the size the file shows). */
function cacheOnly(disk: Disk, file: FileInode, data: Uint8Array, offsetBytes: number): void {
  const before = file.cache.sizeBytes;
  file.cache.write(data, offsetBytes);
  if (file.charged) disk.usedBytes += file.cache.sizeBytes - before;
  markCacheAhead(file);
}

/** A lost write of `data` (the caller's bytes, copied here) at `offsetBytes`. */
export function loseWrite(disk: Disk, file: FileInode, data: Uint8Array, offsetBytes: number): void {
  cacheOnly(disk, file, data, offsetBytes);
}

/** A phantom write: acknowledged now, pending only after the next fsync of the file. */
export function phantomWrite(disk: Disk, file: FileInode, data: Uint8Array, offsetBytes: number): void {
  cacheOnly(disk, file, data, offsetBytes);
  let list = phantoms.get(file);
  if (list === undefined) {
    list = [];
    phantoms.set(file, list);
  }
  if (list.length >= PHANTOMS_PER_FILE_MAX) land(disk, file, list.shift() as Phantom);
  list.push({ offsetBytes, data: data.slice() });
}

/** After a successful fsync of `file`: its phantom writes become ordinary pending writes. */
export function landPhantoms(disk: Disk, file: FileInode): void {
  const list = phantoms.get(file);
  if (list === undefined) return;
  phantoms.delete(file);
  for (const p of list) land(disk, file, p);
}

function land(disk: Disk, file: FileInode, p: Phantom): void {
  // Pending with the phantom's bytes; the cache keeps showing what it shows now.
  const end = Math.min(p.offsetBytes + p.data.byteLength, file.cache.sizeBytes);
  if (end <= p.offsetBytes) return;
  const length = end - p.offsetBytes;
  const shown = new Uint8Array(length);
  file.cache.read(shown, p.offsetBytes);
  disk.write(file, p.data.subarray(0, length), p.offsetBytes, true);
  file.cache.write(shown, p.offsetBytes);
}

/**
 * Sparse file contents in fixed 4 KiB chunks (the page size), with copy-on-write sharing.
 *
 * The page cache and the durable image of a file, and every crash state materialised from them,
 * share chunk arrays instead of copying: a chunk may be referenced by several `FileData`, and a
 * `FileData` writes into a chunk in place only if it owns it (`owned`); otherwise it copies first.
 * That keeps memory near the bytes stored: a synced file costs one copy, not two.
 *
 * Hot path: chunks are found through a `ChunkTable` (an array indexed by chunk number, not a
 * Map), chunk arrays are recycled through a `ChunkPool`, and a whole-chunk write pins its cache
 * chunk as the pending write's bytes (`pin`) instead of copying them a second time; a pinned
 * chunk is copied before any later change, like a shared one.
 *
 * Invariant: bytes at or past `sizeBytes` inside a stored chunk are zero, so growing a file never
 * exposes stale bytes and two files with equal contents hash equally.
 *
 * Memory safety: `read`'s target and `write`'s data may be a caller's own Uint8Array (SimIo's
 * synchronous read and write pass it without a snapshot, see `checkBufferInPlace`): they are
 * touched only through the intrinsic helpers (`intrinsicByteLength`, `copyInto`, `zeroFill`,
 * `plainView`), never through their own methods or getters, so no caller code runs in here.
 */

import { copyInto, intrinsicByteLength, plainView, zeroFill } from '../../interfaces/validate.js';
import { StorageError } from '../../interfaces/errors.js';
import { ChunkFlags, ChunkTable } from './chunk-table.js';

export const CHUNK_BYTES = 4096;

/** `FileData` state bits (with a base): the chunk is this FileData's own copy. */
const OWNED = 1;
/** ...and a pending write uses it as its bytes. */
const PINNED = 2;

/**
 * Recycled chunk arrays of one disk. Allocating a 4 KiB typed array costs a malloc, a memset and
 * GC finalisation; on the write path that dominated. Chunks are returned here only when provably
 * unreferenced (see `FileData.recyclable`). Bounded by `chunkCountMax` (the disk sizes it to its
 * dirty limit, the most chunks one writeback can displace); past it they go to the GC.
 */
export class ChunkPool {
  private readonly free: Uint8Array[] = [];
  private slab: Uint8Array | undefined = undefined;
  private slabUsedBytes = 0;
  constructor(private readonly chunkCountMax = 1024) {}
  take(): Uint8Array | undefined { return this.free.pop(); }
  put(chunk: Uint8Array): void { if (this.free.length < this.chunkCountMax) this.free.push(chunk); }

  /**
   * A new zeroed chunk, carved from a slab of SLAB_CHUNKS. Measured: copying 4 KiB to or from
   * chunks that each own a small malloc'd ArrayBuffer ran ~20% slower than to or from views of
   * larger buffers (the random 4 KiB copies are most of the simulator's data path). The price: a
   * slab's memory is freed only once all of its chunks are unreferenced; recycling through this
   * pool keeps most of them in use, and a slab is 64 KiB, so that is at most 60 KiB per straggler.
   */
  fresh(): Uint8Array {
    let slab = this.slab;
    if (slab === undefined || this.slabUsedBytes === slab.byteLength) {
      slab = new Uint8Array(SLAB_CHUNKS * CHUNK_BYTES);
      this.slab = slab;
      this.slabUsedBytes = 0;
    }
    const at = this.slabUsedBytes;
    this.slabUsedBytes = at + CHUNK_BYTES;
    return slab.subarray(at, at + CHUNK_BYTES);
  }
}

/** Chunks per slab of `ChunkPool.fresh`. */
const SLAB_CHUNKS = 16;

/** A new zeroed chunk: from `pool`'s slabs when there is a pool. */
function freshChunk(pool: ChunkPool | undefined): Uint8Array {
  return pool === undefined ? new Uint8Array(CHUNK_BYTES) : pool.fresh();
}

export class FileData {
  readonly chunks: ChunkTable;
  /**
   * The FileData this one was shared from and stays tied to (a page cache's durable image), or
   * undefined. With a base, a chunk is owned exactly when the base does not hold the same array at
   * the same index (a cache's chunks come only from its base or from its own copies), which is a
   * lookup by small-integer key instead of an identity-set lookup on the hot path.
   */
  base: FileData | undefined;
  /** Without a base: the chunks this FileData made itself and may change in place. */
  private readonly owned = new Set<Uint8Array>();
  /**
   * 1 at each index whose chunk the disk placed here (a commit) since this FileData was last
   * shared: nothing else can hold it, so once displaced it may be recycled.
   */
  readonly recyclable = new ChunkFlags();
  /**
   * With a base (a page cache), per index: `OWNED` when the chunk is this FileData's own copy
   * (the base does not hold it), plus `PINNED` while a pending write uses it as its bytes (see
   * `Disk.write`): a pinned chunk is never changed in place (a later write copies first), so the
   * pending write needs no copy of its own. Kept by the methods here and by `Disk`'s commit
   * (`markShared`) and release (`unpin`): the only places a cache's or its base's chunk changes.
   */
  private readonly state = new ChunkFlags();
  sizeBytes: number;
  pool: ChunkPool | undefined;

  constructor(chunks?: ChunkTable, sizeBytes = 0, pool?: ChunkPool) {
    this.chunks = new ChunkTable(chunks);
    this.sizeBytes = sizeBytes;
    this.pool = pool;
  }

  /** A copy sharing every chunk (copy-on-write on either side). */
  share(pool?: ChunkPool): FileData {
    this.recyclable.clear();
    return new FileData(this.chunks, this.sizeBytes, pool);
  }

  /** Forgets ownership of `chunk` (base-less FileData only: another one now shares it). */
  disown(chunk: Uint8Array): void {
    this.owned.delete(chunk);
  }

  /** Chunk `index`, owned and writable in place. `whole`: the caller overwrites all of it (no copy needed). */
  private writable(index: number, whole = false): Uint8Array {
    let chunk = this.chunks.get(index);
    if (chunk !== undefined && (this.base === undefined ? this.owned.has(chunk) : this.state.get(index) === OWNED)) return chunk;
    const recycled = this.pool?.take();
    if (whole) chunk = recycled ?? freshChunk(this.pool);
    else if (chunk === undefined) {
      if (recycled === undefined) chunk = freshChunk(this.pool);
      else { recycled.fill(0); chunk = recycled; }
    } else {
      const copy = recycled ?? freshChunk(this.pool);
      copy.set(chunk);
      chunk = copy;
    }
    this.chunks.set(index, chunk);
    if (this.base === undefined) this.owned.add(chunk);
    else this.state.set(index, OWNED);
    return chunk;
  }

  /**
   * Makes `chunk` (a whole page of new bytes, referenced by nothing else) chunk `index`: the write
   * of a whole page without copying it again. What it displaces is left to the GC (it may still be
   * the durable image's or a pending write's). Writes no size: the caller does.
   */
  install(index: number, chunk: Uint8Array): void {
    this.chunks.set(index, chunk);
    if (this.base === undefined) this.owned.add(chunk);
    else this.state.set(index, OWNED);
  }

  /**
   * Marks chunk `index` (which must exist) as the bytes of a pending write; returns it. A page
   * cache's only (a FileData without a base changes its own chunks in place).
   */
  pin(index: number): Uint8Array {
    if (this.base === undefined) throw new StorageError('ERR_INTERNAL', 'only a page cache pins chunks', { index });
    this.state.set(index, this.state.get(index) | PINNED);
    return this.chunks.get(index) as Uint8Array;
  }

  /** No pending write uses chunk `index` any more. */
  unpin(index: number): void {
    const bits = this.state.get(index);
    if ((bits & PINNED) !== 0) this.state.set(index, bits & ~PINNED);
  }

  /** The base now holds chunk `index` too (a commit): the next change copies it. */
  markShared(index: number): void {
    this.state.set(index, 0);
  }

  /** Copies `data` to `offsetBytes`, growing the file when it ends past the current size. */
  write(data: Uint8Array, offsetBytes: number): void {
    const length = intrinsicByteLength(data);
    const index0 = Math.floor(offsetBytes / CHUNK_BYTES);
    const inner0 = offsetBytes - index0 * CHUNK_BYTES;
    if (length > 0 && inner0 + length <= CHUNK_BYTES) {
      // Fast path: within one chunk (every aligned 4 KiB write).
      copyInto(this.writable(index0, length === CHUNK_BYTES), data, inner0);
      if (offsetBytes + length > this.sizeBytes) this.sizeBytes = offsetBytes + length;
      return;
    }
    let done = 0;
    while (done < length) {
      const pos = offsetBytes + done;
      const index = Math.floor(pos / CHUNK_BYTES);
      const inner = pos - index * CHUNK_BYTES;
      const n = Math.min(CHUNK_BYTES - inner, length - done);
      const chunk = this.writable(index);
      if (n === length) copyInto(chunk, data, inner);
      else copyInto(chunk, plainView(data, done, n), inner);
      done += n;
    }
    const end = offsetBytes + length;
    if (length > 0 && end > this.sizeBytes) this.sizeBytes = end;
  }

  /**
   * Copies into `target` from `offsetBytes`, at most up to the size; returns the count. Holes read
   * as zeros.
   */
  read(target: Uint8Array, offsetBytes: number): number {
    const available = this.sizeBytes - offsetBytes;
    const targetBytes = intrinsicByteLength(target);
    const count = targetBytes <= available ? targetBytes : available > 0 ? available : 0;
    if (count === CHUNK_BYTES && offsetBytes % CHUNK_BYTES === 0) {
      // Fast path: one whole chunk (every aligned 4 KiB read).
      const chunk = this.chunks.get(offsetBytes / CHUNK_BYTES);
      if (chunk === undefined) zeroFill(target, 0, CHUNK_BYTES);
      else copyInto(target, chunk);
      return count;
    }
    let done = 0;
    while (done < count) {
      const pos = offsetBytes + done;
      const index = Math.floor(pos / CHUNK_BYTES);
      const inner = pos - index * CHUNK_BYTES;
      const n = Math.min(CHUNK_BYTES - inner, count - done);
      const chunk = this.chunks.get(index);
      if (chunk === undefined) zeroFill(target, done, done + n);
      else if (inner === 0 && n === CHUNK_BYTES) copyInto(target, chunk, done);
      else copyInto(target, chunk.subarray(inner, inner + n), done);
      done += n;
    }
    return count;
  }

  /** Sets the size: shrinking drops chunks and zeroes the tail of the last one; growing adds zeros. */
  truncate(sizeBytes: number): void {
    if (sizeBytes < this.sizeBytes) {
      this.chunks.dropFrom(Math.ceil(sizeBytes / CHUNK_BYTES));
      const inner = sizeBytes % CHUNK_BYTES;
      if (inner !== 0) {
        const index = Math.floor(sizeBytes / CHUNK_BYTES);
        if (this.chunks.has(index)) this.writable(index).fill(0, inner);
      }
    }
    this.sizeBytes = sizeBytes;
  }

  /** Stored chunk indexes in ascending order (deterministic regardless of insertion order). */
  sortedIndexes(): number[] {
    return this.chunks.keys();
  }
}

/**
 * A scratch region: one preallocated file, split into slots by {@link ScratchAllocator}, for data
 * that need not survive a restart (sort runs, evicted cache blocks, oversized values).
 *
 * Architecture: the slot table (id -> extent, length, checksum) lives in memory only; the file
 * holds the bytes and nothing else, so there is nothing to recover and nothing to fsync. Slot ids
 * are never reused, so a stale id is always detected instead of reading someone else's data.
 *
 * Memory safety: every write is copied, before `write` returns its promise, into a bounce buffer
 * from a bounded pool filled by `io.allocAligned`, so the caller may reuse its buffer at once and
 * behaves the same on every backend. With direct I/O the bounce buffer covers the slot's whole
 * padded extent (padding zeroed) and reads go through one too, then are copied out; so does a
 * checked `readInto`, whose checksum must run over bytes the caller cannot detach, shrink or
 * write. A bounce buffer returns to the pool only after its operation settled; one whose operation
 * was abandoned (`ERR_CLOSED`, `ERR_CRASHED`) is dropped, since the kernel may still hold it. A
 * caller's buffer is touched only through the intrinsic helpers of `validate.ts`. Extents are padded
 * to the alignment, so a padded write never touches another slot. An extent is given back to the
 * allocator only when no read of it is in flight, so a freed slot cannot be overwritten under a
 * read that started before the free.
 *
 * Requirements: an {@link Io} whose `allocate` reserves space (fallocate). Direct I/O needs
 * `features.direct`; an anonymous file uses `features.tmpfile` where offered.
 *
 * Fault model: an I/O error while writing leaves the slot unallocated and other slots untouched;
 * an I/O error while reading is returned to the caller and the slot stays valid (a retry may
 * succeed). With checksums on (the default), every read is checked against the CRC32C taken at
 * write time, so silent corruption or a misdirected write is reported as `EIO` (as btrfs and ZFS
 * report a checksum failure) rather than returned as data. A power cut loses the region entirely,
 * by design.
 */
import { crc32c } from '@node-rs/crc32';
import { StorageError } from '../interfaces/errors.js';
import { checkBuffer, copyInto, detachedInFlight, intrinsicByteLength, isSnapshotUsable, plainView } from '../interfaces/validate.js';
import { IO_BYTES_MAX } from '../interfaces/limits.js';
import type { ScratchAllocator } from './allocator.js';
import { BouncePool } from './bounce-pool.js';
import type { ScratchIo } from './scratch-io.js';
import { readFully, writeFully } from './transfer.js';

/** A slot's bookkeeping. `extentOffsetBytes` is -1 for an empty slot (no bytes on disk). */
interface SlotRecord {
  readonly extentOffsetBytes: number;
  readonly lengthBytes: number;
  readonly paddedBytes: number;
  readonly checksum: number;
  readsInFlight: number;
  freed: boolean;
}

/** Counters of a region since it was opened (a snapshot: later operations do not change it). */
export interface ScratchStats {
  /** Slots created (successful writes, empty ones included). */
  readonly writes: number;
  /** Successful reads (`read` and `readInto`). */
  readonly reads: number;
  /** Slots freed. */
  readonly frees: number;
  /** Times the file grew. */
  readonly growths: number;
  /** Writes whose I/O failed (the slot was not created). */
  readonly writeErrors: number;
  /** Growths whose space reservation failed (`ENOSPC`...). */
  readonly growthErrors: number;
  /** Reads whose I/O failed. */
  readonly readErrors: number;
  /** Reads whose bytes did not match their checksum (reported as `EIO`). */
  readonly checksumMismatches: number;
}

/** Construction parameters of {@link ScratchRegion}; built by `openScratch`. */
export interface ScratchRegionInit {
  readonly io: ScratchIo;
  readonly fd: number;
  readonly allocator: ScratchAllocator;
  readonly direct: boolean;
  /** The file's path when it has a name that `close` must remove; `undefined` when anonymous. */
  readonly path: string | undefined;
  readonly checksums: boolean;
  readonly slotCountMax: number;
  readonly operationsInFlightMax: number;
}

/** Most doublings a single write may wait for; growth is bounded by the file size limit anyway. */
const GROWTH_ROUNDS_MAX = 64;
/** Largest transfer whose buffer is pooled; larger ones allocate their own. */
const BOUNCE_CLASS_MAX_BYTES = 1 << 20;
/** Idle buffers kept per size class. */
const BOUNCE_BUFFERS_PER_CLASS_MAX = 64;
/** Idle buffer bytes kept in all. */
const BOUNCE_POOLED_BYTES_MAX = 8 << 20;

/**
 * A fresh array with its own ArrayBuffer and no zeroing (zeroing costs as much as the checksum on
 * large values). Safe because a read either fills every byte or fails and the array is dropped.
 */
function uninitialized(lengthBytes: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(lengthBytes);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, lengthBytes);
}

/**
 * `readSlot`'s target for `read`, which allocates the result itself. Not `undefined`: that is a
 * caller's bad buffer for `readInto`.
 */
const NO_BUFFER: unique symbol = Symbol('scratch.read: no buffer');

/** True when an error means the Io gave up on the operation, which may still own its buffer. */
function abandoned(err: unknown): boolean {
  return err instanceof StorageError && (err.code === 'ERR_CLOSED' || err.code === 'ERR_CRASHED');
}

export class ScratchRegion {
  /** True when transfers bypass the page cache (O_DIRECT). */
  readonly direct: boolean;
  /** The file's path when it was opened with one (removed by `close`); `undefined` when anonymous. */
  readonly path: string | undefined;
  /** Granularity of slot extents: every slot occupies a multiple of it. */
  readonly alignmentBytes: number;
  /** Most live slots at once; a write past it fails with `ERR_LIMIT_EXCEEDED`. */
  readonly slotCountMax: number;
  /** Most region operations in flight at once; one more fails with `ERR_LIMIT_EXCEEDED`. */
  readonly operationsInFlightMax: number;

  private readonly io: ScratchIo;
  private readonly fd: number;
  private readonly allocator: ScratchAllocator;
  private readonly checksums: boolean;
  private readonly bounce: BouncePool;
  private readonly slots = new Map<number, SlotRecord>();
  private nextSlot = 1;
  private storedBytesTotal = 0;
  private pendingWrites = 0;
  private inFlight = 0;
  private idleWaiter: (() => void) | undefined;
  private growthTail: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private readonly counters = {
    writes: 0, reads: 0, frees: 0, growths: 0, writeErrors: 0, growthErrors: 0, readErrors: 0, checksumMismatches: 0,
  };

  /** Use `openScratch`; this constructor takes an already opened and preallocated file. */
  constructor(init: ScratchRegionInit) {
    this.io = init.io;
    this.fd = init.fd;
    this.allocator = init.allocator;
    this.direct = init.direct;
    this.path = init.path;
    this.checksums = init.checksums;
    this.slotCountMax = init.slotCountMax;
    this.operationsInFlightMax = init.operationsInFlightMax;
    this.alignmentBytes = init.allocator.alignmentBytes;
    this.bounce = new BouncePool({
      allocate: (lengthBytes) => this.io.allocAligned(lengthBytes),
      classMinBytes: this.alignmentBytes,
      classMaxBytes: Math.max(this.alignmentBytes, BOUNCE_CLASS_MAX_BYTES),
      buffersPerClassMax: BOUNCE_BUFFERS_PER_CLASS_MAX,
      pooledBytesMax: BOUNCE_POOLED_BYTES_MAX,
    });
  }

  /** Current size of the file in bytes (grows by doubling up to {@link maxCapacityBytes}). */
  get capacityBytes(): number {
    return this.allocator.capacityBytes;
  }

  /** The size the file may grow to; a write that does not fit then fails with `ERR_LIMIT_EXCEEDED`. */
  get maxCapacityBytes(): number {
    return this.allocator.maxCapacityBytes;
  }

  /** Bytes of the file held by live slots and writes in flight, padding included. */
  get usedBytes(): number {
    return this.allocator.usedBytes;
  }

  /** Bytes the callers stored in live slots (their exact lengths, no padding). */
  get storedBytes(): number {
    return this.storedBytesTotal;
  }

  /** Number of live slots (written and not freed). */
  get slotCount(): number {
    return this.slots.size;
  }

  /** Number of free holes below the high-water mark: a measure of fragmentation. */
  get freeExtentCount(): number {
    return this.allocator.freeExtentCount;
  }

  /** Counters since the region was opened. */
  get stats(): ScratchStats {
    return { ...this.counters };
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Stores a copy of `data` (any length, zero included) in a new slot and resolves with the slot's
   * id once the bytes are written (visible to reads; never durable: scratch does not survive a
   * restart). `data` is copied before this returns, so the caller may reuse it at once. When the
   * file is full it grows by doubling up to `maxCapacityBytes`.
   *
   * Errors: `ERR_LIMIT_EXCEEDED` when the data does not fit even at the maximum capacity, or past
   * `slotCountMax` live slots, or past `operationsInFlightMax`; `ENOSPC` when growing the file
   * fails for lack of disk space; `EIO` and the Io's other errors from the write itself;
   * `ERR_INVALID_ARGUMENT` when `data` is not a Uint8Array; `ERR_CLOSED` after {@link close}.
   * On any error no slot is created and no other slot is changed.
   */
  write(data: Uint8Array): Promise<number> {
    return this.track('scratch.write', () => this.writeSlot(data));
  }

  /**
   * Resolves with the exact bytes stored in `slot` (a new array). The slot stays valid.
   *
   * A read that started before a {@link free} of the same slot still resolves with the bytes: the
   * space is not reused until the read is done.
   *
   * Errors: `ERR_INVALID_SLOT` for an id that was never returned by {@link write} or was already
   * freed; `ERR_INVALID_ARGUMENT` when `slot` is not a number; `EIO` when the disk
   * fails or the bytes do not match their checksum; `ERR_CLOSED` after {@link close}.
   */
  read(slot: number): Promise<Uint8Array> {
    return this.track('scratch.read', () => this.readSlot('scratch.read', slot, NO_BUFFER));
  }

  /**
   * Like {@link read}, but into the start of `buffer` (no allocation): resolves with
   * `buffer.subarray(0, length)`. The buffer must not be touched until the promise settles; after
   * an error its contents are unspecified. With checksums the bytes are verified before they are
   * copied into `buffer`, so nothing done to it meanwhile is reported as corruption.
   * `ERR_INVALID_ARGUMENT` when `buffer` is not a Uint8Array (`undefined` included) or is shorter
   * than the slot (see {@link lengthOf}); `ERR_DETACHED_BUFFER` when it is detached, or shrunk
   * below the slot's length, at the call or before the read settles (not counted in
   * `stats.readErrors`: the device did not fail); other errors as {@link read}.
   */
  readInto(slot: number, buffer: Uint8Array): Promise<Uint8Array> {
    return this.track('scratch.readInto', () => this.readSlot('scratch.readInto', slot, buffer));
  }

  /** The length in bytes stored in `slot`. Throws `ERR_INVALID_SLOT` (unknown or freed) or `ERR_CLOSED`. */
  lengthOf(slot: number): number {
    this.checkOpen('scratch.lengthOf');
    return this.lookup('scratch.lengthOf', slot).lengthBytes;
  }

  /** True when `slot` is live (written and not freed). Never throws, even after close. */
  has(slot: number): boolean {
    return this.closing === undefined && this.slots.has(slot);
  }

  /**
   * Frees `slot` at once: later reads of it fail with `ERR_INVALID_SLOT` and its space is reused by
   * later writes (after any read of it already in flight has finished). Synchronous: it does no I/O.
   * Throws `ERR_INVALID_SLOT` for an unknown or already freed slot, `ERR_CLOSED` after close.
   */
  free(slot: number): void {
    this.checkOpen('scratch.free');
    const record = this.lookup('scratch.free', slot);
    this.slots.delete(slot);
    record.freed = true;
    this.storedBytesTotal -= record.lengthBytes;
    this.counters.frees += 1;
    if (record.readsInFlight === 0) this.releaseExtent(record);
  }

  /**
   * Closes the region: new calls fail with `ERR_CLOSED`, operations in flight settle first, then
   * the file is closed and, when it had a name, removed (a file already gone is not an error).
   * Resolves once the file is closed and removed; calling it again returns the same promise.
   * Rejects with the Io's error if closing or removing fails (both are attempted). After the Io
   * was shut down or its simulated node crashed, an anonymous region closes without error (its
   * file is gone with the fd); a named one rejects, since its file could not be removed.
   */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((resolve) => { this.idleWaiter = resolve; });
    this.slots.clear();
    this.storedBytesTotal = 0;
    this.bounce.clear();
    let failure: unknown;
    try {
      await this.io.close(this.fd);
    } catch (err) {
      // A shut-down or crashed Io has closed every fd already: the file is released either way.
      if (!abandoned(err)) failure = err;
    }
    if (this.path !== undefined) {
      try {
        await this.io.unlink(this.path);
      } catch (err) {
        if (!(err instanceof StorageError && err.code === 'ENOENT')) failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }

  private async writeSlot(caller: Uint8Array): Promise<number> {
    // The snapshot from here on: its getters and methods are the engine's, whatever `caller`'s
    // subclass or own properties say.
    const data = checkBuffer('scratch.write', caller, IO_BYTES_MAX);
    if (this.slots.size + this.pendingWrites >= this.slotCountMax) {
      throw new StorageError('ERR_LIMIT_EXCEEDED', 'scratch.write: too many live slots', {
        operation: 'scratch.write', limit: this.slotCountMax,
      });
    }
    const lengthBytes = data.byteLength;
    // Taken before the first await: the checksum and, for direct I/O, the copy describe the data
    // as it was when write was called.
    const checksum = this.checksums ? crc32c(data) : 0;
    if (lengthBytes === 0) return this.register(-1, 0, 0, checksum);
    // Always a copy, direct or not, so a caller that reuses its buffer behaves the same on every
    // backend (one memcpy, into a pooled buffer; small next to the write itself). Direct writes
    // cover the whole padded extent, padding zeroed.
    const transferBytes = this.direct ? this.allocator.paddedLength(lengthBytes) : lengthBytes;
    const buffer = this.bounce.acquire(transferBytes);
    const source = buffer.subarray(0, transferBytes);
    source.set(data);
    if (transferBytes > lengthBytes) source.fill(0, lengthBytes);
    let reusable = true;
    this.pendingWrites += 1;
    try {
      const extent = await this.reserve(lengthBytes);
      try {
        await writeFully(this.io, this.fd, source, extent.offsetBytes, this.direct ? this.alignmentBytes : 1);
      } catch (err) {
        reusable = !abandoned(err);
        this.counters.writeErrors += 1;
        this.allocator.release(extent.offsetBytes);
        throw err;
      }
      return this.register(extent.offsetBytes, lengthBytes, extent.lengthBytes, checksum);
    } finally {
      this.pendingWrites -= 1;
      if (reusable) this.bounce.release(buffer);
    }
  }

  private register(extentOffsetBytes: number, lengthBytes: number, paddedBytes: number, checksum: number): number {
    const slot = this.nextSlot;
    this.nextSlot += 1;
    this.slots.set(slot, { extentOffsetBytes, lengthBytes, paddedBytes, checksum, readsInFlight: 0, freed: false });
    this.storedBytesTotal += lengthBytes;
    this.counters.writes += 1;
    return slot;
  }

  /** An extent for `lengthBytes`, growing the file (one growth at a time) when none is free. */
  private async reserve(lengthBytes: number): Promise<{ offsetBytes: number; lengthBytes: number }> {
    for (let round = 0; round < GROWTH_ROUNDS_MAX; round += 1) {
      const extent = this.allocator.tryAllocate(lengthBytes);
      if (extent !== undefined) return extent;
      // Throws ERR_LIMIT_EXCEEDED synchronously when even the maximum cannot hold the request.
      this.allocator.growthFor(lengthBytes);
      await this.growFor(lengthBytes);
    }
    throw new StorageError('ERR_INTERNAL', 'scratch.write: growth did not make room', {
      operation: 'scratch.write', lengthBytes, capacityBytes: this.allocator.capacityBytes,
    });
  }

  /**
   * Grows the file enough for `lengthBytes`, after any growth already running (growths are
   * serialized so two writers never reserve the same range twice). If another growth or a free
   * made room meanwhile, does nothing.
   */
  private growFor(lengthBytes: number): Promise<void> {
    const run = async (): Promise<void> => {
      const targetBytes = this.allocator.growthFor(lengthBytes);
      const currentBytes = this.allocator.capacityBytes;
      if (targetBytes === currentBytes) return;
      try {
        await this.io.allocate(this.fd, currentBytes, targetBytes - currentBytes);
      } catch (err) {
        this.counters.growthErrors += 1;
        throw err;
      }
      this.allocator.grow(targetBytes);
      this.counters.growths += 1;
    };
    const result = this.growthTail.then(run);
    this.growthTail = result.catch(() => undefined);
    return result;
  }

  private async readSlot(operation: string, slot: number, target: unknown): Promise<Uint8Array> {
    const record = this.lookup(operation, slot);
    const { lengthBytes } = record;
    const into = target !== NO_BUFFER;
    let bytes: Uint8Array;
    if (into) {
      // A snapshot of the caller's memory, not `target` itself (a subclass may lie about its length
      // or methods); from here on it is touched through the intrinsic helpers only.
      const view = checkBuffer(operation, target, Number.MAX_SAFE_INTEGER);
      const bufferBytes = intrinsicByteLength(view);
      if (bufferBytes < lengthBytes) {
        throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: the buffer is shorter than the slot`, {
          operation, argument: 'buffer', slot, lengthBytes, bufferBytes,
        });
      }
      bytes = bufferBytes === lengthBytes ? view : plainView(view, 0, lengthBytes);
    } else {
      bytes = uninitialized(lengthBytes);
    }
    if (lengthBytes === 0) {
      this.counters.reads += 1;
      return bytes;
    }
    record.readsInFlight += 1;
    try {
      // Direct reads need an aligned buffer over the padded extent. A checked read into the caller's
      // memory needs bytes only the region can touch: the caller may detach, shrink or write its
      // buffer before the checksum runs (at once, even, when the Io answered at the call), and that
      // must not pass for corruption. Both land in a bounce buffer and are copied out once verified
      // (the copy costs a fraction of the checksum).
      if (this.direct || (into && this.checksums)) await this.readThroughBounce(operation, slot, record, bytes, into);
      else await this.readInPlace(operation, slot, record, bytes, into);
    } finally {
      record.readsInFlight -= 1;
      if (record.freed && record.readsInFlight === 0) this.releaseExtent(record);
    }
    this.counters.reads += 1;
    return bytes;
  }

  /** Reads the slot into a pooled bounce buffer, verifies it there, then copies it into `bytes`. */
  private async readThroughBounce(operation: string, slot: number, record: SlotRecord, bytes: Uint8Array, into: boolean): Promise<void> {
    const transferBytes = this.direct ? record.paddedBytes : record.lengthBytes;
    const buffer = this.bounce.acquire(transferBytes);
    let reusable = true;
    try {
      try {
        await readFully(this.io, this.fd, buffer.subarray(0, transferBytes), record.extentOffsetBytes, this.direct ? this.alignmentBytes : 1);
      } catch (err) {
        reusable = !abandoned(err);
        this.counters.readErrors += 1;
        throw err;
      }
      const value = buffer.subarray(0, record.lengthBytes);
      this.verify(operation, slot, record, value);
      if (into && !isSnapshotUsable(bytes, record.lengthBytes)) throw detachedInFlight(operation, { slot });
      copyInto(bytes, value);
    } finally {
      if (reusable) this.bounce.release(buffer);
    }
  }

  /** Reads the slot straight into `bytes`: the region's own array, or the caller's when nothing is verified. */
  private async readInPlace(operation: string, slot: number, record: SlotRecord, bytes: Uint8Array, into: boolean): Promise<void> {
    try {
      await readFully(this.io, this.fd, bytes, record.extentOffsetBytes, 1);
    } catch (err) {
      // The Io's ERR_DETACHED_BUFFER, or a retry over a range that is gone: the caller's buffer
      // failed, not the device.
      if (into && !isSnapshotUsable(bytes, record.lengthBytes)) throw detachedInFlight(operation, { slot });
      this.counters.readErrors += 1;
      throw err;
    }
    // The Io may have delivered at the call, before the caller detached or shrank the buffer.
    if (into && !isSnapshotUsable(bytes, record.lengthBytes)) throw detachedInFlight(operation, { slot });
    this.verify(operation, slot, record, bytes);
  }

  /** `EIO` (counted) when checksums are on and `bytes` do not match the slot's. */
  private verify(operation: string, slot: number, record: SlotRecord, bytes: Uint8Array): void {
    if (this.checksums && crc32c(bytes) !== record.checksum) {
      this.counters.checksumMismatches += 1;
      throw new StorageError('EIO', `${operation}: the bytes read do not match their checksum`, {
        operation, slot, reason: 'checksum', offsetBytes: record.extentOffsetBytes, lengthBytes: record.lengthBytes,
      });
    }
  }

  private releaseExtent(record: SlotRecord): void {
    if (record.extentOffsetBytes >= 0) this.allocator.release(record.extentOffsetBytes);
  }

  private lookup(operation: string, slot: number): SlotRecord {
    if (typeof slot !== 'number') {
      throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: slot must be a number`, { operation, argument: 'slot' });
    }
    const record = this.slots.get(slot);
    if (record === undefined) {
      throw new StorageError('ERR_INVALID_SLOT', `${operation}: unknown or freed slot`, { operation, slot });
    }
    return record;
  }

  private checkOpen(operation: string): void {
    if (this.closing !== undefined) {
      throw new StorageError('ERR_CLOSED', `${operation}: the scratch region is closed`, { operation });
    }
  }

  /** Runs one region operation, counted so `close` can wait for it; rejects (never throws). */
  private async track<T>(operation: string, body: () => Promise<T>): Promise<T> {
    this.checkOpen(operation);
    if (this.inFlight >= this.operationsInFlightMax) {
      throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: too many operations in flight`, {
        operation, limit: this.operationsInFlightMax,
      });
    }
    this.inFlight += 1;
    try {
      return await body();
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0 && this.idleWaiter !== undefined) {
        const wake = this.idleWaiter;
        this.idleWaiter = undefined;
        wake();
      }
    }
  }
}

/**
 * The direct (O_DIRECT) {@link FileAccess}: every transfer the Io sees is aligned to
 * `io.features.directAlignmentBytes` in offset, length and buffer address, through bounce buffers
 * from `io.allocAligned`. A write that covers part of a sector reads that sector first
 * (read-modify-write); a write that ends past the end of the file is followed by a truncate back to
 * the exact length, because the aligned write necessarily extends the file to a sector boundary.
 *
 * Concurrency: the read-modify-write of a partial sector would lose a concurrent write to the
 * other part of the same sector, and the truncate back after an extending write would cut off a
 * concurrent write further out, so such writes and every length change on one file take a
 * per-file lock shared by all handles of the Storage (`fileLocks`) exclusively. A write of whole
 * sectors does neither (it reads nothing back and ends where it asked to), so it takes the lock
 * shared: whole-sector writes run concurrently, and never alongside an exclusive holder, whose
 * view of the file stays what it read. Reads take no lock. A whole-sector write of the caller's
 * aligned memory that finds the lock free takes it in the call and gives it back in the one
 * reaction that settles the write (no reaction of the lock's own); one that finds it held
 * exclusively or awaited waits in line as every other write does.
 *
 * Memory: bounce buffers are at most {@link DIRECT_CHUNK_BYTES} plus one sector; small ones come
 * from the Storage's {@link BouncePool} and go back to it once their Io operation settled, larger
 * ones are allocated per operation and released to the garbage collector. No buffer handed to the
 * Io is touched until its operation settles. A write of whole sectors from one buffer that lies in
 * allocAligned memory at an aligned offset (`common/aligned-memory.ts`) skips the bounce: the Io
 * gets the caller's buffer (the copy was a fifth of the CPU of a 4 KiB direct write through
 * Storage); as for every write, its bytes must not change until the write settles. A `readInto`
 * of whole sectors into such memory skips it too, and the Io reads into the caller's buffer.
 */
import { StorageError } from '../interfaces/errors.js';
import type { Io } from '../interfaces/io.js';
import { isAlignedView } from '../common/aligned-memory.js';
import { settledReadOf, settledWriteOf, type SettledTransferFn } from '../common/settled-transfer.js';
import { IO_BYTES_MAX } from '../interfaces/limits.js';
import { copyInto, intrinsicByteLength } from '../interfaces/validate.js';
import type { FileAccess } from './access.js';
import { settleFirstReadIn, settleFirstWriteIn, settleNowOrIn, settleRangeIn, settleWriteIn, type RangeReadSink, type RangeWriteSink } from './range-sink.js';
import { POOLED_BOUNCE_BYTES, type BouncePool } from './bounce-pool.js';
import { checkTransferCount } from './buffered.js';
import { checkChunksInPlace, checkTargetInPlace } from './in-place.js';
import type { KeyedRwLock } from './rw-lock.js';

/** Largest bounce buffer of one direct transfer; bigger ranges are moved in pieces of this size. */
export const DIRECT_CHUNK_BYTES = 1 << 20;
/** Short transfers tolerated per piece before it fails with `EIO` (each may make no aligned progress). */
export const DIRECT_SHORT_TRANSFER_MAX = 64;

function alignDown(value: number, alignmentBytes: number): number {
  return value - (value % alignmentBytes);
}

function alignUp(value: number, alignmentBytes: number): number {
  const rest = value % alignmentBytes;
  return rest === 0 ? value : value + alignmentBytes - rest;
}

/** Copies `lengthBytes` bytes of the concatenation of `chunks`, from `sourceOffsetBytes`, into `target`. */
function copyFromChunks(chunks: readonly Uint8Array[], sourceOffsetBytes: number, target: Uint8Array, lengthBytes: number): void {
  let skipBytes = sourceOffsetBytes;
  let doneBytes = 0;
  for (const chunk of chunks) {
    if (doneBytes >= lengthBytes) return;
    if (skipBytes >= chunk.byteLength) {
      skipBytes -= chunk.byteLength;
      continue;
    }
    const takeBytes = Math.min(chunk.byteLength - skipBytes, lengthBytes - doneBytes);
    target.set(chunk.subarray(skipBytes, skipBytes + takeBytes), doneBytes);
    doneBytes += takeBytes;
    skipBytes = 0;
  }
}

/** The direct strategy for one blob handle. */
export class DirectAccess implements FileAccess {
  private readonly alignmentBytes: number;
  /** The Io's read and write without a caller-stack frame, where it has them (`common/settled-transfer.ts`). */
  private readonly readSettled: SettledTransferFn;
  private readonly writeSettled: SettledTransferFn;

  /**
   * One instance per blob handle. `fileLockKey` names the file (its path), so every handle of the
   * same file takes the same lock in `fileLocks`.
   */
  constructor(
    private readonly io: Io,
    private readonly fileLocks: KeyedRwLock,
    private readonly fileLockKey: string,
    private readonly bounces: BouncePool,
  ) {
    this.alignmentBytes = io.features.directAlignmentBytes;
    this.readSettled = settledReadOf(io);
    this.writeSettled = settledWriteOf(io);
  }

  /**
   * Reads the aligned range `[alignedOffsetBytes, +bounce.byteLength)` into `bounce` and resolves
   * with the count of valid bytes (fewer only at end of file). A short read may end mid-sector, and
   * the next read must start aligned, so the partial sector is read again; end of file is told
   * from a stuck short read by the file's length.
   */
  private async readAligned(fd: number, bounce: Uint8Array, alignedOffsetBytes: number): Promise<number> {
    let validBytes = 0;
    for (let attempt = 0; validBytes < bounce.byteLength; attempt++) {
      if (attempt > bounce.byteLength / this.alignmentBytes + DIRECT_SHORT_TRANSFER_MAX) {
        throw new StorageError('EIO', 'direct reads keep coming back short', {
          operation: 'blob.readAt', offsetBytes: alignedOffsetBytes + validBytes, attempts: attempt,
        });
      }
      const startBytes = alignDown(validBytes, this.alignmentBytes);
      const askedBytes = bounce.byteLength - startBytes;
      const n = await this.io.read(fd, bounce.subarray(startBytes), alignedOffsetBytes + startBytes);
      checkTransferCount('read', n, askedBytes);
      const endBytes = startBytes + n;
      if (endBytes > validBytes) validBytes = endBytes;
      if (n === askedBytes) continue;
      const fileBytes = (await this.io.stat(fd)).sizeBytes;
      if (fileBytes <= alignedOffsetBytes + validBytes) break;
    }
    return Math.min(validBytes, bounce.byteLength);
  }

  /** Writes all of aligned `bounce` at aligned `alignedOffsetBytes`, retrying short writes from the sector they stopped in. */
  private async writeAligned(fd: number, bounce: Uint8Array, alignedOffsetBytes: number): Promise<void> {
    let doneBytes = 0;
    for (let attempt = 0; doneBytes < bounce.byteLength; attempt++) {
      if (attempt > bounce.byteLength / this.alignmentBytes + DIRECT_SHORT_TRANSFER_MAX) {
        throw new StorageError('EIO', 'direct writes keep coming back short', {
          operation: 'blob.writeAt', offsetBytes: alignedOffsetBytes + doneBytes, attempts: attempt,
        });
      }
      const startBytes = alignDown(doneBytes, this.alignmentBytes);
      const askedBytes = bounce.byteLength - startBytes;
      const n = await this.io.write(fd, bounce.subarray(startBytes), alignedOffsetBytes + startBytes);
      checkTransferCount('write', n, askedBytes);
      if (startBytes + n > doneBytes) doneBytes = startBytes + n;
    }
  }

  /**
   * `readInto`'s path: a range of whole sectors read into the caller's own aligned memory (from an
   * allocAligned, at an aligned offset) goes to the Io as it is, one read settled through one
   * `then`, as a whole-sector write from such memory does: no bounce, copy or async frame (with
   * them a 4 KiB direct read through Storage took 1.4–2 µs of CPU more than the Io's own read).
   * A short read (end of file, rare) is done again by the general path. Anything else is
   * {@link readRange}.
   */
  readRangeSettled<T>(fd: number, target: Uint8Array, fileOffsetBytes: number, sink: RangeReadSink<T>): Promise<T> | number {
    const lengthBytes = intrinsicByteLength(target);
    if (lengthBytes === 0 || lengthBytes > IO_BYTES_MAX || fileOffsetBytes % this.alignmentBytes !== 0 || !isAlignedView(target, this.alignmentBytes)) {
      return settleRangeIn(sink, this.readRange(fd, target, fileOffsetBytes), target, fileOffsetBytes, lengthBytes);
    }
    const outcome = this.readSettled(fd, target, fileOffsetBytes);
    if (typeof outcome === 'number') return settleNowOrIn(sink, this.afterReadInPlace(fd, target, fileOffsetBytes, lengthBytes, outcome), target, fileOffsetBytes, lengthBytes);
    return this.settleRingRead(sink, outcome, fd, target, fileOffsetBytes, lengthBytes);
  }

  /** {@link readRangeSettled}'s promised read in place (a method of its own, as BufferedAccess's). */
  private settleRingRead<T>(sink: RangeReadSink<T>, first: Promise<number>, fd: number, target: Uint8Array, fileOffsetBytes: number, lengthBytes: number): Promise<T> {
    return settleFirstReadIn(sink, first, target, fileOffsetBytes, lengthBytes, (n) => this.afterReadInPlace(fd, target, fileOffsetBytes, lengthBytes, n));
  }

  private afterReadInPlace(fd: number, target: Uint8Array, fileOffsetBytes: number, lengthBytes: number, readBytes: number): Promise<number> | number {
    checkTransferCount('read', readBytes, lengthBytes);
    return readBytes === lengthBytes ? readBytes : this.readRangePieces(fd, target, lengthBytes, fileOffsetBytes);
  }

  async readRange(fd: number, target: Uint8Array, fileOffsetBytes: number): Promise<number> {
    const a = this.alignmentBytes;
    const lengthBytes = intrinsicByteLength(target);
    const endBytes = fileOffsetBytes + lengthBytes;
    // A small range read whole in one aligned read (every page-sized read): one Io call into a
    // pooled bounce buffer. Anything else, or a short read, takes the general path below.
    const alignedStartBytes = alignDown(fileOffsetBytes, a);
    const alignedLengthBytes = alignUp(endBytes, a) - alignedStartBytes;
    if (alignedLengthBytes <= POOLED_BOUNCE_BYTES) {
      const pooled = this.bounces.take(alignedLengthBytes);
      try {
        const view = pooled.subarray(0, alignedLengthBytes);
        const n = await this.io.read(fd, view, alignedStartBytes);
        checkTransferCount('read', n, alignedLengthBytes);
        if (n === alignedLengthBytes) {
          checkTargetInPlace('blob.readInto', target, lengthBytes);
          copyInto(target, view.subarray(fileOffsetBytes - alignedStartBytes, endBytes - alignedStartBytes));
          return lengthBytes;
        }
      } finally {
        this.bounces.give(pooled);
      }
    }
    return this.readRangePieces(fd, target, lengthBytes, fileOffsetBytes);
  }

  /**
   * {@link readRange} in pieces of at most {@link DIRECT_CHUNK_BYTES}, retrying short reads.
   * `lengthBytes`: the target's length at the call (it may have been detached since).
   */
  private async readRangePieces(fd: number, target: Uint8Array, lengthBytes: number, fileOffsetBytes: number): Promise<number> {
    const a = this.alignmentBytes;
    const endBytes = fileOffsetBytes + lengthBytes;
    let positionBytes = fileOffsetBytes;
    let bounce: Uint8Array | undefined;
    // Bounded: each piece advances by at least one byte (or stops at end of file).
    while (positionBytes < endBytes) {
      const alignedStartBytes = alignDown(positionBytes, a);
      const pieceEndBytes = Math.min(endBytes, alignedStartBytes + DIRECT_CHUNK_BYTES);
      const alignedLengthBytes = alignUp(pieceEndBytes, a) - alignedStartBytes;
      if (bounce === undefined || bounce.byteLength < alignedLengthBytes) bounce = this.io.allocAligned(alignedLengthBytes);
      const view = bounce.subarray(0, alignedLengthBytes);
      const validBytes = await this.readAligned(fd, view, alignedStartBytes);
      const usableEndBytes = Math.min(pieceEndBytes, alignedStartBytes + validBytes);
      if (usableEndBytes <= positionBytes) break;
      checkTargetInPlace('blob.readInto', target, lengthBytes);
      copyInto(target, view.subarray(positionBytes - alignedStartBytes, usableEndBytes - alignedStartBytes), positionBytes - fileOffsetBytes);
      positionBytes = usableEndBytes;
      if (usableEndBytes < pieceEndBytes) break;
    }
    return positionBytes - fileOffsetBytes;
  }

  /**
   * A whole-sector write of the caller's aligned memory as it is: one Io write settled through one
   * `then` (no async frame; a short write, rare, continues in {@link writeAligned}).
   */
  private writeInPlace(fd: number, data: Uint8Array, lengthBytes: number, alignedOffsetBytes: number): Promise<void> {
    // Reached after the lock's await: the caller may have detached `data` meanwhile.
    checkChunksInPlace('blob.writeAt', [data], lengthBytes);
    const after = (n: number): Promise<void> | undefined => this.afterWriteInPlace(fd, data, lengthBytes, alignedOffsetBytes, n);
    // A direct write is never done at the call (see UringIo's inlineWrites), but the type allows it.
    const outcome = this.writeSettled(fd, data, alignedOffsetBytes);
    return typeof outcome === 'number' ? Promise.resolve().then(() => after(outcome)) : outcome.then(after);
  }

  /** A whole-sector write in place that came back with `n`: all of it, or the rest written by {@link writeAligned}. */
  private afterWriteInPlace(fd: number, data: Uint8Array, lengthBytes: number, alignedOffsetBytes: number, n: number): Promise<void> | undefined {
    checkTransferCount('write', n, lengthBytes);
    return n === lengthBytes ? undefined : this.writeAligned(fd, data, alignedOffsetBytes);
  }

  /** One small whole-sector write through a pooled bounce buffer (no stat, nothing to read back). */
  private async writeWholeSectors(fd: number, data: Uint8Array, lengthBytes: number, alignedOffsetBytes: number): Promise<void> {
    checkChunksInPlace('blob.writeAt', [data], lengthBytes);
    const pooled = this.bounces.take(lengthBytes);
    try {
      const bounce = pooled.subarray(0, lengthBytes);
      bounce.set(data);
      const n = await this.io.write(fd, bounce, alignedOffsetBytes);
      checkTransferCount('write', n, bounce.byteLength);
      // Short (rare): rewriting the same bytes from the start is harmless and keeps this simple.
      if (n < bounce.byteLength) await this.writeAligned(fd, bounce, alignedOffsetBytes);
    } finally {
      this.bounces.give(pooled);
    }
  }

  /**
   * {@link writeRange}, delivered to `sink` (a direct write is never done at the call: see
   * UringIo's `inlineWrites`). A whole-sector write of the caller's aligned memory that finds the
   * file's lock free takes it shared here and gives it back in the one reaction that settles the
   * write (see {@link writeHeldInPlace}); anything else, or a lock held exclusively or awaited,
   * goes through {@link writeRange}.
   */
  writeRangeSettled<T>(fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number, sink: RangeWriteSink<T>): Promise<T> {
    const a = this.alignmentBytes;
    const data = chunks.length === 1 ? chunks[0] as Uint8Array : undefined;
    if (data !== undefined && totalBytes > 0 && totalBytes <= IO_BYTES_MAX && fileOffsetBytes % a === 0 && totalBytes % a === 0 && isAlignedView(data, a) &&
      this.fileLocks.tryHoldShared(this.fileLockKey)) {
      return this.writeHeldInPlace(fd, data, totalBytes, fileOffsetBytes, sink);
    }
    return settleWriteIn(sink, this.writeRange(fd, chunks, totalBytes, fileOffsetBytes), fileOffsetBytes, totalBytes);
  }

  /**
   * {@link writeInPlace} with the file's lock held shared already (taken in this same call, so the
   * blob's snapshot of `data` still stands): one Io write, and one reaction that gives the lock
   * back and delivers to `sink` (a short write, rare, continues in {@link writeAligned} first).
   * Without it a 4 KiB direct write through Storage paid two reactions more than the Io's own.
   */
  private writeHeldInPlace<T>(fd: number, data: Uint8Array, lengthBytes: number, alignedOffsetBytes: number, sink: RangeWriteSink<T>): Promise<T> {
    const key = this.fileLockKey;
    let first: Promise<number> | number;
    try {
      first = this.writeSettled(fd, data, alignedOffsetBytes, lengthBytes);
    } catch (err) {
      this.fileLocks.releaseShared(key);
      throw err;
    }
    // The lock goes back before the blob hears of the outcome, in the same reaction.
    const held: RangeWriteSink<T> = {
      rangeWritten: (fileOffsetBytes, totalBytes) => {
        this.fileLocks.releaseShared(key);
        return sink.rangeWritten(fileOffsetBytes, totalBytes);
      },
      rangeWriteFailed: (err) => {
        this.fileLocks.releaseShared(key);
        return sink.rangeWriteFailed(err);
      },
    };
    // A direct write is never done at the call, but the type allows it.
    return settleFirstWriteIn(held, typeof first === 'number' ? Promise.resolve(first) : first, alignedOffsetBytes, lengthBytes,
      (n) => this.afterWriteInPlace(fd, data, lengthBytes, alignedOffsetBytes, n));
  }

  writeRange(fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number): Promise<void> {
    if (totalBytes === 0) return Promise.resolve();
    const a = this.alignmentBytes;
    // Whole sectors need no read-modify-write and leave nothing to truncate back: such writes
    // share the lock; anything touching part of a sector takes it alone (see the file comment).
    const wholeSectors = fileOffsetBytes % a === 0 && totalBytes % a === 0;
    if (wholeSectors && chunks.length === 1) {
      const data = chunks[0] as Uint8Array;
      // The caller's own aligned memory (from an allocAligned) goes to the Io as it is: no bounce.
      if (totalBytes <= IO_BYTES_MAX && isAlignedView(data, a)) {
        return this.fileLocks.run(this.fileLockKey, false, 'blob.writeAt', () => this.writeInPlace(fd, data, totalBytes, fileOffsetBytes));
      }
      if (totalBytes <= POOLED_BOUNCE_BYTES) {
        return this.fileLocks.run(this.fileLockKey, false, 'blob.writeAt', () => this.writeWholeSectors(fd, data, totalBytes, fileOffsetBytes));
      }
    }
    return this.fileLocks.run(this.fileLockKey, !wholeSectors, 'blob.writeAt', async () => {
      let fileBytes = (await this.io.stat(fd)).sizeBytes;
      const endBytes = fileOffsetBytes + totalBytes;
      let positionBytes = fileOffsetBytes;
      while (positionBytes < endBytes) {
        const alignedStartBytes = alignDown(positionBytes, a);
        const pieceEndBytes = Math.min(endBytes, alignedStartBytes + DIRECT_CHUNK_BYTES);
        const alignedEndBytes = alignUp(pieceEndBytes, a);
        const pooled = this.bounces.take(alignedEndBytes - alignedStartBytes);
        const bounce = pooled.subarray(0, alignedEndBytes - alignedStartBytes);
        // A pooled buffer holds an earlier transfer's bytes: the parts not read back below must be zeros.
        bounce.fill(0);
        // Keep what the partial first and last sectors already hold (zeros past the end of file).
        if (positionBytes > alignedStartBytes && alignedStartBytes < fileBytes) {
          await this.readAligned(fd, bounce.subarray(0, a), alignedStartBytes);
        }
        const lastSectorBytes = alignedEndBytes - a;
        if (pieceEndBytes < alignedEndBytes && lastSectorBytes < fileBytes && (lastSectorBytes > alignedStartBytes || positionBytes === alignedStartBytes)) {
          await this.readAligned(fd, bounce.subarray(lastSectorBytes - alignedStartBytes), lastSectorBytes);
        }
        // After the stat, the reads back and earlier pieces: a chunk detached meanwhile would copy nothing.
        checkChunksInPlace('blob.writeAt', chunks, totalBytes);
        copyFromChunks(chunks, positionBytes - fileOffsetBytes, bounce.subarray(positionBytes - alignedStartBytes), pieceEndBytes - positionBytes);
        try {
          await this.writeAligned(fd, bounce, alignedStartBytes);
        } finally {
          this.bounces.give(pooled);
        }
        // The aligned write may have pushed the end of file to a sector boundary: put it back.
        const wantedFileBytes = Math.max(fileBytes, pieceEndBytes);
        if (alignedEndBytes > wantedFileBytes) await this.io.truncate(fd, wantedFileBytes);
        fileBytes = wantedFileBytes;
        positionBytes = pieceEndBytes;
      }
    });
  }

  /** Direct writes keep their aligned path (bounce, lock, read-modify-write); the sync follows. */
  async writeRangeDurable(fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number, dataOnly: boolean): Promise<void> {
    await this.writeRange(fd, chunks, totalBytes, fileOffsetBytes);
    await this.io.fsync(fd, { dataOnly });
  }

  setLength(fd: number, fileLengthBytes: number): Promise<void> {
    return this.fileLocks.run(this.fileLockKey, true, 'blob.resize', () => this.io.truncate(fd, fileLengthBytes));
  }
}

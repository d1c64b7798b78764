/**
 * The buffered (page-cache) {@link FileAccess}: plain pread/pwrite/pwritev through the Io, with
 * short transfers retried in bounded loops and large transfers split at the Io's per-call limits
 * (`IO_BYTES_MAX` bytes, `IOV_COUNT_MAX` buffers).
 */
import { StorageError } from '../interfaces/errors.js';
import type { Io } from '../interfaces/io.js';
import { IO_BYTES_MAX, IOV_COUNT_MAX } from '../interfaces/limits.js';
import { intrinsicByteLength, plainView } from '../interfaces/validate.js';
import { checkChunksInPlace, checkTargetInPlace } from './in-place.js';
import { settledReadOf, settledWriteOf, settledWritevOf, type SettledTransferFn, type SettledVectorTransferFn } from '../common/settled-transfer.js';
import type { FileAccess } from './access.js';
import { settleFirstReadIn, settleFirstWriteIn, settleNowOrIn, settleRangeIn, settleWriteIn, type RangeReadSink, type RangeWriteSink } from './range-sink.js';

/**
 * Consecutive writes that may transfer nothing before a write is failed with `EIO`. pwrite
 * returning 0 for a non-empty buffer is not an error on Linux, but repeating it forever would hang.
 */
export const WRITE_ZERO_PROGRESS_MAX = 16;

/**
 * Fills `target` from `fileOffsetBytes`, retrying short reads, and resolves with the count read
 * (less than `target.byteLength` only at end of file). A target the Io takes in one call is read
 * with one `then` and no async frame of its own (every small read: an async frame here showed in
 * profiles of 4 KiB Storage reads); a short or larger read continues in {@link readFullyFrom}.
 */
export function readFully(io: Io, fd: number, target: Uint8Array, fileOffsetBytes: number): Promise<number> {
  const lengthBytes = intrinsicByteLength(target);
  if (lengthBytes === 0 || lengthBytes > IO_BYTES_MAX) return readFullyFrom(io, fd, target, lengthBytes, fileOffsetBytes, 0);
  return io.read(fd, target, fileOffsetBytes).then((n) => afterFirstRead(io, fd, target, fileOffsetBytes, lengthBytes, n));
}

/** A first read's count `n`: all of it (or the end of the file) as it is, the rest read in more calls. */
function afterFirstRead(io: Io, fd: number, target: Uint8Array, fileOffsetBytes: number, lengthBytes: number, n: number): Promise<number> | number {
  checkTransferCount('read', n, lengthBytes);
  return n === lengthBytes || n === 0 ? n : readFullyFrom(io, fd, target, lengthBytes, fileOffsetBytes, n);
}

/**
 * {@link readFully} from `doneBytes` on. Each iteration either advances by at least one byte or
 * stops (a read of 0 is end of file), so the loop is bounded by the length.
 */
async function readFullyFrom(io: Io, fd: number, target: Uint8Array, lengthBytes: number, fileOffsetBytes: number, doneBytes: number): Promise<number> {
  while (doneBytes < lengthBytes) {
    // After an await the caller may have detached `target`: its length is the one taken at the call.
    checkTargetInPlace('blob.readInto', target, lengthBytes);
    const stepBytes = Math.min(lengthBytes - doneBytes, IO_BYTES_MAX);
    const n = await io.read(fd, plainView(target, doneBytes, stepBytes), fileOffsetBytes + doneBytes);
    if (n === 0) break;
    checkTransferCount('read', n, stepBytes);
    doneBytes += n;
  }
  return doneBytes;
}

/** A backend that reports more bytes than asked is broken; continuing would corrupt offsets. */
export function checkTransferCount(operation: string, countBytes: number, askedBytes: number): void {
  if (!Number.isInteger(countBytes) || countBytes < 0 || countBytes > askedBytes) {
    throw new StorageError('ERR_INTERNAL', 'the Io reported an impossible transfer count', {
      operation, countBytes, askedBytes,
    });
  }
}

/**
 * Writes `chunks` back to back from `fileOffsetBytes`, retrying short writes. Empty chunks are
 * skipped; groups of at most `IOV_COUNT_MAX` buffers and `IO_BYTES_MAX` bytes go to one writev
 * (or one write when a group holds a single buffer). Bounded: every iteration advances by at least
 * one byte, except at most {@link WRITE_ZERO_PROGRESS_MAX} consecutive zero-byte writes.
 * `firstBytes`: the count of a first write of the same chunks the caller already made (short: the
 * rest is written here, and a first write of 0 counts towards that bound).
 */
export async function writeFully(io: Io, fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number, firstBytes?: number): Promise<void> {
  // Bytes written that the cursor (chunkIndex, chunkOffsetBytes) has not yet stepped over.
  let advanceBytes = firstBytes ?? 0;
  let positionBytes = fileOffsetBytes + advanceBytes;
  let zeroProgressCount = firstBytes === 0 ? 1 : 0;
  // One buffer the Io takes whole (every small write): one call without the grouping below, which
  // only runs if the write comes back short.
  const only = chunks.length === 1 && firstBytes === undefined ? chunks[0]! : undefined;
  if (only !== undefined && totalBytes > 0 && totalBytes <= IO_BYTES_MAX) {
    checkChunksInPlace('blob.writeAt', chunks, totalBytes);
    const n = await io.write(fd, only, fileOffsetBytes);
    checkTransferCount('write', n, totalBytes);
    if (n === totalBytes) return;
    advanceBytes = n;
    positionBytes += n;
    zeroProgressCount = n === 0 ? 1 : 0;
  }
  let chunkIndex = 0;
  let chunkOffsetBytes = 0;
  const group: Uint8Array[] = [];
  for (;;) {
    // Done: a buffer detached after the last call took its bytes changes nothing.
    if (positionBytes - fileOffsetBytes === totalBytes) return;
    // Then, before the cursor reads any length (every pass but the first follows an await, and
    // so may the first): a chunk detached meanwhile would be stepped over as empty and the write
    // resolve without its bytes.
    checkChunksInPlace('blob.writeAt', chunks, totalBytes);
    // Step over what was written, and over empty and finished chunks.
    while (chunkIndex < chunks.length) {
      const availableBytes = chunks[chunkIndex]!.byteLength - chunkOffsetBytes;
      if (advanceBytes < availableBytes) {
        chunkOffsetBytes += advanceBytes;
        advanceBytes = 0;
        break;
      }
      advanceBytes -= availableBytes;
      chunkIndex += 1;
      chunkOffsetBytes = 0;
    }
    if (chunkIndex >= chunks.length) return;
    group.length = 0;
    let groupBytes = 0;
    for (let i = chunkIndex, skip = chunkOffsetBytes; i < chunks.length && group.length < IOV_COUNT_MAX && groupBytes < IO_BYTES_MAX; i++, skip = 0) {
      const chunk = chunks[i]!;
      if (chunk.byteLength - skip === 0) continue;
      const takeBytes = Math.min(chunk.byteLength - skip, IO_BYTES_MAX - groupBytes);
      group.push(skip === 0 && takeBytes === chunk.byteLength ? chunk : chunk.subarray(skip, skip + takeBytes));
      groupBytes += takeBytes;
    }
    const n = group.length === 1 ? await io.write(fd, group[0]!, positionBytes) : await io.writev(fd, group, positionBytes);
    checkTransferCount('write', n, groupBytes);
    if (n === 0) {
      zeroProgressCount += 1;
      if (zeroProgressCount >= WRITE_ZERO_PROGRESS_MAX) {
        throw new StorageError('EIO', 'writes keep transferring nothing', {
          operation: 'blob.writeAt', offsetBytes: positionBytes, attempts: zeroProgressCount,
        });
      }
      continue;
    }
    zeroProgressCount = 0;
    positionBytes += n;
    advanceBytes = n;
  }
}

/** The buffered strategy. */
export class BufferedAccess implements FileAccess {
  /** The Io's read without a caller-stack frame, where it has one: the hot path settles through then. */
  private readonly readSettled: SettledTransferFn;
  /** The Io's write and writev likewise: a write done at the call (UringIo's `inlineWrites`) comes back as its count. */
  private readonly writeSettled: SettledTransferFn;
  private readonly writevSettled: SettledVectorTransferFn;

  constructor(private readonly io: Io) {
    this.readSettled = settledReadOf(io);
    this.writeSettled = settledWriteOf(io);
    this.writevSettled = settledWritevOf(io);
  }

  readRange(fd: number, target: Uint8Array, fileOffsetBytes: number): Promise<number> {
    return readFully(this.io, fd, target, fileOffsetBytes);
  }

  readRangeSettled<T>(fd: number, target: Uint8Array, fileOffsetBytes: number, sink: RangeReadSink<T>): Promise<T> | number {
    const lengthBytes = intrinsicByteLength(target);
    if (lengthBytes === 0 || lengthBytes > IO_BYTES_MAX) return settleRangeIn(sink, readFullyFrom(this.io, fd, target, lengthBytes, fileOffsetBytes, 0), target, fileOffsetBytes, lengthBytes);
    // Checked: the blob checked `target` and the offset in this same call (see FileAccess).
    const outcome = this.readSettled(fd, target, fileOffsetBytes, lengthBytes);
    if (typeof outcome === 'number') return settleNowOrIn(sink, afterFirstRead(this.io, fd, target, fileOffsetBytes, lengthBytes, outcome), target, fileOffsetBytes, lengthBytes);
    return this.settleRingRead(sink, outcome, fd, target, fileOffsetBytes, lengthBytes);
  }

  /**
   * {@link readRangeSettled}'s promised first read, in a method of its own: the closure it makes
   * would otherwise cost every read answered at the call a context allocation.
   */
  private settleRingRead<T>(sink: RangeReadSink<T>, first: Promise<number>, fd: number, target: Uint8Array, fileOffsetBytes: number, lengthBytes: number): Promise<T> {
    return settleFirstReadIn(sink, first, target, fileOffsetBytes, lengthBytes, (n) => afterFirstRead(this.io, fd, target, fileOffsetBytes, lengthBytes, n));
  }

  writeRange(fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number): Promise<void> {
    return writeFully(this.io, fd, chunks, totalBytes, fileOffsetBytes);
  }

  /**
   * Chunks that {@link writeFully} would send as one first call (none empty, at most
   * `IOV_COUNT_MAX` of them and `IO_BYTES_MAX` bytes) go as that same write or writev, settled
   * through one `then` or none when the Io did it at the call; anything else, and the rest of a
   * short write, goes through writeFully.
   */
  writeRangeSettled<T>(fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number, sink: RangeWriteSink<T>): Promise<T> | undefined {
    if (totalBytes === 0 || totalBytes > IO_BYTES_MAX || chunks.length > IOV_COUNT_MAX) return settleWriteIn(sink, writeFully(this.io, fd, chunks, totalBytes, fileOffsetBytes), fileOffsetBytes, totalBytes);
    // Checked calls (see FileAccess): the chunks are the blob's snapshot, taken in this same call.
    if (chunks.length === 1) return this.settleFirstWrite(sink, fd, chunks, totalBytes, fileOffsetBytes, this.writeSettled(fd, chunks[0]!, fileOffsetBytes, totalBytes));
    const lengthsBytes = new Array<number>(chunks.length);
    for (let i = 0; i < chunks.length; i += 1) {
      const lengthBytes = intrinsicByteLength(chunks[i]!);
      if (lengthBytes === 0) return settleWriteIn(sink, writeFully(this.io, fd, chunks, totalBytes, fileOffsetBytes), fileOffsetBytes, totalBytes);
      lengthsBytes[i] = lengthBytes;
    }
    return this.settleFirstWrite(sink, fd, chunks, totalBytes, fileOffsetBytes, this.writevSettled(fd, chunks, fileOffsetBytes, { views: chunks, lengthsBytes, totalBytes }));
  }

  /** The first write's outcome, as {@link writeRangeSettled} returns it. */
  private settleFirstWrite<T>(sink: RangeWriteSink<T>, fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number,
    outcome: Promise<number> | number): Promise<T> | undefined {
    if (typeof outcome !== 'number') return this.settleRingWrite(sink, outcome, fd, chunks, totalBytes, fileOffsetBytes);
    const rest = this.afterFirstWrite(fd, chunks, totalBytes, fileOffsetBytes, outcome);
    return rest === undefined ? undefined : settleWriteIn(sink, rest, fileOffsetBytes, totalBytes);
  }

  /** A promised first write (a method of its own, as {@link settleRingRead}: its closure would cost a write done at the call a context). */
  private settleRingWrite<T>(sink: RangeWriteSink<T>, first: Promise<number>, fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number): Promise<T> {
    return settleFirstWriteIn(sink, first, fileOffsetBytes, totalBytes, (n) => this.afterFirstWrite(fd, chunks, totalBytes, fileOffsetBytes, n));
  }

  /** A first write's count `n`: all of it, or the rest written by {@link writeFully}. */
  private afterFirstWrite(fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number, n: number): Promise<void> | undefined {
    checkTransferCount('write', n, totalBytes);
    return n === totalBytes ? undefined : writeFully(this.io, fd, chunks, totalBytes, fileOffsetBytes, n);
  }

  /**
   * One buffer the Io takes in one call goes as one {@link Io.writeDurable}; a short write is
   * finished the ordinary way and then synced, as several buffers are.
   */
  async writeRangeDurable(fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number, dataOnly: boolean): Promise<void> {
    const single = chunks.length === 1 ? chunks[0] as Uint8Array : undefined;
    if (single !== undefined && totalBytes > 0 && totalBytes <= IO_BYTES_MAX) {
      const writtenBytes = await this.io.writeDurable(fd, single, fileOffsetBytes, { dataOnly });
      checkTransferCount('write', writtenBytes, totalBytes);
      if (writtenBytes === totalBytes) return;
      await writeFully(this.io, fd, chunks, totalBytes, fileOffsetBytes, writtenBytes);
    } else {
      await writeFully(this.io, fd, chunks, totalBytes, fileOffsetBytes);
    }
    await this.io.fsync(fd, { dataOnly });
  }

  setLength(fd: number, fileLengthBytes: number): Promise<void> {
    return this.io.truncate(fd, fileLengthBytes);
  }
}

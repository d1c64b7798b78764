/**
 * One open blob: a file descriptor on a blob file, with offsets shifted past the header.
 *
 * The handle keeps its own idea of the data length (`sizeBytes`), set at open and moved by this
 * handle's writes and resizes, and checks reads against it. Operations run concurrently; the
 * handle counts them so {@link StorageBlob.close} can wait for them before closing the fd, which
 * keeps an fd number from being reused under an operation still in flight.
 */
import { StorageError } from '../interfaces/errors.js';
import type { Io } from '../interfaces/io.js';
import { BLOB_HEADER_BYTES, BLOB_SIZE_MAX_BYTES, BLOB_WRITE_BUFFERS_MAX } from '../interfaces/limits.js';
import type { Blob } from '../interfaces/storage.js';
import {
  checkBufferInPlace, checkLength, checkOffset, checkRangeEnd, intrinsicByteLength, isUint8Array, plainView, snapshotBuffer, snapshotBuffers,
  type BufferListLimits,
} from '../interfaces/validate.js';
import type { FileAccess } from './access.js';
import type { RangeReadSink, RangeWriteSink } from './range-sink.js';

/** Most operations one blob handle may have in flight; more is `ERR_LIMIT_EXCEEDED`. */
export const BLOB_OPERATIONS_IN_FLIGHT_MAX = 65_536;

/** What a {@link StorageBlob} needs from the Storage that opened it. */
export interface BlobContext {
  readonly io: Io;
  readonly access: FileAccess;
  /** The blob file's path relative to the Io root (for error details). */
  readonly path: string;
  /** Called once, after the fd is closed. */
  readonly onClosed: (blob: StorageBlob) => void;
}

/** A blob write's buffer list: more buffers than one writev (written in groups), each up to the blob's size limit. */
const BLOB_WRITE_LIST: BufferListLimits = {
  countMax: BLOB_WRITE_BUFFERS_MAX, totalBytesMax: BLOB_SIZE_MAX_BYTES, argument: 'data', shape: 'data must be a Uint8Array or an array of them',
};

function closedError(operation: string, path: string): StorageError {
  return new StorageError('ERR_CLOSED', 'the blob is closed', { operation, path });
}

/** Allocates a result buffer; an allocation the runtime refuses is a limit, not a crash. */
function allocate(operation: string, lengthBytes: number): Uint8Array {
  try {
    return new Uint8Array(lengthBytes);
  } catch (err) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', 'cannot allocate a buffer that large', {
      operation, lengthBytes,
    }, { cause: err });
  }
}

/** The {@link Blob} implementation shared by every backend. */
export class StorageBlob implements Blob {
  private currentSizeBytes: number;
  private closing = false;
  private closePromise: Promise<void> | undefined;
  private inFlightCount = 0;
  /** Resolves close()'s wait once the last operation in flight has left. */
  private idleResolve: (() => void) | undefined;
  /**
   * Where {@link readInto}'s and {@link writeAt}'s access strategy delivers a transfer that did not
   * finish at the call (see `range-sink.ts`): the handle's count out, then a read's whole range
   * (`lengthBytes` is the target's length at the call, readInto's wanted length) or
   * ERR_OUT_OF_RANGE, a write's new end; a failure leaves and rethrows. One object per handle,
   * not methods of the handle: a caller must not be able to count out an operation it did not start.
   */
  private readonly sink: RangeReadSink<Uint8Array> & RangeWriteSink<void> = {
    rangeRead: (target, fileOffsetBytes, lengthBytes, readBytes) => {
      this.leave();
      this.checkReadFull('blob.readInto', readBytes, lengthBytes, fileOffsetBytes - BLOB_HEADER_BYTES);
      return target;
    },
    rangeFailed: (err) => {
      this.leave();
      throw err;
    },
    rangeWritten: (fileOffsetBytes, totalBytes) => {
      this.grownTo(fileOffsetBytes - BLOB_HEADER_BYTES + totalBytes);
      this.leave();
    },
    rangeWriteFailed: (err) => {
      this.leave();
      throw err;
    },
  };

  constructor(
    private readonly context: BlobContext,
    private readonly fd: number,
    sizeBytes: number,
    readonly version: number,
  ) {
    this.currentSizeBytes = sizeBytes;
  }

  get sizeBytes(): number {
    return this.currentSizeBytes;
  }

  /**
   * Counts one operation in, refusing it once the handle is closing. Each public operation is an
   * async method that calls this first and {@link leave} in a `finally`: a counter instead of a
   * set of promises with a settle reaction each, because on a 4 KiB read that bookkeeping cost
   * as much as the header shift and the checks together (measured with `bench/uring-reads.ts`).
   */
  private enter(operation: string): void {
    if (this.closing) throw closedError(operation, this.context.path);
    if (this.inFlightCount >= BLOB_OPERATIONS_IN_FLIGHT_MAX) {
      throw new StorageError('ERR_LIMIT_EXCEEDED', 'too many operations in flight on one blob', {
        operation, path: this.context.path, limit: BLOB_OPERATIONS_IN_FLIGHT_MAX,
      });
    }
    this.inFlightCount += 1;
  }

  private leave(): void {
    this.inFlightCount -= 1;
    if (this.inFlightCount === 0 && this.idleResolve !== undefined) {
      const resolve = this.idleResolve;
      this.idleResolve = undefined;
      resolve();
    }
  }

  private outOfRange(operation: string, offsetBytes: number, lengthBytes: number, reason: string): StorageError {
    return new StorageError('ERR_OUT_OF_RANGE', 'read past the end of the blob', {
      operation, path: this.context.path, offsetBytes, lengthBytes, sizeBytes: this.currentSizeBytes, reason,
    });
  }

  /**
   * Fails a read that came back short: the file ended before this handle's size (another handle
   * shrank it, or something outside Storage did). The bytes do not exist, so this is the same
   * condition as reading past the end. Not an async helper of its own: an extra async frame per
   * read showed in profiles of 4 KiB reads.
   */
  private checkReadFull(operation: string, readBytes: number, lengthBytes: number, offsetBytes: number): void {
    if (readBytes < lengthBytes) throw this.outOfRange(operation, offsetBytes, lengthBytes, 'file-shorter-than-handle-size');
  }

  /**
   * Resolves with a new array of exactly `lengthBytes` bytes from data offset `offsetBytes`.
   * Rejects with `ERR_OUT_OF_RANGE` when the range ends past {@link sizeBytes} (a zero-length
   * read at or before the end resolves with an empty array), or when the file turns out shorter
   * than this handle's size (changed by another handle); `ERR_INVALID_ARGUMENT` /
   * `ERR_LIMIT_EXCEEDED` for bad arguments; `ERR_CLOSED` after close; and the Io's errors.
   */
  async readAt(offsetBytes: number, lengthBytes: number): Promise<Uint8Array> {
    const operation = 'blob.readAt';
    this.enter(operation);
    try {
      checkOffset(operation, offsetBytes);
      checkLength(operation, lengthBytes, BLOB_SIZE_MAX_BYTES);
      if (offsetBytes + lengthBytes > this.currentSizeBytes) throw this.outOfRange(operation, offsetBytes, lengthBytes, 'past-end');
      const target = allocate(operation, lengthBytes);
      if (target.byteLength > 0) {
        this.checkReadFull(operation, await this.context.access.readRange(this.fd, target, BLOB_HEADER_BYTES + offsetBytes), lengthBytes, offsetBytes);
      }
      return target;
    } finally {
      this.leave();
    }
  }

  /**
   * Reads `lengthBytes` (default `buffer.byteLength`) from data offset `offsetBytes` into the start
   * of `buffer` and resolves with `buffer.subarray(0, lengthBytes)` (same memory). Rejects with
   * `ERR_INVALID_ARGUMENT` when `lengthBytes > buffer.byteLength` or `buffer` is not a Uint8Array,
   * `ERR_DETACHED_BUFFER` for a detached buffer, `ERR_OUT_OF_RANGE` past the end (as
   * {@link readAt}). Bytes of `buffer` past `lengthBytes` are left untouched.
   */
  readInto(buffer: Uint8Array, offsetBytes: number, lengthBytes?: number): Promise<Uint8Array> {
    // Not an async method: the checks throw into a rejected promise by hand, and the read settles
    // through the access strategy's one `then`, which delivers to `sink`, or none when the Io
    // answered it at the call (the hot path of page-sized reads).
    const operation = 'blob.readInto';
    try {
      this.enter(operation);
    } catch (err) {
      return Promise.reject(err);
    }
    let target: Uint8Array;
    let wantedBytes: number;
    let outcome: Promise<Uint8Array> | number;
    try {
      // The checks without a snapshot: the Io takes its own, and the length comes from the engine,
      // not from the buffer's (overridable) getter.
      const bufferBytes = checkBufferInPlace(operation, buffer, BLOB_SIZE_MAX_BYTES);
      checkOffset(operation, offsetBytes);
      wantedBytes = lengthBytes === undefined ? bufferBytes : checkLength(operation, lengthBytes, BLOB_SIZE_MAX_BYTES);
      if (wantedBytes > bufferBytes) {
        throw new StorageError('ERR_INVALID_ARGUMENT', 'lengthBytes is larger than the buffer', {
          operation, argument: 'lengthBytes', lengthBytes: wantedBytes, bufferBytes,
        });
      }
      if (offsetBytes + wantedBytes > this.currentSizeBytes) throw this.outOfRange(operation, offsetBytes, wantedBytes, 'past-end');
      // The whole buffer is returned as it is (one view fewer); a part is a plain view built from
      // the engine's getters (the caller's `subarray` may be overridden). The access strategies
      // touch the target through the intrinsic helpers only.
      target = wantedBytes === bufferBytes ? buffer : plainView(buffer, 0, wantedBytes);
      outcome = wantedBytes === 0 ? 0 : this.context.access.readRangeSettled(this.fd, target, BLOB_HEADER_BYTES + offsetBytes, this.sink);
    } catch (err) {
      this.leave();
      return Promise.reject(err);
    }
    if (typeof outcome === 'number') {
      this.leave();
      try {
        this.checkReadFull(operation, outcome, wantedBytes, offsetBytes);
      } catch (err) {
        return Promise.reject(err);
      }
      return Promise.resolve(target);
    }
    return outcome;
  }

  /**
   * Writes `data` (one buffer, or an array of buffers written back to back) at data offset
   * `offsetBytes` and resolves once all of it is visible to reads (not durable: see {@link sync}).
   * Short writes are retried; chunks go to the Io in writev groups of at most `IOV_COUNT_MAX`;
   * empty chunks are allowed, and an empty write changes nothing (it does not extend the blob).
   * Writing past the end extends the blob and the gap reads as zeros. The buffers must not be
   * changed until the promise settles. Rejects with `ERR_INVALID_ARGUMENT` (not a buffer or array
   * of buffers, a getter or trap of the list that throws, bad offset), `ERR_DETACHED_BUFFER`,
   * `ERR_LIMIT_EXCEEDED` (ends past `BLOB_SIZE_MAX_BYTES`, more than `BLOB_WRITE_BUFFERS_MAX`
   * buffers), `ERR_CLOSED`, and the Io's errors (`ENOSPC`, `EIO`...); bad arguments change
   * nothing. After a rejection from the Io some of the bytes may have been written.
   */
  writeAt(offsetBytes: number, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    // Not an async method, as readInto: the access strategy's one `then` (delivering to `sink`),
    // or none when the Io did the write at the call (UringIo's inlineWrites, where the async frames
    // here and in writeFully cost 5-9% of the CPU of a loop of 4 KiB writes, and 15-21% of its
    // user time).
    const operation = 'blob.writeAt';
    try {
      this.enter(operation);
    } catch (err) {
      return Promise.reject(err);
    }
    let endBytes: number;
    let outcome: Promise<void> | undefined;
    try {
      const { views, totalBytes } = this.writeSnapshot(operation, offsetBytes, data);
      endBytes = offsetBytes + totalBytes;
      outcome = totalBytes === 0 ? undefined : this.context.access.writeRangeSettled(this.fd, views, totalBytes, BLOB_HEADER_BYTES + offsetBytes, this.sink);
    } catch (err) {
      this.leave();
      return Promise.reject(err);
    }
    if (outcome !== undefined) return outcome;
    if (endBytes > offsetBytes) this.grownTo(endBytes);
    this.leave();
    return Promise.resolve();
  }

  /**
   * {@link writeAt} and {@link sync} as one operation: writes `data` at `offsetBytes`, then makes
   * the blob durable (fdatasync: this write, and every write and resize that resolved before the
   * call), and resolves once all of that is durable. In buffered mode one buffer goes to the Io's
   * {@link Io.writeDurable} (on io_uring the write linked to the fdatasync: one submission, one
   * round trip); several buffers, a short write and direct mode are written as by writeAt, then
   * synced. An empty write still syncs. Rejects as writeAt and sync do; after a rejection some of
   * the bytes may have been written, {@link sizeBytes} is unchanged and nothing is promised about
   * durability (an `EIO` from the sync stage carries sync's meaning: treat the blob as failed).
   */
  async writeAtDurable(offsetBytes: number, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    const operation = 'blob.writeAtDurable';
    this.enter(operation);
    try {
      const { views, totalBytes } = this.writeSnapshot(operation, offsetBytes, data);
      // Both strategies write nothing for an empty range and still sync.
      await this.context.access.writeRangeDurable(this.fd, views, totalBytes, BLOB_HEADER_BYTES + offsetBytes, true);
      if (totalBytes > 0) this.grownTo(offsetBytes + totalBytes);
    } finally {
      this.leave();
    }
  }

  /**
   * The arguments of a write, checked, as plain views over the caller's memory with their lengths
   * fixed at the call: from here on no caller getter or method decides what is written where.
   */
  private writeSnapshot(operation: string, offsetBytes: number, data: Uint8Array | readonly Uint8Array[]): { views: readonly Uint8Array[]; totalBytes: number } {
    checkOffset(operation, offsetBytes);
    // The engine's tag, not `instanceof`: a Proxy's getPrototypeOf trap would run (and could throw).
    if (isUint8Array(data)) {
      // One buffer (most writes): no list to copy or walk.
      const view = snapshotBuffer(operation, data, BLOB_SIZE_MAX_BYTES);
      const totalBytes = intrinsicByteLength(view);
      checkRangeEnd(operation, offsetBytes, totalBytes, BLOB_SIZE_MAX_BYTES);
      return { views: [view], totalBytes };
    }
    // A list is read as the Io reads one: length once, each element once by index, no iterator.
    const { views, totalBytes } = snapshotBuffers(operation, data, BLOB_WRITE_LIST);
    checkRangeEnd(operation, offsetBytes, totalBytes, BLOB_SIZE_MAX_BYTES);
    return { views, totalBytes };
  }

  private grownTo(endBytes: number): void {
    if (endBytes > this.currentSizeBytes) this.currentSizeBytes = endBytes;
  }

  /**
   * Sets the data length to `lengthBytes` (shrinking drops bytes, growing adds zeros) and resolves
   * once reads see it; not durable until {@link sync}. Rejects with `ERR_INVALID_ARGUMENT`,
   * `ERR_LIMIT_EXCEEDED` (past `BLOB_SIZE_MAX_BYTES`), `ERR_CLOSED`, and the Io's errors.
   */
  async resize(lengthBytes: number): Promise<void> {
    const operation = 'blob.resize';
    this.enter(operation);
    try {
      checkLength(operation, lengthBytes, BLOB_SIZE_MAX_BYTES);
      await this.context.access.setLength(this.fd, BLOB_HEADER_BYTES + lengthBytes);
      this.currentSizeBytes = lengthBytes;
    } finally {
      this.leave();
    }
  }

  /**
   * Makes every write and resize that resolved before this call durable (fdatasync: the data and
   * the file length, which is all a blob's content depends on). An `EIO` means data may be lost
   * even though reads still return it: reopen and recover, never retry blindly.
   */
  async sync(): Promise<void> {
    this.enter('blob.sync');
    try {
      await this.context.io.fsync(this.fd, { dataOnly: true });
    } finally {
      this.leave();
    }
  }

  /**
   * Refuses new operations (`ERR_CLOSED`), waits for those in flight to settle, then closes the fd.
   * Does not sync. Resolves the same way when called again. An Io already shut down has closed the
   * fd itself, so its `ERR_CLOSED` is not reported.
   */
  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closing = true;
      this.closePromise = (async () => {
        // Bounded: the count only falls once closing is set.
        if (this.inFlightCount > 0) await new Promise<void>((resolve) => { this.idleResolve = resolve; });
        try {
          await this.context.io.close(this.fd);
        } catch (err) {
          if (!(err instanceof StorageError && (err.code === 'ERR_CLOSED' || err.code === 'ERR_CRASHED'))) throw err;
        } finally {
          this.context.onClosed(this);
        }
      })();
    }
    return this.closePromise;
  }
}

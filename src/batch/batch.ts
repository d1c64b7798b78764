/**
 * readBatch / writeBatch: many reads or writes for one promise.
 *
 * Why: a caller that has many transfers ready at once (a compaction reading 64 blocks, a
 * checkpoint writing its pages) pays, with one `read` per transfer, one promise and one
 * microtask per transfer; on io_uring that is most of what a page-cache read costs. A batch
 * settles one promise for all of its entries. It is a helper over the contract, not a method of
 * Io, so every backend, wrapper and third-party Io supports it with the semantics of its own
 * `read`/`write`; a backend that can do better offers the internal `batchTransfer` fast path
 * (UringIo does), with the same per-entry results.
 */
import type { Io } from '../interfaces/io.js';
import { StorageError } from '../interfaces/errors.js';
import { snapshotBatch, type BatchEntrySnapshot } from '../interfaces/validate.js';
import { BatchCollector, batchTransfer, type BatchOutcome, type BatchTransfer } from '../common/batch-transfer.js';

/** One transfer of a batch: the arguments of one `read` or `write` call. */
export interface BatchEntry {
  readonly fd: number;
  readonly buffer: Uint8Array;
  readonly offsetBytes: number;
}

/**
 * Reads every entry, as `io.read(entry.fd, entry.buffer, entry.offsetBytes)` would, and resolves
 * once all have finished with the count of each, in entry order (short at end of file, 0 past it).
 *
 * - Every entry is checked before any starts (types, buffer, offset, at most
 *   {@link BATCH_ENTRIES_MAX} entries, no unknown key in an entry): a bad one rejects the batch
 *   with `ERR_INVALID_ARGUMENT`, `ERR_LIMIT_EXCEEDED` or `ERR_DETACHED_BUFFER`, `details.index`
 *   naming it, and nothing is read.
 * - Then all entries start at once, in index order, and run concurrently: completion order is
 *   unspecified, as for reads issued back to back.
 * - If entries fail (`EBADF`, `EIO`, a buffer detached in flight...), the batch still waits for
 *   every entry, then rejects with the error of the lowest-index failure: its code, `details` of
 *   that read plus `index`, `entryOperation` (`'read'`) and `results` (each entry's count, `null`
 *   where it failed). The other entries' bytes are delivered as usual.
 * - An empty batch resolves with `[]`. Each entry counts as one read in the backend's metrics;
 *   on the simulator each is exactly one read (same fault draws, same trace).
 */
export function readBatch(io: Io, entries: readonly BatchEntry[]): Promise<number[]> {
  return runBatch('readBatch', io, entries, false);
}

/**
 * Writes every entry, as `io.write(entry.fd, entry.buffer, entry.offsetBytes)` would (the bytes
 * are taken at the call), and resolves once all have finished with the count of each, in entry
 * order (possibly short: callers loop).
 *
 * The checks, the failure rule and the metrics are those of {@link readBatch}, plus the write
 * range limit. The entries are independent writes issued at once: a batch is neither atomic nor
 * ordered (where entries overlap, which lands last is unspecified) nor durable (fsync after it);
 * a crash may keep any subset of its writes, as for writes issued back to back.
 */
export function writeBatch(io: Io, entries: readonly BatchEntry[]): Promise<number[]> {
  return runBatch('writeBatch', io, entries, true);
}

function runBatch(operation: 'readBatch' | 'writeBatch', io: Io, entries: unknown, write: boolean): Promise<number[]> {
  let snapshot: BatchEntrySnapshot[];
  let fast: BatchTransfer[typeof batchTransfer] | undefined;
  try {
    if (typeof io !== 'object' || io === null || typeof io.read !== 'function' || typeof io.write !== 'function') {
      throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: io must be an Io`, { operation, argument: 'io' });
    }
    snapshot = snapshotBatch(operation, entries, write);
    if (snapshot.length === 0) return Promise.resolve([]);
    const offered = (io as Partial<BatchTransfer>)[batchTransfer];
    fast = typeof offered === 'function' ? offered : undefined;
  } catch (err) {
    return Promise.reject(err);  // every failure a rejection, as from an async function
  }
  // One promise for the batch, settled by its collector: when the fast path answers every entry
  // at the call, the promise is settled before this returns.
  return new Promise<number[]>((resolve, reject) => {
    const collector = new BatchCollector(snapshot.length, (outcome) => {
      const failed = outcome.counts.indexOf(-1);
      if (failed < 0) resolve(outcome.counts);
      else reject(entryFailure(operation, outcome, failed));
    });
    if (fast !== undefined) fast.call(io, write, snapshot, collector);
    else eachThroughIo(io, write, snapshot, collector);
  });
}

/** The batch's error for its lowest-index failed entry (see {@link readBatch}). */
function entryFailure(operation: 'readBatch' | 'writeBatch', outcome: BatchOutcome, failed: number): unknown {
  const err = outcome.errors[failed];
  if (!(err instanceof StorageError)) return err;
  return new StorageError(err.code, `${operation}: an entry failed: ${err.message}`, {
    ...err.details,
    operation,
    entryOperation: err.details.operation,
    index: failed,
    results: outcome.counts.map((count) => (count < 0 ? null : count)),
  }, { cause: err });
}

/** The generic path: the Io's own `read`/`write`, once per entry, all started before any settles. */
function eachThroughIo(io: Io, write: boolean, entries: readonly BatchEntrySnapshot[], collector: BatchCollector): void {
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index] as BatchEntrySnapshot;
    let transfer: Promise<number>;
    try {
      transfer = write ? io.write(entry.fd, entry.view, entry.offsetBytes) : io.read(entry.fd, entry.view, entry.offsetBytes);
    } catch (err) {
      transfer = Promise.reject(err);  // a backend that throws instead of rejecting fails this entry alone
    }
    transfer.then((transferred) => collector.done(index, transferred), (err: unknown) => collector.fail(index, err));
  }
}

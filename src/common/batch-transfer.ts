/**
 * An optional, internal fast path for `readBatch`/`writeBatch` (src/batch), outside the Io
 * contract: a backend that can start a batch's transfers without one promise per transfer offers
 * it under this symbol; every other Io gets the generic path, its own `read`/`write` once per
 * entry. Either way each entry behaves exactly as that `read`/`write` call would (same checks,
 * result, error code and details, same metrics); only the number of promises differs.
 */
import type { BatchEntrySnapshot } from '../interfaces/validate.js';

export const batchTransfer: unique symbol = Symbol('faultline.batchTransfer');

/** What every entry of a batch came to, once all of them finished. */
export interface BatchOutcome {
  /** Per entry: the count transferred, or -1 where the entry failed. */
  readonly counts: number[];
  /** Per failed entry, at its index: the error its `read`/`write` would have rejected with. */
  readonly errors: unknown[];
}

/**
 * Collects a batch's outcomes by entry index and calls `settled` once every entry has settled
 * (synchronously, from the last entry's `done`/`fail`). One per batch, shared by its entries (no
 * closure per entry: a batch exists to shed per-entry costs).
 */
export class BatchCollector {
  readonly counts: number[];
  readonly errors: unknown[] = [];
  private left: number;

  constructor(count: number, private readonly settled: (outcome: BatchOutcome) => void) {
    this.counts = new Array<number>(count).fill(-1);
    this.left = count;
  }

  done(index: number, transferred: number): void {
    this.counts[index] = transferred;
    this.settleOne();
  }

  fail(index: number, err: unknown): void {
    this.errors[index] = err;
    this.settleOne();
  }

  private settleOne(): void {
    this.left -= 1;
    if (this.left === 0) this.settled({ counts: this.counts, errors: this.errors });
  }
}

export interface BatchTransfer {
  /**
   * Starts every entry now (checked already by `snapshotBatch`), as `write` or `read` calls in
   * index order, and settles each into `collector` once it finishes (at the call, for an entry
   * answered there). Never throws. Not a promise of its own: the batch's one promise is the
   * caller's, settled by the collector (a second promise and an `await` were a third of what a
   * one-entry batch of a cached read cost).
   */
  [batchTransfer](write: boolean, entries: readonly BatchEntrySnapshot[], collector: BatchCollector): void;
}

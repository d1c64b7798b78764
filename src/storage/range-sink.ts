/**
 * Where a range read or write that did not finish at the call delivers its outcome: the blob that
 * asked, through the one reaction the access strategy chains to the Io's promise. Why: with a
 * `then` in the strategy and another in the blob (and, for a direct write, one more for the file
 * lock), each 4 KiB transfer through the ring paid a promise and a reaction or two more than the
 * raw Io's. The sink is one object per blob handle, so nothing is allocated for it per transfer.
 */

/** The receiver of a range read's outcome (see {@link FileAccess.readRangeSettled}). */
export interface RangeReadSink<T> {
  /**
   * The read of `target` (`lengthBytes` long at the call) from `fileOffsetBytes` finished with
   * `readBytes` (fewer only where the file ended). What it returns, or throws, is the read's outcome.
   */
  rangeRead(target: Uint8Array, fileOffsetBytes: number, lengthBytes: number, readBytes: number): T;
  /** The read failed with `err`: rethrows it, or the error that stands for it. */
  rangeFailed(err: unknown): never;
}

/** The receiver of a range write's outcome (see {@link FileAccess.writeRangeSettled}). */
export interface RangeWriteSink<T> {
  /** All `totalBytes` from `fileOffsetBytes` are written. What it returns, or throws, is the write's outcome. */
  rangeWritten(fileOffsetBytes: number, totalBytes: number): T;
  /** The write failed with `err` (some of it may be written): rethrows it, or the error that stands for it. */
  rangeWriteFailed(err: unknown): never;
}

/** `pending` (a count) delivered to `sink`. */
export function settleRangeIn<T>(sink: RangeReadSink<T>, pending: Promise<number>, target: Uint8Array, fileOffsetBytes: number, lengthBytes: number): Promise<T> {
  return pending.then((readBytes) => sink.rangeRead(target, fileOffsetBytes, lengthBytes, readBytes), (err: unknown) => sink.rangeFailed(err));
}

/** A read's final outcome at the call: the count itself, or a promise of it delivered to `sink`. */
export function settleNowOrIn<T>(sink: RangeReadSink<T>, outcome: Promise<number> | number, target: Uint8Array, fileOffsetBytes: number, lengthBytes: number): Promise<T> | number {
  return typeof outcome === 'number' ? outcome : settleRangeIn(sink, outcome, target, fileOffsetBytes, lengthBytes);
}

/**
 * A first read's promised count delivered to `sink` after `rest` (which checks the count and reads
 * what is missing, returning the final count or a promise of it), in that same reaction: one
 * reaction for a read done whole, and a throw of `rest` reaches `sink` as a failure. (A count the
 * Io gave at the call takes {@link settleNowOrIn}, with no closure for `rest`.)
 */
export function settleFirstReadIn<T>(sink: RangeReadSink<T>, first: Promise<number>, target: Uint8Array, fileOffsetBytes: number, lengthBytes: number,
  rest: (readBytes: number) => Promise<number> | number): Promise<T> {
  return first.then((firstBytes) => {
    let outcome: Promise<number> | number;
    try {
      outcome = rest(firstBytes);
    } catch (err) {
      return sink.rangeFailed(err);
    }
    return typeof outcome === 'number' ? sink.rangeRead(target, fileOffsetBytes, lengthBytes, outcome) : settleRangeIn(sink, outcome, target, fileOffsetBytes, lengthBytes);
  }, (err: unknown) => sink.rangeFailed(err));
}

/** `pending` (the rest of a write) delivered to `sink`. */
export function settleWriteIn<T>(sink: RangeWriteSink<T>, pending: Promise<void>, fileOffsetBytes: number, totalBytes: number): Promise<T> {
  return pending.then(() => sink.rangeWritten(fileOffsetBytes, totalBytes), (err: unknown) => sink.rangeWriteFailed(err));
}

/**
 * A first write's promised count delivered to `sink` after `rest` (which checks the count and
 * writes what is missing: undefined when nothing is, else a promise), in that same reaction, as
 * {@link settleFirstReadIn} does for reads.
 */
export function settleFirstWriteIn<T>(sink: RangeWriteSink<T>, first: Promise<number>, fileOffsetBytes: number, totalBytes: number,
  rest: (writtenBytes: number) => Promise<void> | undefined): Promise<T> {
  return first.then((firstBytes) => {
    let outcome: Promise<void> | undefined;
    try {
      outcome = rest(firstBytes);
    } catch (err) {
      return sink.rangeWriteFailed(err);
    }
    return outcome === undefined ? sink.rangeWritten(fileOffsetBytes, totalBytes) : settleWriteIn(sink, outcome, fileOffsetBytes, totalBytes);
  }, (err: unknown) => sink.rangeWriteFailed(err));
}

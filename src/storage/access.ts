/**
 * How a blob's bytes reach its file: the interface shared by the buffered and the direct
 * (O_DIRECT) strategies. Offsets here are file offsets (the header included); the blob adds
 * the header size before calling.
 */

import type { RangeReadSink, RangeWriteSink } from './range-sink.js';

/** Reads and writes whole ranges of one file, hiding short transfers and alignment. */
export interface FileAccess {
  /**
   * Fills `target` from `fileOffsetBytes` and resolves with the number of bytes read: all of
   * `target`, or fewer only when the file ends first. Short reads are retried. `target` may be the
   * caller's own view (a subclass, own properties): strategies touch it only through the intrinsic
   * helpers of `interfaces/validate.ts` (`intrinsicByteLength`, `plainView`, `copyInto`) and the Io.
   */
  readRange(fd: number, target: Uint8Array, fileOffsetBytes: number): Promise<number>;

  /**
   * {@link readRange}, except that a strategy returns the count itself when the read is already
   * complete (the Io answered it at the call: UringIo's `inlineReads`), and otherwise a promise of
   * what `sink` makes of the count (or of the failure): the hot path of small reads, with no
   * promise and no reaction of its own when the page cache answers, and one reaction (the
   * strategy's, delivering to `sink`) when the Io's promise settles.
   * May throw where {@link readRange} would reject (`sink` is not told then). The caller checked
   * `target` and the offset in this same synchronous call (no caller code can have run since), so
   * a strategy may hand them to the Io as a checked call (`common/settled-transfer.ts`) before it
   * runs any code of the caller's.
   */
  readRangeSettled<T>(fd: number, target: Uint8Array, fileOffsetBytes: number, sink: RangeReadSink<T>): Promise<T> | number;

  /**
   * Writes `chunks` back to back from `fileOffsetBytes` (`totalBytes` is their summed length),
   * retrying short writes, and resolves once all of it is visible to reads. The file grows to at
   * least `fileOffsetBytes + totalBytes` and to no more than that when it was shorter.
   */
  writeRange(fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number): Promise<void>;

  /**
   * {@link writeRange}, except that a strategy returns undefined when all of it is written already
   * (the Io did it at the call: UringIo's `inlineWrites`), and otherwise a promise of what `sink`
   * makes of the outcome, delivered through one reaction of the strategy's (as
   * {@link readRangeSettled}). May throw where {@link writeRange} would reject (`sink` is not told
   * then). `chunks` are the caller's snapshot, plain views taken in this same synchronous call,
   * so a strategy may hand them to the Io as a checked call (`common/settled-transfer.ts`).
   */
  writeRangeSettled<T>(fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number, sink: RangeWriteSink<T>): Promise<T> | undefined;

  /**
   * {@link writeRange}, then makes the file durable as {@link Io.fsync} with `dataOnly` does, and
   * resolves once both are done (an empty range writes nothing and still syncs). A strategy may hand the two to the Io as one
   * {@link Io.writeDurable}.
   */
  writeRangeDurable(fd: number, chunks: readonly Uint8Array[], totalBytes: number, fileOffsetBytes: number, dataOnly: boolean): Promise<void>;

  /** Sets the file length to `fileLengthBytes`. */
  setLength(fd: number, fileLengthBytes: number): Promise<void>;
}

/**
 * One Io request on its way through the ring. A single monomorphic class for every kind keeps
 * the hot path free of shape changes; the fields it does not use stay at their defaults.
 * While the request is in a slot, this object is what keeps its buffers (and therefore their
 * memory, which the kernel reads or writes) reachable.
 */

import type { BatchCollector } from '../../common/batch-transfer.js';

/** Request kinds, as small integers for a fast switch. */
export const Kind = {
  Read: 0, Write: 1, Readv: 2, Writev: 3, Fsync: 4, Fallocate: 5, Ftruncate: 6, Openat2: 7, Close: 8, Statx: 9,
  Renameat: 10, Unlinkat: 11, Mkdirat: 12, WriteSync: 13,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** Results that are not kernel errnos (kernel errnos are -1..-4095). */
export const RESULT_CLOSED = -1_000_001;
export const RESULT_QUEUE_FULL = -1_000_002;
export const RESULT_INTERNAL = -1_000_003;
/** A read completed, but one of its views no longer covers its range (detached, shrunk). */
export const RESULT_DETACHED = -1_000_004;
/** From the addon at submission: its bounce memory is at its bound; retry after a completion. */
export const RESULT_BOUNCE_BUSY = -1_000_005;
/** From the addon at the call: a read or write done whole inline past the per-poll budget; settle it after the loop polls. */
export const RESULT_DONE_OVER_BUDGET = -1_000_006;
/** From the addon's readAtCall: nothing done or queued; the read goes to the ring (`read` with a slot). */
export const RESULT_NOT_AT_CALL = -1_000_007;

export class Request {
  /** Settles the caller's promise with a count, 0, or a negative errno / RESULT_* value. */
  resolve: (result: number) => void = noop;
  /** Read/write only: rejects the caller's promise (the fast path settles it from the dispatch). */
  reject: (error: unknown) => void = noop;
  /** writeSync: true when the result is the fsync's error (the write was whole). */
  syncFailed = false;
  /** writeSync: the write may be done at the call (`inlineWrites`, nothing waiting); cleared once offered. */
  atCall = false;
  /** stat results, filled before `resolve` is called. */
  sizeBytes = 0;
  mode = 0;
  /** read/write: a settled transfer's (see `common/settled-transfer.ts`); its errors are final at completion. */
  settled = false;
  /** read/write of a readBatch/writeBatch: settles into the batch, at `batchIndex`, instead of resolve/reject. */
  batch: BatchCollector | undefined = undefined;
  batchIndex = 0;
  /** readv only: each view's length at the call, checked again at completion. */
  lengths: readonly number[] | undefined = undefined;

  constructor(
    readonly kind: Kind,
    /** The fd, or the directory fd for path operations (-1: the root). */
    readonly fd: number,
    readonly buffer: Uint8Array | undefined,
    readonly buffers: readonly Uint8Array[] | undefined,
    /** Offset, length, flags or mode, depending on the kind. */
    readonly number1: number,
    readonly number2: number,
    readonly number3: number,
    readonly text1: string,
    readonly text2: string,
  ) {}
}

function noop(): void {}

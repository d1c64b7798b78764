/**
 * UringIo: the production Io on Linux io_uring (native addon in `native/`).
 *
 * Architecture: one ring per UringIo, owned by the JS thread that created it; no extra threads.
 * Each operation takes a slot (0..queueDepth-1) in a JS table and makes one native call that
 * fills an SQE with user_data = slot; when every slot is busy, requests wait in a FIFO and take
 * slots in order as completions free them. The addon submits all SQEs of an event-loop turn with
 * one io_uring_enter and delivers completions in batches (a Float64Array of [slot, res, aux0,
 * aux1] records) to {@link UringIo.dispatch}, which settles the promises. Paths are parsed by
 * the shared `parsePath` (a trailing `/` or `.` is handed to the kernel as it is, so its rules
 * apply), then resolved by the kernel with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS) relative to the root's directory fd, so no path (symlinks included)
 * leaves the root; metadata operations on a nested path first open the parent directory that way
 * (O_PATH) and act on the last component relative to it.
 * `writeDurable` is the one operation that takes two SQEs in one slot: the write linked to the
 * fsync (IOSQE_IO_LINK), submitted together, completing as one record. On Linux 6.1+ the ring uses
 * IORING_SETUP_DEFER_TASKRUN | SINGLE_ISSUER (completions batched until the owner thread asks, an
 * eventfd for the wake-up; `ringInfo.deferTaskrun`), as fio's io_uring engine does.
 * readBatch/writeBatch (`src/batch/`) have their own path here,
 * `[batchTransfer]`: entries settle into one collector, no promise per entry.
 * A read taken while no slot is (nothing queued, nothing in flight), or a batch's read entries up
 * to the first the cache declines, may be answered by the addon
 * at the call from the page cache (preadv2 RWF_NOWAIT into the caller's view, bounded per
 * event-loop poll; see {@link UringIoOptions.inlineReads}; a batch's entries, on Linux 6.1+, as
 * RWF_NOWAIT ring reads submitted and waited for by one io_uring_enter inside the call,
 * `ringInfo.batchReadsOneEnter`, even where reads arriving together are otherwise coalesced into
 * the ring): it comes back as its count, with no
 * request, snapshot or promise of its own (`transferAtCall`), and settles before `read` returns. Only
 * a range the cache answered whole counts; anything else goes to the ring, so the result is the
 * ring's. Reads that arrive together (one run of the microtask queue) skip that where the host's
 * system calls are dear (`coalesceReads`, decided from a measured getppid at construction;
 * `bursts.ts`): on Linux 6.1+ they wait, first in line, for the end of their run and are then
 * answered as a batch's head is, in one io_uring_enter (`gatherRead`); elsewhere, or on a busy
 * ring, they go to the ring as one submission. With the opt-in `inlineWrites`, a write or writev taken while a slot is free (nothing
 * waits; the ring may hold requests, which are concurrent with it) may likewise be done at the
 * call by pwrite or pwritev on this thread (see {@link UringIoOptions.inlineWrites}); past the per-poll budget it is
 * still done there but settles after the loop polls (`settleAfterPoll`); with the opt-in
 * `coalesceWrites`, writes that arrive together take the ring instead.
 *
 * Memory safety: the kernel never touches memory JavaScript can free. The addon copies every
 * caller buffer through private bounce memory of the request's slot (a write takes its bytes at
 * the call; a read's bytes are copied out at completion by `deliver`, after the addon checked that
 * each view still covers its range), except buffers from {@link UringIo.allocAligned} and the
 * registered buffers, which are reference-counted native allocations the request holds a share of
 * (used in place, never freed under the kernel, whatever JS detaches or transfers); a read or
 * write done at the call uses the caller's memory only during that synchronous system call, while
 * no JavaScript can run. So detaching,
 * transferring, shrinking or collecting a buffer in flight cannot corrupt memory: a write resolves
 * normally with its bytes written; a read whose view is detached or shrunk at completion rejects
 * with `ERR_DETACHED_BUFFER`. Buffers and vectors go through the shared checks of every backend
 * (`snapshotBuffer`/`snapshotBuffers` in `interfaces/validate.ts`: intrinsic getters only, vectors
 * read once by index) and only their snapshots (plain Uint8Arrays over the caller's memory and
 * range, with no caller-defined behaviour) reach the addon and the completion checks. See `native/addon.cc` for the rest (argument checks, the record
 * buffer, bounded teardown). The copy costs little on 4 KiB reads and about a memcpy per byte on
 * large ones; `allocAligned` buffers avoid it.
 *
 * Requirements: Linux 5.6+ (io_uring, openat2, IORING_REGISTER_PROBE). Opcodes the kernel lacks
 * run as plain system calls on the JS thread (ftruncate before 6.9, mkdirat before 5.15...).
 * readdir always uses getdents64 on the JS thread (io_uring has no readdir).
 *
 * Fault model: kernel errors are StorageErrors with the errno name (one mapping, `errno.ts`);
 * EXDEV from RESOLVE_BENEATH is `ERR_PATH_ESCAPE`; per-request EINTR/EAGAIN are resubmitted by the
 * addon; short transfers are returned as they are. Every error's async stack trace leads to the
 * caller: errors are created in the awaiting method, and a read/write completion error (made in
 * the completion dispatch, where no caller frame exists) is made again in a rejection handler
 * chained to the operation's promise (`rethrowAtCaller`), whose stack V8 extends to whoever awaits
 * it. An async frame did the same at about 6% of a loop of ring reads at 64 in flight (and 12%
 * in an older measurement): a storage error without the caller's stack is hard to act on.
 */
import { constants as fsConstants } from 'node:fs';
import { MetricsRecorder } from '../../common/metrics.js';
import type { Clock } from '../../interfaces/clock.js';
import { ErrorCodes, StorageError, type ErrorCode, type StorageErrorDetails } from '../../interfaces/errors.js';
import type { FsyncOptions, Io, IoFeatures, IoMetrics, IoOperation, OpenFlags, Stat } from '../../interfaces/io.js';
import { BATCH_ENTRIES_MAX, DIRECT_ALIGNMENT_BYTES, IO_BYTES_MAX } from '../../interfaces/limits.js';
import {
  checkAllocateRange, checkBuffer, checkBufferInPlace, checkFd, checkFsyncOptions, checkOptionalBoolean, checkLength, checkOffset,
  checkOpenFlags, checkRangeEnd, checkUnsigned, atSplit, kernelPath, parsePath, type ParsedPath,
  checkRoot, snapshotOptions, detachedInFlight, intrinsicByteLength, isSnapshotUsable, plainView, snapshotBuffers, type BufferListSnapshot,
  type BatchEntrySnapshot,
} from '../../interfaces/validate.js';
import { loadBinding, type NativeBinding, type NativeRing, type NativeRingInfo } from '../../native/binding.js';
import { RealClock } from '../fs/real-clock.js';
import { writeThenSync } from '../../common/write-then-sync.js';
import { settledRead, settledWrite, settledWritev, type SettledTransfer } from '../../common/settled-transfer.js';
import { BatchCollector, batchTransfer, type BatchOutcome, type BatchTransfer } from '../../common/batch-transfer.js';
import { markAlignedMemory } from '../../common/aligned-memory.js';
import { errnoName, errnoToCode } from './errno.js';
import { Bursts } from './bursts.js';
import {
  Kind, Request, RESULT_BOUNCE_BUSY, RESULT_CLOSED, RESULT_DETACHED, RESULT_INTERNAL, RESULT_QUEUE_FULL, RESULT_DONE_OVER_BUDGET, RESULT_NOT_AT_CALL,
} from './request.js';
import { explainFailure, probeSupport, type UringSupport } from './support.js';

/** Every snapshot of a completing read still covers its range (see {@link isSnapshotUsable}). */
function readUsable(request: Request): boolean {
  if (request.kind === Kind.Read) return isSnapshotUsable(request.buffer as Uint8Array, request.number2);
  const views = request.buffers as readonly Uint8Array[];
  const lengths = request.lengths as readonly number[];
  for (let i = 0; i < views.length; i += 1) {
    if (!isSnapshotUsable(views[i] as Uint8Array, lengths[i] as number)) return false;
  }
  return true;
}

/** Options of {@link UringIo}. */
export interface UringIoOptions {
  /** The directory every path is relative to. Must exist. */
  readonly root: string;
  /** Requests in the kernel at once (1..4096, default 128). More wait in order in a FIFO. */
  readonly queueDepth?: number;
  /**
   * IORING_SETUP_SQPOLL: a kernel thread polls the SQ, saving io_uring_enter calls, and the JS
   * thread polls the CQ for up to 8 µs before the event loop sleeps (off for the next 64 waits
   * after one that sees nothing; see `ringInfo.spinWaitsCompleted`). Keeps a CPU busy while work
   * comes in; no DEFER_TASKRUN. Default false.
   */
  readonly sqpoll?: boolean;
  /**
   * Registered (fixed) buffers: `count` buffers of `lengthBytes` each (a multiple of 4096; at most
   * 1024 buffers), allocated 4096-aligned and registered with the kernel once
   * (IORING_REGISTER_BUFFERS), so transfers from them skip per-I/O page pinning. They are
   * {@link UringIo.registeredBuffers}; a read or write whose buffer lies inside one of them
   * (subarrays included) uses READ_FIXED/WRITE_FIXED automatically. Registration counts against
   * RLIMIT_MEMLOCK on kernels before 5.12.
   */
  readonly registeredBuffers?: { readonly count: number; readonly lengthBytes: number };
  /**
   * Most requests waiting for a slot (default 1,048,576). A program that starts more operations
   * than this without awaiting them gets `ERR_LIMIT_EXCEEDED`: the bound that keeps a runaway
   * producer from growing memory without limit.
   */
  readonly waitingMax?: number;
  /**
   * Most bytes of bounce memory (the private copies of ordinary, non-`allocAligned` buffers in
   * flight) at once, 4096..2^40, default 256 MiB. A transfer that would pass it waits, first in
   * line, until completions free enough; one alone in the ring always proceeds.
   */
  readonly bounceBytesMax?: number;
  /**
   * A read of up to 64 KiB issued while nothing else is queued or in flight on this UringIo (one at
   * a time: `await io.read(...)` in a loop) is first tried on the JS thread with preadv2(RWF_NOWAIT),
   * which answers only from the page cache and never waits for the device. The bytes go straight
   * into the buffer; when the cache held the whole range the read settles at once, without a trip
   * through the ring and without a promise of its own (see BENCHMARKS.md for the figures),
   * otherwise the ring does the read as usual. The answer is the one the ring would give (bytes
   * past its count are unspecified, as always). The entries of a `readBatch` issued on an idle
   * ring are tried the same way, one by one until the first the cache declines (the rest go to the
   * ring). Never for `direct` fds, readv, or a read of 0 bytes. At most 256
   * such reads or 1 MiB settle between two polls of the event loop, so I/O callbacks, timers and
   * immediates still run every few hundred microseconds in a loop of awaited cached reads: a lone
   * read past that budget is still answered at the call but settles after the loop has polled (up
   * to 4,096 of them wait together; past that they take the ring), and a batch's entries past it
   * are offered to the page cache again after the poll. Where system calls are dear, reads that
   * arrive together go to the ring instead (see `coalesceReads`).
   * `ringInfo.inlineReads` counts them. Default true; false sends every read through the ring.
   */
  readonly inlineReads?: boolean;
  /**
   * Opt in to synchronous page-cache writes: a `write` of up to 64 KiB (or a `writeBatch` entry,
   * or a `writev` of up to 64 KiB in at most 64 buffers, by `pwritev`) issued while no request waits for a free slot is done by `pwrite` on the JS thread, and
   * settles at the call, as an answered inline read does. Why: ext4 and most file systems cannot
   * take a buffered write without blocking, so io_uring hands each one to a kernel worker thread,
   * and one 4 KiB write at a time costs two thread hand-offs (see BENCHMARKS.md for the figures).
   * The price is that the event loop waits for the kernel's copy into the page cache: normally a
   * few microseconds, but the kernel may make a writer wait (dirty-page throttling, a journal,
   * a lock another write holds); a write that took over 200 µs sends the next 256 writes through
   * the ring (`ringInfo.inlineWritesSlow` counts them). Only on fds opened without `direct`,
   * `O_DSYNC`/`O_SYNC` or `O_APPEND`, to a regular file, and only when the write covers its first
   * and last pages whole or those pages are in the page cache (or past the end of the file), so
   * no read from the device is needed; everything else goes to the ring. Only a write done whole
   * is answered at the call: a short write or an error is repeated by the ring (the same bytes at
   * the same offsets), whose answer is the one you get. Requests already in the ring are
   * concurrent with the write (the contract leaves their order unspecified). Shares the per-poll
   * budget of `inlineReads` (256 calls or 1 MiB); a write past it is still done at the call but
   * settles after the event loop has polled. With `coalesceWrites`, writes that arrive together
   * go to the ring instead. A `writeDurable` (so Storage's `writeAtDurable`) under the same
   * conditions does its write the same way and sends only the fsync to the ring, which starts it
   * at once: on a DEFER_TASKRUN ring the kernel starts the fsync linked after an io-wq write only
   * when this thread next enters the ring, one more wake-up per synced append. It settles with
   * the fsync's completion, never at the call, and answers as the linked pair does (the count, or
   * the fsync's error with `details.stage` 'fsync'). `ringInfo.inlineWrites` counts them.
   * Default false.
   */
  readonly inlineWrites?: boolean;
  /**
   * Whether reads that arrive together go to the ring as one submission instead of each being
   * answered at the call by `inlineReads`. "Together" means in one run of the microtask queue: the
   * reads that a batch of completions sets off (each awaiting caller issues its next read), a
   * `Promise.all` of reads, the entries of a `readBatch`. A loop awaiting one read at a time still
   * has each read answered at the call (see `bursts.ts` for how a burst is told apart). On Linux
   * 6.1+ (`ringInfo.batchReadsOneEnter`) a burst taken on an idle ring is answered from the page
   * cache at the end of its run, all of it in one io_uring_enter inside that call (RWF_NOWAIT reads
   * straight into the callers' buffers, as `readBatch`'s cached entries), and only what the cache
   * cannot answer whole goes to the ring; such a read settles in the same microtask run, and
   * anything issued after it (a write, a close of its fd, a shutdown) waits behind it. Why:
   * a read answered at the call costs a preadv2 of its own, a burst on the ring one io_uring_enter
   * for all of it plus the ring's bookkeeping per read (a request, a bounce copy, a completion);
   * which is cheaper depends on what entering the kernel costs on the host. Where it is cheap
   * (about 0.1-0.3 µs) reads at the call win at every depth; where it is dear (about 1 µs on a
   * guest with page-table isolation) the ring wins by about 2x from 8 reads in flight (see
   * BENCHMARKS.md for both). Default: on when one system call takes at least 750 ns on this host
   * (`ringInfo.syscallNanos`, measured once per process), off otherwise; `ringInfo.coalesceReads`
   * says which. No effect with `inlineReads: false` (every read takes the ring then).
   */
  readonly coalesceReads?: boolean;
  /**
   * Opt in to waiting for completions inside io_uring_enter instead of in the event loop's epoll:
   * while this UringIo has requests in the kernel, the thread blocks in the ring for at most as
   * long as libuv would have slept (until the next timer; not at all while immediates or other
   * callbacks are pending), with the event loop's own epoll fd polled in the same ring, so any
   * socket, signal, worker message or thread-pool completion ends the wait as it would have ended
   * epoll's. A completion then wakes the thread directly and the next request is submitted by the
   * same system call that waits for it, as fio's loop does: one io_uring_enter per O_DIRECT read one
   * at a time, against four system calls through epoll and the eventfd (see BENCHMARKS.md for the
   * figures). At most 16 waits in a row, then the event loop turns once. The costs: the time spent
   * waiting counts as busy, not idle, in `performance.eventLoopUtilization()` (libuv measures only
   * its own poll; this package's `eventLoopUtilization` counts it as idle, `ringInfo.ringWaitNanos`
   * says how long this ring waited), and libuv's prepare handles run after the wait instead of
   * before it. Linux 6.1+
   * (a DEFER_TASKRUN ring), not with `sqpoll`; elsewhere it has no effect (`ringInfo.waitInRing`
   * says whether it is on). Default false.
   */
  readonly waitInRing?: boolean;
  /**
   * With `inlineWrites`: whether writes that arrive together (in one run of the microtask queue,
   * as for `coalesceReads`: the writes a batch of completions sets off, a `Promise.all` of writes,
   * the entries of a `writeBatch`, a writev among them) go to the ring as one submission instead
   * of each being done at the call by pwrite. A loop awaiting one write at a time still has each
   * done at the call. Why: one io_uring_enter carries a whole burst, and the ring's io-wq workers
   * copy on the other CPUs while the JavaScript thread goes on, where writes at the call all run
   * on that one thread. It is a trade (see BENCHMARKS.md): 1.3-1.8x plain `inlineWrites` from 32
   * writes in flight on the 2-vCPU host measured, but 0.67-0.87x at 8. Default false;
   * `ringInfo.coalesceWrites` says whether it is on. No effect without `inlineWrites`.
   */
  readonly coalesceWrites?: boolean;
}

/**
 * {@link UringIo.ringInfo}: the addon's counters and ring geometry, and this UringIo's read policy.
 */
export interface UringRingInfo extends NativeRingInfo {
  /** Whether reads that arrive together are coalesced into one submission (see `coalesceReads`). */
  readonly coalesceReads: boolean;
  /** Whether writes that arrive together go to the ring as one submission (see `coalesceWrites`); false without `inlineWrites`. */
  readonly coalesceWrites: boolean;
  /** What one null system call costs on this host, in nanoseconds, as `coalesceReads` measured it. */
  readonly syscallNanos: number;
}

const QUEUE_DEPTH_DEFAULT = 128;
/**
 * The system-call cost from which reads arriving together are coalesced by default (see
 * `coalesceReads`). Set between the two hosts measured: an Intel guest where reads at the call won
 * at every depth (1.52 against 1.91 µs of CPU per read at 64 in flight; fio spent 1.27 µs per read
 * there with a system call each, so a call cost well under that), and an AMD guest with page-table
 * isolation where getppid took 0.96 µs and the ring won by 2x from 8 in flight.
 */
const COALESCE_SYSCALL_NANOS_MIN = 750;
const QUEUE_DEPTH_MAX = 4096;
const WAITING_MAX_DEFAULT = 1 << 20;
const BOUNCE_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
/** Reads and writes done at the call that may wait together for the loop to poll (see `settleAfterPoll`). */
const AFTER_POLL_MAX = 4096;
/**
 * Times one batch's reads may wait for the event loop to poll because the per-poll budget of reads
 * answered at the call ran out (see `continueBatch`): the budget is 256 reads or 1 MiB, so 4,096
 * entries of 64 KiB need 256 polls. Past it, the rest goes to the ring.
 */
const BATCH_DEFERRALS_MAX = 256;
/**
 * The fewest entries {@link UringIo.readPrefixAtCall} answers in one `readBatchAtCall`: a lone entry
 * goes the way of a lone read (`tryAtCall`), whose call takes its arguments as they are where the
 * batch call fetches an array and a plan (a one-entry batch of a cached read: 1.85 against 2.1 µs
 * of CPU; from two entries on, one call is the cheaper).
 */
const BATCH_AT_CALL_ENTRIES_MIN = 2;
const ROOT_FD = -1;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_BENEATH = 0x08;
const RESOLVE = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
const O_PATH = 0o10000000;
const O_TMPFILE = 0o20000000 | fsConstants.O_DIRECTORY;
const O_CLOEXEC = 0o2000000;
const AT_REMOVEDIR = 0x200;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const AT_SYMLINK_NOFOLLOW = 0x100;
/** Symlinks followed in one resolution before ELOOP, as the kernel's MAXSYMLINKS. */
const SYMLINKS_MAX = 40;
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;
const RECORD_DOUBLES = 4;
const COMPACT_THRESHOLD = 1024;

let supportCache: UringSupport | undefined;

/** The production Io on Linux io_uring. */
export class UringIo implements Io, SettledTransfer, BatchTransfer {
  readonly clock: Clock = new RealClock();
  readonly features: IoFeatures = { backend: 'iouring', direct: true, tmpfile: true, directAlignmentBytes: DIRECT_ALIGNMENT_BYTES };

  private readonly recorder = new MetricsRecorder();
  private readonly binding: NativeBinding;
  private readonly ring: NativeRing;
  private records: Float64Array;
  private readonly slots: (Request | undefined)[];
  private readonly freeSlots: Int32Array;
  private freeCount: number;
  /** The (fd, offset) pairs of a readBatchAtCall (readPrefixAtCall, offerGathered), reused call to call; at most 2 × BATCH_ENTRIES_MAX. */
  private batchPlan = new Float64Array(0);
  private readonly waiting: Request[] = [];
  private waitingHead = 0;
  private readonly waitingMax: number;
  private readonly openFds = new Set<number>();
  private readonly fixedBuffers: readonly Uint8Array[];
  private closing = false;
  /**
   * The ring is destroyed: the addon refuses every call. A request that reaches it anyway (the
   * continuation of an operation that was in flight at shutdown) settles with ERR_CLOSED.
   */
  private destroyed = false;
  /** The kernel has IORING_OP_WRITE and IORING_OP_FSYNC: writeDurable is one linked submission. */
  private readonly linkedWriteSync: boolean;
  private readonly inlineReads: boolean;
  private readonly inlineWrites: boolean;
  /** `ringInfo.batchReadsOneEnter`, read once at construction. */
  private readonly batchReadsOneEnter: boolean;
  /** `coalesceReads` as decided at construction, and the burst tracker it uses (undefined when off). */
  private readonly readBursts: Bursts | undefined;
  /** `coalesceWrites` likewise (undefined when off, and without `inlineWrites`). */
  private readonly writeBursts: Bursts | undefined;
  /**
   * How many requests at the head of `waiting` are reads gathered from a burst on an idle ring
   * (see {@link gatherRead}), for {@link flushGathered} to offer to the page cache in one call.
   */
  private gatheredCount = 0;
  /**
   * The most reads one burst gathers; later ones queue behind them. As many as the ring and its
   * queue would have taken (so `waitingMax` still bounds what waits once they are offered), and
   * no more than one `readBatchAtCall` takes.
   */
  private readonly gatheredMax: number;
  /** A {@link flushGathered} is queued: as a microtask (end of the burst), or after the loop polls (the budget was spent). */
  private gatherFlushArmed = false;
  private shutdownPromise: Promise<void> | undefined;
  private idleResolve: (() => void) | undefined;
  /**
   * The completion dispatcher handed to the addon. The addon references it weakly while idle (so
   * an abandoned UringIo can be collected) and strongly while requests are in the kernel; this
   * field is what keeps it alive for as long as this object lives.
   */
  private readonly dispatcher = (count: number): void => this.dispatch(count);
  /**
   * Reads and writes done at the call past the per-poll budget, to settle once the loop has polled
   * (see `inlineReads` and `inlineWrites`): one check-phase callback settles them all (one callback
   * per write: 2.29-2.49 µs of CPU per write at 256 awaited writes in flight, against 2.10-2.48 µs
   * this way, 4 pairs of runs; about half of those writes go past the budget). At most
   * {@link AFTER_POLL_MAX}: past it reads and writes are not offered to the call and take the ring.
   */
  private afterPollSettles: Array<(count: number) => void> = [];
  private afterPollCounts: number[] = [];
  private readonly flushAfterPoll = (): void => {
    const settles = this.afterPollSettles;
    const counts = this.afterPollCounts;
    this.afterPollSettles = [];
    this.afterPollCounts = [];
    for (let i = 0; i < settles.length; i += 1) (settles[i] as (count: number) => void)(counts[i] as number);
  };

  /**
   * Whether io_uring can be used in this process (addon built, Linux, io_uring_setup allowed,
   * openat2 present), with the cause and the fix when not. Never throws; answered once.
   */
  static isSupported(): UringSupport {
    supportCache ??= probeSupport();
    return supportCache;
  }

  /**
   * Opens the root directory and sets up the ring. Throws `ERR_IOURING_UNAVAILABLE` (details:
   * `stage`, `errno`, `errnoName`; the message names the cause and the fix) when io_uring cannot
   * start, `ENOENT`/`ENOTDIR`/`EACCES` when the root cannot be opened (`ENAMETOOLONG` past
   * PATH_MAX, as FsIo), `ERR_INVALID_ARGUMENT` or `ERR_LIMIT_EXCEEDED` for bad options (a root
   * with a NUL included).
   */
  constructor(callerOptions: UringIoOptions) {
    const rootMissing = (): StorageError =>
      new StorageError('ERR_INVALID_ARGUMENT', 'UringIo: options.root must be a non-empty string', { operation: 'UringIo', argument: 'root' });
    if (typeof callerOptions !== 'object' || callerOptions === null) throw rootMissing();
    // Read once: every check below and the ring see the same values, whatever getters return.
    const snapshot = snapshotOptions('UringIo', callerOptions, ['root', 'queueDepth', 'sqpoll', 'registeredBuffers', 'waitingMax', 'bounceBytesMax', 'inlineReads', 'inlineWrites', 'coalesceReads', 'coalesceWrites', 'waitInRing']);
    const options: UringIoOptions = snapshot.registeredBuffers === undefined ? snapshot
      : { ...snapshot, registeredBuffers: snapshotOptions('UringIo', snapshot.registeredBuffers, ['count', 'lengthBytes'], 'registeredBuffers') };
    if (typeof options.root !== 'string' || options.root.length === 0) throw rootMissing();
    checkRoot('UringIo', options.root);
    const queueDepth = options.queueDepth ?? QUEUE_DEPTH_DEFAULT;
    checkUnsigned('UringIo', 'queueDepth', queueDepth, QUEUE_DEPTH_MAX);
    if (queueDepth === 0) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'UringIo: queueDepth must be at least 1', { operation: 'UringIo', argument: 'queueDepth' });
    }
    this.waitingMax = checkUnsigned('UringIo', 'waitingMax', options.waitingMax ?? WAITING_MAX_DEFAULT, 2 ** 31);
    this.gatheredMax = Math.min(BATCH_ENTRIES_MAX, queueDepth + this.waitingMax);
    const sqpoll = checkOptionalBoolean('UringIo', 'sqpoll', options.sqpoll) === true;
    this.inlineReads = checkOptionalBoolean('UringIo', 'inlineReads', options.inlineReads) !== false;
    this.inlineWrites = checkOptionalBoolean('UringIo', 'inlineWrites', options.inlineWrites) === true;
    const coalesceReads = checkOptionalBoolean('UringIo', 'coalesceReads', options.coalesceReads);
    const coalesceWrites = checkOptionalBoolean('UringIo', 'coalesceWrites', options.coalesceWrites);
    const waitInRing = checkOptionalBoolean('UringIo', 'waitInRing', options.waitInRing) === true;
    const bounceBytesMax = checkUnsigned('UringIo', 'bounceBytesMax', options.bounceBytesMax ?? BOUNCE_BYTES_MAX_DEFAULT, 2 ** 40);
    if (bounceBytesMax < DIRECT_ALIGNMENT_BYTES) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'UringIo: bounceBytesMax must be at least 4096', { operation: 'UringIo', argument: 'bounceBytesMax' });
    }
    const load = loadBinding();
    if (!load.ok) {
      throw new StorageError('ERR_IOURING_UNAVAILABLE', `io_uring unavailable: ${load.reason}`, { operation: 'UringIo', stage: 'load' },
        load.cause === undefined ? undefined : { cause: load.cause });
    }
    this.binding = load.binding;
    const RingClass = this.binding.Ring;
    if (!this.binding.platformSupported || RingClass === undefined) {
      throw new StorageError('ERR_IOURING_UNAVAILABLE', `io_uring unavailable: ${probeSupport().reason ?? 'not Linux'}`,
        { operation: 'UringIo', stage: 'platform', platform: process.platform });
    }
    this.ring = new RingClass();
    const failure = this.ring.start(options.root, queueDepth, sqpoll, this.dispatcher, bounceBytesMax);
    if (failure !== null) {
      if (failure.stage === 'open-root') {
        const code = errnoToCode(failure.errno);
        const rootCode = code === 'ERR_CLOSED' ? 'EIO' : code;
        // Names the call and the root: the root is the one path a user must create beforehand.
        throw new StorageError(rootCode, `new UringIo({ root: '${options.root}' }): cannot open the root directory: ${ErrorCodes[rootCode]}`,
          { operation: 'UringIo', root: options.root, errno: failure.errno });
      }
      throw new StorageError('ERR_IOURING_UNAVAILABLE', `io_uring unavailable: ${explainFailure(failure)}`, {
        operation: 'UringIo', stage: failure.stage, errno: failure.errno, errnoName: errnoName(failure.errno),
      });
    }
    this.fixedBuffers = options.registeredBuffers === undefined ? [] : this.registerBuffers(options.registeredBuffers);
    if (waitInRing) this.ring.setWaitInRing(true);
    this.records = new Float64Array(this.ring.completions());
    const started = this.ring.info();
    this.linkedWriteSync = started.ops.write && started.ops.fsync;
    this.batchReadsOneEnter = started.batchReadsOneEnter;
    this.slots = new Array<Request | undefined>(queueDepth).fill(undefined);
    this.freeSlots = new Int32Array(queueDepth);
    for (let i = 0; i < queueDepth; i += 1) this.freeSlots[i] = queueDepth - 1 - i;
    this.freeCount = queueDepth;
    // Measured only when the default is asked for (once per process, in the addon).
    this.readBursts = this.inlineReads && (coalesceReads ?? this.measuredSyscallNanos() >= COALESCE_SYSCALL_NANOS_MIN) ? new Bursts() : undefined;
    // Off unless asked for: a trade where it was measured (see `coalesceWrites`).
    this.writeBursts = this.inlineWrites && coalesceWrites === true ? new Bursts() : undefined;
  }

  /** `spec`: the constructor's snapshot of `registeredBuffers` (an object with known keys only). */
  private registerBuffers(spec: { readonly count: number; readonly lengthBytes: number }): Uint8Array[] {
    try {
      checkUnsigned('UringIo', 'registeredBuffers.count', spec.count, 1024);
      checkUnsigned('UringIo', 'registeredBuffers.lengthBytes', spec.lengthBytes, 1 << 30);
      if (spec.count === 0 || spec.lengthBytes === 0 || spec.lengthBytes % DIRECT_ALIGNMENT_BYTES !== 0) {
        throw new StorageError('ERR_INVALID_ARGUMENT', 'UringIo: registeredBuffers needs count >= 1 and lengthBytes a positive multiple of 4096', {
          operation: 'UringIo', argument: 'registeredBuffers',
        });
      }
    } catch (err) {
      this.ring.destroy();
      throw err;
    }
    const arena = this.ring.registerBuffers(spec.count, spec.lengthBytes);
    if (!(arena instanceof ArrayBuffer)) {
      this.ring.destroy();
      throw new StorageError('ERR_IOURING_UNAVAILABLE', `io_uring buffer registration failed: ${explainFailure({ stage: 'io_uring_setup', errno: arena.errno })}`, {
        operation: 'UringIo', stage: arena.stage, errno: arena.errno, errnoName: errnoName(arena.errno),
      });
    }
    // The arena starts on a 4096-byte boundary (each buffer is aligned where its offset is).
    markAlignedMemory(new Uint8Array(arena, 0, 0));
    return Array.from({ length: spec.count }, (_, i) => new Uint8Array(arena, i * spec.lengthBytes, spec.lengthBytes));
  }

  /**
   * The registered buffers (see {@link UringIoOptions.registeredBuffers}); empty when none were
   * asked for. Zeroed at start, 4096-aligned, usable with `direct` opens. They stay valid memory
   * after shutdown (they simply stop being registered).
   */
  get registeredBuffers(): readonly Uint8Array[] {
    return this.fixedBuffers;
  }

  get metrics(): IoMetrics {
    return this.recorder.snapshot();
  }

  /** Ring geometry, kernel opcode support and counters (io_uring_enter calls...), for diagnostics. */
  get ringInfo(): UringRingInfo {
    return {
      ...this.ring.info(), coalesceReads: this.readBursts !== undefined, coalesceWrites: this.writeBursts !== undefined,
      syscallNanos: this.measuredSyscallNanos(),
    };
  }

  /** The addon's measurement (made on its first call in the process, then kept); 0 without one. */
  private measuredSyscallNanos(): number {
    return this.binding.syscallNanos?.() ?? 0;
  }

  // ---- the submission machinery ----

  private run(request: Request): Promise<number> {
    return new Promise<number>((resolve) => {
      request.resolve = resolve;
      this.enqueue(request);
    });
  }

  /** Launches `request` now if a slot is free and nobody waits, else queues it (bounded). */
  private enqueue(request: Request): void {
    if (this.freeCount > 0 && this.waitingHead === this.waiting.length) {
      if (!this.launch(request)) this.waiting.push(request);
    } else if (this.waiting.length - this.waitingHead >= this.waitingMax) {
      this.complete(request, RESULT_QUEUE_FULL);
    } else {
      this.waiting.push(request);
    }
  }

  /**
   * Settles a request with its result. Reads and writes settle the caller's promise here (one
   * promise per operation, no intermediate async frame); other kinds resume their async method.
   */
  private complete(request: Request, result: number): void {
    if (request.kind === Kind.Read || request.kind === Kind.Write) {
      this.settleTransfer(request, result);
    } else {
      request.resolve(result);
    }
  }

  private settleTransfer(request: Request, result: number): void {
    const op = request.kind === Kind.Read ? 'read' : 'write';
    const lengthBytes = request.number2;
    // The mark tells read/write to make the error again at the caller's frame; a settled read
    // (no such frame) gets the error as it will stay.
    const fromCompletion = !request.settled;
    const batch = request.batch;
    if (result >= 0) {
      this.recorder.finish(op, true, result);
      if (batch === undefined) request.resolve(result);
      else batch.done(request.batchIndex, result);
      return;
    }
    this.recorder.finish(op, false);
    let err: StorageError;
    if (result === RESULT_DETACHED) {
      err = detachedInFlight(op, fromCompletion ? { fd: request.fd, fromCompletion } : { fd: request.fd });
    } else {
      const details = { fd: request.fd, offsetBytes: request.number1, lengthBytes };
      err = this.fail(result, op, fromCompletion ? { ...details, fromCompletion } : details);
    }
    if (batch === undefined) request.reject(err);
    else batch.fail(request.batchIndex, err);
  }

  /**
   * Submits `request` in a free slot. False, with nothing done, when the addon's bounce memory is
   * at its bound: the caller keeps the request first in line until a completion frees memory (the
   * addon only says so while other requests are in flight, so one will come).
   */
  private launch(request: Request): boolean {
    this.freeCount -= 1;
    const slot = this.freeSlots[this.freeCount] as number;
    this.slots[slot] = request;
    let result: number | [number, number] | undefined;
    try {
      result = this.callNative(slot, request);
    } catch {
      result = this.destroyed ? RESULT_CLOSED : RESULT_INTERNAL;
    }
    if (result === undefined) return true;
    // Ran synchronously (opcode missing from this kernel), could not be queued, or must wait.
    this.releaseSlot(slot);
    if (result === RESULT_BOUNCE_BUSY) return false;
    if (Array.isArray(result)) {
      request.sizeBytes = result[0];
      request.mode = result[1];
      this.complete(request, 0);
    } else {
      this.complete(request, result);
    }
    return true;
  }

  private callNative(slot: number, r: Request): number | [number, number] | undefined {
    const ring = this.ring;
    switch (r.kind) {
      // Never inline here: a read, or a batch entry, that may be answered at the call was offered
      // to the cache before it got a request (mayTransferAtCall), as was a write that may be done
      // at the call; these waited or found the ring busy.
      case Kind.Read: return ring.read(slot, r.fd, r.buffer as Uint8Array, r.number1, false);
      case Kind.Write: return ring.write(slot, r.fd, r.buffer as Uint8Array, r.number1, false);
      case Kind.Readv: return ring.readv(slot, r.fd, r.buffers as Uint8Array[], r.number1);
      case Kind.Writev: return ring.writev(slot, r.fd, r.buffers as Uint8Array[], r.number1);
      case Kind.Fsync: return ring.fsync(slot, r.fd, r.number1 === 1);
      case Kind.WriteSync: {
        // Offered once: a request that waited (the bounce memory was full) goes to the ring whole.
        const atCall = r.atCall;
        r.atCall = false;
        return ring.writeSync(slot, r.fd, r.buffer as Uint8Array, r.number1, r.number3 === 1, atCall);
      }
      case Kind.Fallocate: return ring.fallocate(slot, r.fd, r.number1, r.number2);
      case Kind.Ftruncate: return ring.ftruncate(slot, r.fd, r.number1);
      case Kind.Openat2: return ring.openat2(slot, r.fd, r.text1, r.number1, r.number2, r.number3);
      case Kind.Close: return ring.close(slot, r.fd);
      case Kind.Statx: return ring.statx(slot, r.fd, r.text1, r.number1);
      case Kind.Renameat: return ring.renameat(slot, r.fd, r.text1, r.number1, r.text2);
      case Kind.Unlinkat: return ring.unlinkat(slot, r.fd, r.text1, r.number1);
      case Kind.Mkdirat: return ring.mkdirat(slot, r.fd, r.text1, r.number1);
    }
  }

  private releaseSlot(slot: number): void {
    this.slots[slot] = undefined;
    this.freeSlots[this.freeCount] = slot;
    this.freeCount += 1;
  }

  /** Called by the addon with `count` completion records. Must not throw. */
  private dispatch(count: number): void {
    let records = this.records;
    // Only if someone detached it (it is reachable through the ring): the addon made a new one.
    if (records.length === 0) records = this.records = new Float64Array(this.ring.completions());
    for (let i = 0; i < count; i += 1) {
      const base = i * RECORD_DOUBLES;
      const slot = records[base] as number;
      const request = this.slots[slot];
      if (request === undefined) continue;
      let result = records[base + 1] as number;
      if (request.kind === Kind.Statx) {
        request.sizeBytes = records[base + 2] as number;
        request.mode = records[base + 3] as number;
      } else if (request.kind === Kind.WriteSync) {
        request.syncFailed = records[base + 2] === 1;
      } else if (result >= 0 && (request.kind === Kind.Read || request.kind === Kind.Readv)) {
        result = this.delivered(slot, request, records[base + 2] === 1, result);
      }
      this.releaseSlot(slot);
      this.complete(request, result);
    }
    this.pump();
    if (this.idleResolve !== undefined && this.freeCount === this.slots.length) {
      const resolve = this.idleResolve;
      this.idleResolve = undefined;
      resolve();
    }
  }

  /**
   * A completed read: checks its snapshots as every backend does at completion (the shared
   * {@link isSnapshotUsable}), then copies its bytes out of the slot's bounce memory (`bounced`;
   * the addon checks the views again, its own backstop) or drops them. `result`, or
   * RESULT_DETACHED when a view no longer covers its range.
   */
  private delivered(slot: number, request: Request, bounced: boolean, result: number): number {
    const usable = readUsable(request);
    if (!bounced) return usable ? result : RESULT_DETACHED;
    let status: number;
    try {
      const views = !usable ? undefined : request.kind === Kind.Read ? request.buffer as Uint8Array : request.buffers as readonly Uint8Array[];
      status = this.ring.deliver(slot, views);
    } catch {
      status = 2; // the dispatch must not throw: this request fails alone
    }
    if (!usable) return RESULT_DETACHED;
    return status === 0 ? result : status === 1 ? RESULT_DETACHED : RESULT_INTERNAL;
  }

  private pump(): void {
    // Gathered reads, if any, are ordinary waiting requests from here on.
    this.gatheredCount = 0;
    const waiting = this.waiting;
    while (this.freeCount > 0 && this.waitingHead < waiting.length) {
      const request = waiting[this.waitingHead] as Request;
      if (!this.launch(request)) break; // stays first in line until the next completion
      waiting[this.waitingHead] = undefined as unknown as Request;
      this.waitingHead += 1;
    }
    if (this.waitingHead === waiting.length) {
      // Only when there is something to drop: storing `length` goes through a V8 runtime call
      // even on an empty array, and this runs on every completion batch.
      if (waiting.length !== 0) {
        waiting.length = 0;
        this.waitingHead = 0;
      }
    } else if (this.waitingHead > COMPACT_THRESHOLD && this.waitingHead * 2 > waiting.length) {
      waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
  }

  // ---- errors ----

  private fail(result: number, operation: string, details: StorageErrorDetails, resolving = false): StorageError {
    if (result === RESULT_CLOSED) return new StorageError('ERR_CLOSED', `${operation}: the Io was shut down`, { operation, ...details });
    if (result === RESULT_QUEUE_FULL) {
      return new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: too many operations waiting for the ring`, {
        operation, ...details, limit: this.waitingMax,
      });
    }
    if (result === RESULT_INTERNAL || result >= 0) {
      return new StorageError('ERR_INTERNAL', `${operation}: the native call failed`, { operation, ...details });
    }
    const errno = -result;
    let code: ErrorCode = errnoToCode(errno);
    // RESOLVE_BENEATH reports an escape (.., absolute or outward symlink) as EXDEV.
    if (resolving && code === 'EXDEV') code = 'ERR_PATH_ESCAPE';
    return StorageError.fromErrno(code, operation, { ...details, errno });
  }

  private checkUsable(operation: string): void {
    if (this.closing) throw new StorageError('ERR_CLOSED', `${operation}: the Io was shut down`, { operation });
  }

  private checkOpenFd(operation: string, fd: unknown): number {
    const checked = checkFd(operation, fd);
    if (!this.openFds.has(checked)) {
      throw StorageError.fromErrno('EBADF', operation, { fd: checked });
    }
    return checked;
  }

  private async counted<T>(op: IoOperation, body: () => Promise<T>): Promise<T> {
    return this.recorder.track(op, body);
  }

  // ---- Io: data path ----

  /** See {@link Io.read}. Resolves with the count read (short at end of file, 0 past it). */
  read(fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number> {
    const outcome = this.transfer(Kind.Read, 'read', fd, buffer, offsetBytes);
    // A read the page cache answered at the call needs no handler: the caller's await is its only
    // tick (see `inlineReads`).
    return typeof outcome === 'number' ? Promise.resolve(outcome) : outcome.then(undefined, rethrowAtCaller);
  }

  /**
   * An empty read whose arguments passed {@link transfer}'s checks: EISDIR on a directory, as
   * read(2) says and a zero-length read through the ring does not; otherwise the ring's answer.
   */
  private async emptyRead(fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number> {
    try {
      await this.refuseEmptyReadOfDirectory('read', fd);
      return await this.transfer(Kind.Read, 'read', fd, buffer, offsetBytes, false, undefined, false);
    } catch (err) {
      throw withCallerStack(err);
    }
  }

  /** See {@link Io.write}. Resolves with the count written, possibly short. */
  write(fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number> {
    const outcome = this.transfer(Kind.Write, 'write', fd, buffer, offsetBytes);
    // A write done at the call (see `inlineWrites`) needs no handler, as an answered read.
    return typeof outcome === 'number' ? Promise.resolve(outcome) : outcome.then(undefined, rethrowAtCaller);
  }

  /**
   * {@link read} without its rejection handler, for callers that make their own errors (see
   * `common/settled-transfer.ts`): the same checks, result and errors, minus the caller's stack;
   * a read answered at the call comes back as its count rather than a promise of it.
   */
  [settledRead](fd: number, buffer: Uint8Array, offsetBytes: number, checkedLengthBytes?: number): Promise<number> | number {
    return this.transfer(Kind.Read, 'read', fd, buffer, offsetBytes, true, checkedLengthBytes);
  }

  /** {@link write} without its rejection handler (see {@link settledRead}); a write done at the call comes back as its count. */
  [settledWrite](fd: number, buffer: Uint8Array, offsetBytes: number, checkedLengthBytes?: number): Promise<number> | number {
    return this.transfer(Kind.Write, 'write', fd, buffer, offsetBytes, true, checkedLengthBytes);
  }

  /** {@link writev}, except that a writev done at the call comes back as its count (see {@link settledRead}). */
  [settledWritev](fd: number, buffers: readonly Uint8Array[], offsetBytes: number, checked?: BufferListSnapshot): Promise<number> | number {
    return this.transferv(Kind.Writev, 'writev', 'write', fd, buffers, offsetBytes, checked);
  }

  /**
   * The hot path: validation, then one promise settled straight from the completion dispatch by
   * {@link settleTransfer}; `read`/`write` chain a rejection handler to it that restores the
   * caller's stack on failure (`settled`: the promise goes to a settled read's caller as it is).
   * A read on an idle ring (and a write, with `inlineWrites`) goes first to {@link transferAtCall}
   * and may come back as its count, settled already. `checkedLengthBytes`: a checked call's
   * (`common/settled-transfer.ts`), whose buffer and offset need no second look (and which is
   * never empty). An unchecked empty read goes to {@link emptyRead} once its arguments pass
   * (`emptyProbe` false: it is emptyRead's own).
   */
  private transfer(kind: Kind, op: 'read' | 'write', fd: number, buffer: Uint8Array, offsetBytes: number, settled = false,
    checkedLengthBytes?: number, emptyProbe = true): Promise<number> | number {
    const recorder = this.recorder;
    let lengthBytes: number;
    try {
      this.checkUsable(op);
      if (checkedLengthBytes === undefined) {
        // The shared order of every backend: the arguments as FsIo and SimIo check them (fd type,
        // buffer, offset and the library's offset limit), then whether the fd is open. A read past
        // the size limit is the kernel's business (0 past the end of file).
        checkFd(op, fd);
        lengthBytes = checkBufferInPlace(op, buffer);
        checkOffset(op, offsetBytes);
        if (kind === Kind.Write) checkRangeEnd(op, offsetBytes, lengthBytes);
      } else {
        lengthBytes = checkedLengthBytes;
      }
      this.checkOpenFd(op, fd);
    } catch (err) {
      recorder.start(op);
      recorder.finish(op, false);
      return Promise.reject(err);
    }
    // Recorded as started by emptyRead's own call. Tested here, where the buffer's length is known
    // already, rather than by a second look at the buffer before the checks (2% of a cached read).
    if (lengthBytes === 0 && emptyProbe && kind === Kind.Read && checkedLengthBytes === undefined) return this.emptyRead(fd, buffer, offsetBytes);
    recorder.start(op);
    (kind === Kind.Read ? this.readBursts : this.writeBursts)?.note(1);
    if (this.mayTransferAtCall(kind)) {
      return this.transferAtCall(kind, fd, buffer, offsetBytes, lengthBytes, settled);
    }
    const request = transferRequest(kind, fd, buffer, offsetBytes, lengthBytes, settled);
    return new Promise<number>((resolve, reject) => {
      request.resolve = resolve;
      request.reject = reject;
      if (kind === Kind.Read && this.mayGather()) this.gatherRead(request);
      else this.enqueue(request);
    });
  }

  /**
   * Whether a read that is part of a burst (with `coalesceReads`) waits for the end of the burst
   * rather than taking the ring now: only where the addon answers a batch in one io_uring_enter
   * (`ringInfo.batchReadsOneEnter`), on an idle ring where nothing but such reads waits, and
   * while reads may be answered at the call at all (see {@link mayTransferAtCall}).
   */
  private mayGather(): boolean {
    return this.batchReadsOneEnter && this.readBursts !== undefined && this.inlineReads &&
      this.freeCount === this.slots.length && this.waiting.length - this.waitingHead === this.gatheredCount &&
      this.gatheredCount < this.gatheredMax && this.afterPollSettles.length < AFTER_POLL_MAX;
  }

  /**
   * Reads that arrive together from separate `read` calls (a `Promise.all`, the awaiting lanes a
   * batch of completions sets off) are answered as a readBatch's head is: one io_uring_enter at the
   * end of the burst reads every one the page cache holds straight into its caller's buffer. The
   * request waits first in `waiting`, so everything issued after it (a write, a close of its fd, a
   * shutdown) queues behind it and cannot overtake it; the burst's microtask run ends with
   * {@link flushGathered}. Why: on the ring each read costs a slot, a bounce copy, a completion
   * and its delivery; answered at the call, the burst costs one system call and no copy past the
   * kernel's own.
   */
  private gatherRead(request: Request): void {
    this.waiting.push(request);
    this.gatheredCount += 1;
    if (this.gatherFlushArmed) return;
    this.gatherFlushArmed = true;
    void settledPromise.then(this.flushGathered);
  }

  /**
   * The end of a burst's microtask run: the gathered reads go to the addon's `readBatchAtCall`,
   * which answers the head the page cache holds whole (in order, within the per-poll budget);
   * those settle now, and the rest (a cold page, a short read, a view its caller detached since)
   * take the ring with whatever queued behind them, as they would have. When the per-poll budget
   * ran out, the rest (and reads gathered meanwhile) wait for the event loop to poll, once, and
   * are offered again then, as a readBatch's are (see `continueBatch`): through the ring, each
   * cached read would cost a slot, a bounce copy and a completion (half the reads at 256 in
   * flight went that way).
   */
  private readonly flushGathered = (): void => {
    this.gatherFlushArmed = false;
    this.offerGathered(false);
  };

  private readonly flushGatheredAfterPoll = (): void => {
    this.gatherFlushArmed = false;
    this.offerGathered(true);
  };

  /** {@link flushGathered}'s work; `last`: what the page cache does not answer now takes the ring. */
  private offerGathered(last: boolean): void {
    const count = this.gatheredCount;
    if (count === 0) return; // the dispatch's pump, or shutdown, took them
    this.gatheredCount = 0;
    const waiting = this.waiting;
    const head = this.waitingHead;
    if (!this.closing && this.freeCount === this.slots.length && this.afterPollSettles.length < AFTER_POLL_MAX) {
      const views = new Array<Uint8Array>(count);
      const plan = this.batchPlanFor(count);
      for (let index = 0; index < count; index++) {
        const request = waiting[head + index] as Request;
        views[index] = request.buffer as Uint8Array;
        plan[2 * index] = request.fd;
        plan[2 * index + 1] = request.number1;
      }
      const result = this.readHeadAtCall(views, plan, count);
      const answered = result < 0 ? -1 - result : result;
      for (let index = 0; index < answered; index++) {
        const request = waiting[head + index] as Request;
        waiting[head + index] = undefined as unknown as Request;
        this.settleTransfer(request, request.number2);
      }
      this.waitingHead = head + answered;
      if (result < 0 && !last) {
        this.gatheredCount = count - answered;
        this.gatherFlushArmed = true;
        hostSetImmediate(this.flushGatheredAfterPoll);
        return;
      }
    }
    this.pump();
  }

  /**
   * A read on an idle ring (every slot free, so nothing waits either), or a write with
   * `inlineWrites` while a slot is free, checked by `transfer`: the addon may do it inside this
   * call (see `inlineReads` and `inlineWrites`), and then its count is all there is: no Request,
   * snapshot or promise.
   * Otherwise the addon has queued it in the slot offered, and the request, made now, takes that
   * slot; no JavaScript ran in between, so the caller's view passed to the addon and the snapshot
   * the completion checks are the same.
   */
  private transferAtCall(kind: Kind, fd: number, buffer: Uint8Array, offsetBytes: number, lengthBytes: number, settled: boolean): Promise<number> | number {
    const slot = this.freeSlots[this.freeCount - 1] as number;
    const result = this.tryAtCall(kind, slot, fd, buffer, offsetBytes);
    const done = this.doneAtCall(kind, result, lengthBytes);
    if (done !== undefined) return done;
    const request = transferRequest(kind, fd, buffer, offsetBytes, lengthBytes, settled);
    return new Promise<number>((resolve, reject) => {
      request.resolve = resolve;
      request.reject = reject;
      this.placeDeclined(request, slot, result);
    });
  }

  /**
   * Whether a read may be offered to the page cache at the call: `inlineReads` on, the ring
   * idle (every slot free, so nothing waits either), so that it overtakes no request, and, with
   * `coalesceReads`, the read looks alone (a burst goes to the ring as one submission). A write
   * (with `inlineWrites`) needs only a free slot, which means no request waits for one (requests
   * in the kernel are concurrent with it, and the contract leaves their order unspecified; an idle
   * ring would send every write to the ring from the first one it took while others were in
   * flight), and, with `coalesceWrites`, to look alone likewise. Neither while
   * {@link AFTER_POLL_MAX} done past the per-poll budget wait for the poll. A batch's head
   * (`batchHead`, {@link readPrefixAtCall}) needs not look alone where the addon takes it in one
   * io_uring_enter (`ringInfo.batchReadsOneEnter`): one system call for the batch is what
   * coalescing is for, and that way makes no bounce copy either.
   */
  private mayTransferAtCall(kind: Kind, batchHead = false): boolean {
    if (this.waitingHead !== this.waiting.length || this.afterPollSettles.length >= AFTER_POLL_MAX) return false;
    if (kind === Kind.Write || kind === Kind.Writev) {
      return this.inlineWrites && this.freeCount > 0 && (this.writeBursts === undefined || this.writeBursts.alone);
    }
    return this.inlineReads && this.freeCount === this.slots.length &&
      (this.readBursts === undefined || (batchHead && this.batchReadsOneEnter) || this.readBursts.alone);
  }

  /**
   * The addon's read or write at the call (see {@link mayTransferAtCall}), offered `slot` (the last
   * free one): the count when it was done inside the call; undefined when the addon queued it in
   * `slot` instead; or a result the request completes with at once (an error,
   * {@link RESULT_BOUNCE_BUSY}), or {@link RESULT_DONE_OVER_BUDGET}.
   */
  private tryAtCall(kind: Kind, slot: number, fd: number, data: Uint8Array | readonly Uint8Array[], offsetBytes: number): number | [number, number] | undefined {
    try {
      if (kind === Kind.Read) {
        // The slot-less attempt first: a cached read costs fewer arguments to cross into the addon.
        const atCall = this.ring.readAtCall(fd, data as Uint8Array, offsetBytes);
        return atCall === RESULT_NOT_AT_CALL ? this.ring.read(slot, fd, data as Uint8Array, offsetBytes, false) : atCall;
      }
      if (kind === Kind.Writev) return this.ring.writev(slot, fd, data as readonly Uint8Array[], offsetBytes, true);
      return this.ring.write(slot, fd, data as Uint8Array, offsetBytes, true);
    } catch {
      return this.destroyed ? RESULT_CLOSED : RESULT_INTERNAL;
    }
  }

  /**
   * What {@link tryAtCall}'s `result` means for a lone read, write or writev of `lengthBytes`: its
   * count when done inside the call; a promise settled after the loop polls when done past the
   * budget (both recorded as finished); undefined when not done (see {@link placeDeclined}).
   */
  private doneAtCall(kind: Kind, result: number | [number, number] | undefined, lengthBytes: number): Promise<number> | number | undefined {
    if (typeof result === 'number' && result >= 0) {
      this.recorder.finish(kind === Kind.Read ? 'read' : 'write', true, result);
      return result;
    }
    if (result !== RESULT_DONE_OVER_BUDGET) return undefined;
    this.recorder.finish(kind === Kind.Read ? 'read' : 'write', true, lengthBytes);
    return new Promise<number>((resolve) => this.settleAfterPoll(resolve, lengthBytes));
  }

  /**
   * Calls `settle(count)` once the event loop has polled (the check phase, after I/O callbacks):
   * how a read or write done at the call past the per-poll budget settles (see `inlineReads` and
   * `inlineWrites`), so a loop of awaited reads or writes still lets the loop turn.
   */
  private settleAfterPoll(settle: (count: number) => void, count: number): void {
    if (this.afterPollSettles.length === 0) hostSetImmediate(this.flushAfterPoll);
    this.afterPollSettles.push(settle);
    this.afterPollCounts.push(count);
  }

  /** Where a transfer {@link tryAtCall} did not do goes: `result` is what the addon returned. */
  private placeDeclined(request: Request, slot: number, result: number | [number, number] | undefined): void {
    if (result === undefined) {
      this.freeCount -= 1;
      this.slots[slot] = request;
    } else if (result === RESULT_BOUNCE_BUSY) {
      this.enqueue(request); // not on an idle ring (see launch); the usual way if it were
    } else {
      this.complete(request, typeof result === 'number' ? result : RESULT_INTERNAL);
    }
  }

  /**
   * The fast path of `readBatch`/`writeBatch` (see `common/batch-transfer.ts`): each entry goes
   * through the checks `transfer` makes after the shared ones (which `snapshotBatch` made), then
   * the ring, settled from the completion dispatch into the batch's arrays; one promise for the
   * batch instead of one per entry (and no microtask per completion). An empty read keeps `read`'s
   * own path (its directory probe). A read entry found while the ring is still idle is offered to
   * the page cache at the call, as `read` does (see `inlineReads`), and settles into the batch at
   * once when answered: a batch of cached reads then makes no request, reap or bounce copy at all;
   * from the first entry the addon queues, the ring is busy and the rest go to it as before
   * (entries of one batch are concurrent, so which of them the cache answers changes nothing).
   */
  [batchTransfer](write: boolean, entries: readonly BatchEntrySnapshot[], collector: BatchCollector): void {
    // A batch's entries arrive together: with coalesceReads (coalesceWrites), two or more go to the
    // ring as one submission.
    (write ? this.writeBursts : this.readBursts)?.note(entries.length);
    this.continueBatch(write, entries, collector, 0, BATCH_DEFERRALS_MAX);
  }

  /**
   * Starts a batch's entries from `from` on: a read batch's head in one addon call
   * ({@link readPrefixAtCall}), then each entry as before. When the per-poll budget of reads
   * answered at the call runs out in the head, the rest waits for the event loop to poll (the
   * budget's point) and is offered to the page cache again then, rather than sent to the ring,
   * where each cached read would cost a submission, a reap and a bounce copy (64-entry batches of
   * cached reads: a fifth of their entries went that way). At most `deferralsLeft` more times;
   * then the ring.
   */
  private continueBatch(write: boolean, entries: readonly BatchEntrySnapshot[], collector: BatchCollector, from: number, deferralsLeft: number): void {
    const kind = write ? Kind.Write : Kind.Read;
    const op = write ? 'write' : 'read';
    let start = from;
    if (!write) {
      const head = this.readPrefixAtCall(entries, collector, from);
      if (head < 0 && deferralsLeft > 0) {
        hostSetImmediate(() => this.continueBatch(write, entries, collector, -1 - head, deferralsLeft - 1));
        return;
      }
      start = head < 0 ? -1 - head : head;
    }
    for (let index = start; index < entries.length; index++) {
      const entry = entries[index] as BatchEntrySnapshot;
      if (!write && entry.lengthBytes === 0) {
        this.read(entry.fd, entry.view, entry.offsetBytes).then((n) => collector.done(index, n), (err: unknown) => collector.fail(index, err));
        continue;
      }
      this.recorder.start(op);
      try {
        this.checkUsable(op);
        this.checkOpenFd(op, entry.fd);
      } catch (err) {
        this.recorder.finish(op, false);
        collector.fail(index, err);
        continue;
      }
      let slot = -1;
      let result: number | [number, number] | undefined;
      // The entry's view is the batch's snapshot, fixed in length: should a Proxy for the io have
      // detached or shrunk it since the checks, the addon sees it empty and queues it, and the
      // completion fails it as a read in flight (no short count).
      if (this.mayTransferAtCall(kind)) {
        slot = this.freeSlots[this.freeCount - 1] as number;
        result = this.tryAtCall(kind, slot, entry.fd, entry.view, entry.offsetBytes);
        if (typeof result === 'number' && result >= 0) {
          this.recorder.finish(op, true, result);
          collector.done(index, result);
          continue;
        }
        if (result === RESULT_DONE_OVER_BUDGET) {
          this.recorder.finish(op, true, entry.lengthBytes);
          this.settleAfterPoll((n) => collector.done(index, n), entry.lengthBytes);
          continue;
        }
      }
      const request = new Request(kind, entry.fd, entry.view, undefined, entry.offsetBytes, entry.lengthBytes, 0, '', '');
      request.settled = true;
      request.batch = collector;
      request.batchIndex = index;
      if (slot < 0) this.enqueue(request);
      else this.placeDeclined(request, slot, result);
    }
  }

  /** `batchPlan`, grown to hold `count` entries (fd and offset each). */
  private batchPlanFor(count: number): Float64Array {
    if (this.batchPlan.length < 2 * count) this.batchPlan = new Float64Array(2 * Math.max(count, 64));
    return this.batchPlan;
  }

  /**
   * The addon's `readBatchAtCall` for the first `count` views: how many of them, from the first,
   * the page cache answered whole (as `-1 - n` when the per-poll budget ran out). 0 when the addon
   * refused the call (a view detached meanwhile, say): every read then takes the ring and gets
   * its own answer there, the error included.
   */
  private readHeadAtCall(views: Uint8Array[], plan: Float64Array, count: number): number {
    try {
      return this.ring.readBatchAtCall(views, plan, count);
    } catch {
      return 0;
    }
  }

  /**
   * The reads at the head of a batch (from `from` on) that the page cache answers at the call, in
   * one addon call (`readBatchAtCall`) instead of one per entry: exactly those the loop of
   * {@link continueBatch} would have answered one by one (the ring idle, `inlineReads` on, the
   * budget left, whole answers), counted and settled into the batch the same way. The head ends at
   * the first entry that is empty or names an fd not open here (the loop gives those their own
   * answer). Returns the index of the first entry not answered, or -1 minus it when the budget ran
   * out there.
   */
  private readPrefixAtCall(entries: readonly BatchEntrySnapshot[], collector: BatchCollector, from: number): number {
    const count = entries.length - from;
    if (count < BATCH_AT_CALL_ENTRIES_MIN || this.closing || !this.mayTransferAtCall(Kind.Read, true)) return from;
    const views = new Array<Uint8Array>(count);
    const plan = this.batchPlanFor(count);
    let eligible = 0;
    for (; eligible < count; eligible++) {
      const entry = entries[from + eligible] as BatchEntrySnapshot;
      if (entry.lengthBytes === 0 || !this.openFds.has(entry.fd)) break;
      views[eligible] = entry.view;
      plan[2 * eligible] = entry.fd;
      plan[2 * eligible + 1] = entry.offsetBytes;
    }
    if (eligible === 0) return from;
    const result = this.readHeadAtCall(views, plan, eligible);
    const answered = result < 0 ? -1 - result : result;
    let bytes = 0;
    for (let index = from; index < from + answered; index++) {
      const lengthBytes = (entries[index] as BatchEntrySnapshot).lengthBytes;
      bytes += lengthBytes;
      collector.done(index, lengthBytes);
    }
    this.recorder.finishedAtOnce('read', answered, bytes);
    return result < 0 ? -1 - (from + answered) : from + answered;
  }

  /** See {@link Io.readv}. */
  readv(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): Promise<number> {
    return this.transferv(Kind.Readv, 'readv', 'read', fd, buffers, offsetBytes) as Promise<number>;
  }

  /** See {@link Io.writev}. */
  writev(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): Promise<number> {
    const outcome = this.transferv(Kind.Writev, 'writev', 'write', fd, buffers, offsetBytes);
    return typeof outcome === 'number' ? Promise.resolve(outcome) : outcome;
  }

  /**
   * pread of 0 bytes on a directory is EISDIR on Linux, but IORING_OP_READ completes it with 0
   * (the conformance model test found the difference). Only empty reads pay this statx.
   */
  private async refuseEmptyReadOfDirectory(operation: 'read' | 'readv', fd: number, record = true): Promise<void> {
    if (typeof fd !== 'number' || !this.openFds.has(fd) || this.closing) return;
    let isDirectory: boolean;
    try {
      isDirectory = (await this.statFd(operation, fd, { fd })).isDirectory;
    } catch {
      return; // the read itself reports whatever is wrong with the fd
    }
    if (!isDirectory) return;
    if (record) {
      this.recorder.start('read');
      this.recorder.finish('read', false);
    }
    throw StorageError.fromErrno('EISDIR', operation, { fd });
  }

  /**
   * readv/writev: the shared checks and a snapshot of the vector, then the ring; a writev with
   * `inlineWrites` may be done at the call (as {@link transferAtCall} a write) and come back as its
   * count.
   */
  private transferv(kind: Kind, operation: 'readv' | 'writev', op: 'read' | 'write', fd: number,
    buffers: readonly Uint8Array[], offsetBytes: number, checked?: BufferListSnapshot): Promise<number> | number {
    const recorder = this.recorder;
    recorder.start(op);
    let outcome: Promise<number> | number;
    try {
      this.checkUsable(operation);
      let snapshot: BufferListSnapshot;
      if (checked === undefined) {
        checkFd(operation, fd);
        // Read once, by index, into a private array: only the snapshot is used from here on (the
        // caller's array may have getters, a hostile species, or change while the call runs).
        snapshot = snapshotBuffers(operation, buffers);
        // An element's getter may have shut the Io down: then nothing may reach the ring.
        this.checkUsable(operation);
        checkOffset(operation, offsetBytes);
        if (kind === Kind.Writev) checkRangeEnd(operation, offsetBytes, snapshot.totalBytes);
      } else {
        snapshot = checked;
      }
      this.checkOpenFd(operation, fd);
      // preadv of 0 bytes is 0 on any readable fd, a directory's included: no empty-read probe here.
      let slot = -1;
      let result: number | [number, number] | undefined;
      if (kind === Kind.Writev) this.writeBursts?.note(1);
      if (kind === Kind.Writev && this.mayTransferAtCall(kind)) {
        // As transferAtCall does a write: done inside the call by pwritev, or queued in the slot offered.
        slot = this.freeSlots[this.freeCount - 1] as number;
        result = this.tryAtCall(kind, slot, fd, snapshot.views, offsetBytes);
        const done = this.doneAtCall(kind, result, snapshot.totalBytes);
        if (done !== undefined) return done;
      }
      const request = new Request(kind, fd, undefined, snapshot.views, offsetBytes, 0, 0, '', '');
      request.lengths = snapshot.lengthsBytes;
      outcome = slot < 0 ? this.run(request) : new Promise<number>((resolve) => {
        request.resolve = resolve;
        this.placeDeclined(request, slot, result);
      });
    } catch (err) {
      recorder.finish(op, false);
      return Promise.reject(err);
    }
    return this.transfervResult(outcome, operation, op, fd, offsetBytes);
  }

  /** A readv/writev's outcome from the ring (or settled after the poll): its count, or its error. */
  private async transfervResult(outcome: Promise<number>, operation: 'readv' | 'writev', op: 'read' | 'write', fd: number, offsetBytes: number): Promise<number> {
    const recorder = this.recorder;
    const result = await outcome;
    if (result === RESULT_DETACHED) {
      recorder.finish(op, false);
      throw detachedInFlight(operation, { fd });
    }
    if (result < 0) {
      recorder.finish(op, false);
      throw this.fail(result, operation, { fd, offsetBytes });
    }
    recorder.finish(op, true, result);
    return result;
  }

  /** See {@link Io.fsync}. `dataOnly` uses IORING_FSYNC_DATASYNC (fdatasync). */
  fsync(fd: number, options?: FsyncOptions): Promise<void> {
    return this.counted('fsync', async () => {
      this.checkUsable('fsync');
      const dataOnly = checkFsyncOptions('fsync', options);
      // The options' getters may have shut the Io down (or closed the fd: the fd check is next).
      this.checkUsable('fsync');
      this.checkOpenFd('fsync', fd);
      const result = await this.run(new Request(Kind.Fsync, fd, undefined, undefined, dataOnly ? 1 : 0, 0, 0, '', ''));
      if (result < 0) throw this.fail(result, 'fsync', { fd });
    });
  }

  /**
   * See {@link Io.writeDurable}: one submission, IORING_OP_WRITE linked (IOSQE_IO_LINK) to
   * IORING_OP_FSYNC, so the sync costs no extra round trip through the event loop. The kernel
   * starts the fsync only once the write completed in full; a failed or short write cancels it.
   * The buffer follows the write rules (bounce copy taken at the call, or an `allocAligned`
   * allocation pinned in place). With `inlineWrites`, where a write would be done at the call, so
   * is this one's, and only the fsync goes to the ring. Where the kernel lacks either opcode:
   * write, then fsync.
   */
  writeDurable(fd: number, buffer: Uint8Array, offsetBytes: number, options?: FsyncOptions): Promise<number> {
    if (!this.linkedWriteSync) return writeThenSync(this, fd, buffer, offsetBytes, options, () => this.closing);
    const operation = 'writeDurable';
    const recorder = this.recorder;
    recorder.start('write');
    let request: Request;
    try {
      this.checkUsable(operation);
      // The options first, as `writeThenSync` (every other backend, and this one without the
      // linked opcodes) reads them: their getters are the only caller code this call runs, so
      // whatever they do (detach or shrink the buffer, close the fd, shut the Io down) is seen by
      // the checks after them, which run none. Read after the buffer's snapshot, a getter that
      // detached it made the write 0 bytes long and the call resolve 0.
      const dataOnly = checkFsyncOptions(operation, options);
      this.checkUsable(operation);
      // Then the order of `transfer`: arguments (as FsIo and SimIo check them), then the fd.
      checkFd(operation, fd);
      const view = checkBuffer(operation, buffer);
      const lengthBytes = intrinsicByteLength(view);
      checkOffset(operation, offsetBytes);
      checkRangeEnd(operation, offsetBytes, lengthBytes);
      this.checkOpenFd(operation, fd);
      request = new Request(Kind.WriteSync, fd, view, undefined, offsetBytes, lengthBytes, dataOnly ? 1 : 0, '', '');
      // With `inlineWrites`, where a write would be done at the call, so is this one's write, and
      // only the sync goes to the ring (see `inlineWrites`).
      request.atCall = lengthBytes > 0 && this.mayTransferAtCall(Kind.Write);
    } catch (err) {
      recorder.finish('write', false);
      return Promise.reject(err);
    }
    return this.settleWriteSync(request);
  }

  private async settleWriteSync(request: Request): Promise<number> {
    const operation = 'writeDurable';
    const recorder = this.recorder;
    const result = await this.run(request);
    const details = { fd: request.fd, offsetBytes: request.number1, lengthBytes: request.number2 };
    if (!request.syncFailed) {
      recorder.finish('write', result >= 0, result >= 0 ? result : 0);
      if (result < 0) throw this.fail(result, operation, details);
      if (result === request.number2) {
        recorder.start('fsync');
        recorder.finish('fsync', true);
      }
      return result;
    }
    recorder.finish('write', true, request.number2);
    recorder.start('fsync');
    recorder.finish('fsync', false);
    throw this.fail(result, operation, { ...details, stage: 'fsync' });
  }

  /** See {@link Io.truncate}. IORING_OP_FTRUNCATE where the kernel has it (6.9+), else ftruncate(2). */
  truncate(fd: number, lengthBytes: number): Promise<void> {
    return this.counted('truncate', async () => {
      this.checkUsable('truncate');
      // The shared order: the arguments, then whether the fd is open.
      checkFd('truncate', fd);
      checkLength('truncate', lengthBytes);
      this.checkOpenFd('truncate', fd);
      const result = await this.run(new Request(Kind.Ftruncate, fd, undefined, undefined, lengthBytes, 0, 0, '', ''));
      if (result < 0) throw this.fail(result, 'truncate', { fd, lengthBytes });
    });
  }

  /** See {@link Io.allocate}: fallocate mode 0 through IORING_OP_FALLOCATE. */
  allocate(fd: number, offsetBytes: number, lengthBytes: number): Promise<void> {
    return this.counted('allocate', async () => {
      this.checkUsable('allocate');
      checkFd('allocate', fd);
      checkAllocateRange('allocate', offsetBytes, lengthBytes);
      this.checkOpenFd('allocate', fd);
      const result = await this.run(new Request(Kind.Fallocate, fd, undefined, undefined, offsetBytes, lengthBytes, 0, '', ''));
      if (result < 0) throw this.fail(result, 'allocate', { fd, offsetBytes, lengthBytes });
    });
  }

  // ---- Io: names ----

  /** openat2 relative to `dirFd` with RESOLVE_BENEATH; resolves with the fd or throws. */
  private async openBeneath(operation: string, dirFd: number, path: string, flags: number, mode: number): Promise<number> {
    const result = await this.run(new Request(Kind.Openat2, dirFd, undefined, undefined, flags | O_CLOEXEC, mode, RESOLVE, path, ''));
    if (result < 0) throw this.fail(result, operation, { path }, true);
    return result;
  }

  /** Closes an fd this class opened for its own use; errors are irrelevant (nothing was written). */
  private async closeQuietly(fd: number): Promise<void> {
    if (fd === ROOT_FD) return;
    await this.run(new Request(Kind.Close, fd, undefined, undefined, 0, 0, 0, '', ''));
  }

  /** The directory fd of `parent` (ROOT_FD for the root), opened O_PATH beneath the root. */
  private async parentFd(operation: string, parent: string): Promise<number> {
    if (parent === '.') return ROOT_FD;
    return this.openBeneath(operation, ROOT_FD, parent, O_PATH | fsConstants.O_DIRECTORY, 0);
  }

  /**
   * See {@link Io.open}. Resolves with a new fd. Kernel-enforced confinement: openat2 with
   * RESOLVE_BENEATH relative to the root fd (EXDEV → `ERR_PATH_ESCAPE`).
   */
  open(path: string, flags?: OpenFlags): Promise<number> {
    return this.counted('open', async () => {
      this.checkUsable('open');
      const parsed = parsePath('open', path);
      const normalized = parsed.path;
      const f = checkOpenFlags('open', flags);
      // A flag getter may have shut the Io down: the open must not be queued behind its teardown.
      this.checkUsable('open');
      let osFlags = f.write ? (f.read ? fsConstants.O_RDWR : fsConstants.O_WRONLY) : fsConstants.O_RDONLY;
      if (f.create) osFlags |= fsConstants.O_CREAT;
      if (f.exclusive) osFlags |= fsConstants.O_EXCL;
      if (f.truncate) osFlags |= fsConstants.O_TRUNC;
      if (f.directory) osFlags |= fsConstants.O_DIRECTORY;
      if (f.direct) osFlags |= fsConstants.O_DIRECT;
      if (f.tmpfile) osFlags |= O_TMPFILE;
      const fd = await this.openBeneath('open', ROOT_FD, kernelPath(parsed), osFlags, f.create || f.tmpfile ? FILE_MODE : 0);
      if (this.closing) {
        // Shut down while opening: do not leak the fd past shutdown's sweep.
        await this.closeQuietly(fd);
        throw new StorageError('ERR_CLOSED', 'open: the Io was shut down', { operation: 'open', path: normalized });
      }
      this.openFds.add(fd);
      return fd;
    });
  }

  /** See {@link Io.close}. The fd is forgotten at once; later use is `EBADF`. */
  close(fd: number): Promise<void> {
    return this.counted('close', async () => {
      this.checkUsable('close');
      this.checkOpenFd('close', fd);
      this.openFds.delete(fd);
      const result = await this.run(new Request(Kind.Close, fd, undefined, undefined, 0, 0, 0, '', ''));
      if (result < 0) throw this.fail(result, 'close', { fd });
    });
  }

  private async statFd(operation: string, fd: number, details: StorageErrorDetails): Promise<Stat> {
    const request = new Request(Kind.Statx, fd, undefined, undefined, 0, 0, 0, '', '');
    const result = await this.run(request);
    if (result < 0) throw this.fail(result, operation, details);
    const type = request.mode & S_IFMT;
    return { sizeBytes: request.sizeBytes, isFile: type === S_IFREG, isDirectory: type === S_IFDIR };
  }

  /** See {@link Io.stat}. A path is opened O_PATH beneath the root, then statx'd through its fd. */
  stat(pathOrFd: string | number): Promise<Stat> {
    return this.counted('stat', async () => {
      this.checkUsable('stat');
      if (typeof pathOrFd === 'number') {
        const fd = this.checkOpenFd('stat', pathOrFd);
        return this.statFd('stat', fd, { fd });
      }
      const parsed = parsePath('stat', pathOrFd);
      const normalized = parsed.path;
      let fd: number;
      try {
        fd = await this.openBeneath('stat', ROOT_FD, kernelPath(parsed), O_PATH, 0);
      } catch (err) {
        // node:fs's stat needs no fd; neither may ours when the process has none left.
        if (err instanceof StorageError && (err.code === 'EMFILE' || err.code === 'ENFILE')) return this.statWithoutFd(parsed);
        throw err;
      }
      try {
        return await this.statFd('stat', fd, { path: normalized });
      } finally {
        await this.closeQuietly(fd);
      }
    });
  }

  /** statx of `path` relative to the root without following a last symlink; resolves with [size, mode]. */
  private async statxAt(path: string): Promise<{ sizeBytes: number; mode: number }> {
    const request = new Request(Kind.Statx, ROOT_FD, undefined, undefined, AT_SYMLINK_NOFOLLOW, 0, 0, path, '');
    const result = await this.run(request);
    if (result < 0) throw this.fail(result, 'stat', { path }, true);
    return { sizeBytes: request.sizeBytes, mode: request.mode };
  }

  /**
   * stat of a path without an fd (the process is at its fd limit): the path is resolved here,
   * component by component with statx(AT_SYMLINK_NOFOLLOW) and readlinkat relative to the root,
   * with RESOLVE_BENEATH's rules (an absolute link or a `..` above the root is
   * `ERR_PATH_ESCAPE`; more than 40 links is `ELOOP`). Unlike openat2 this walk is not atomic: a
   * directory swapped for a symlink out of the root between two steps could make it report the
   * size and type of an outside file (never its data, and nothing is changed). Only this fallback
   * has that window.
   */
  private async statWithoutFd(parsed: ParsedPath): Promise<Stat> {
    const normalized = parsed.path;
    const pending = normalized === '.' ? [] : normalized.split('/');
    const resolved: string[] = [];
    let mode = S_IFDIR;
    let links = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '' || part === '.') continue;
      if ((mode & S_IFMT) !== S_IFDIR) throw StorageError.fromErrno('ENOTDIR', 'stat', { path: normalized });
      if (part === '..') {
        if (resolved.length === 0) throw new StorageError('ERR_PATH_ESCAPE', 'stat: the path leads out of the root', { operation: 'stat', path: normalized });
        resolved.pop();
        continue;
      }
      const candidate = [...resolved, part].join('/');
      const found = await this.statxAt(candidate);
      if ((found.mode & S_IFMT) === S_IFLNK) {
        links += 1;
        if (links > SYMLINKS_MAX) throw StorageError.fromErrno('ELOOP', 'stat', { path: normalized });
        const target = this.destroyed ? RESULT_CLOSED : this.ring.readlink(ROOT_FD, candidate);
        if (typeof target === 'number') throw this.fail(target, 'stat', { path: normalized }, true);
        if (target.startsWith('/')) throw new StorageError('ERR_PATH_ESCAPE', 'stat: the path leads out of the root', { operation: 'stat', path: normalized });
        pending.unshift(...target.split('/'));
        continue;
      }
      resolved.push(part);
      mode = found.mode;
    }
    const last = await this.statxAt(resolved.length === 0 ? '.' : resolved.join('/'));
    const type = last.mode & S_IFMT;
    // A trailing `/` or `.` demands a directory (the walk above followed a last link already).
    if ((parsed.trailingSlash || parsed.lastIsDot) && type !== S_IFDIR) throw StorageError.fromErrno('ENOTDIR', 'stat', { path: normalized });
    return { sizeBytes: last.sizeBytes, isFile: type === S_IFREG, isDirectory: type === S_IFDIR };
  }

  /** See {@link Io.rename}: renameat between the two parents, each opened beneath the root. */
  rename(from: string, to: string): Promise<void> {
    return this.counted('rename', async () => {
      this.checkUsable('rename');
      const sourceParsed = parsePath('rename', from);
      const destinationParsed = parsePath('rename', to);
      const source = sourceParsed.path;
      const destination = destinationParsed.path;
      const sourceAt = atSplit(sourceParsed);
      const destinationAt = atSplit(destinationParsed);
      const fromDir = await this.parentFd('rename', sourceAt.parent);
      try {
        const toDir = await this.parentFd('rename', destinationAt.parent);
        try {
          const result = await this.run(new Request(Kind.Renameat, fromDir, undefined, undefined, toDir, 0, 0, sourceAt.name, destinationAt.name));
          if (result < 0) throw this.fail(result, 'rename', { path: source, destination });
        } finally {
          await this.closeQuietly(toDir);
        }
      } finally {
        await this.closeQuietly(fromDir);
      }
    });
  }

  private async unlinkPath(operation: 'unlink' | 'rmdir', path: string, flags: number): Promise<void> {
    this.checkUsable(operation);
    const parsed = parsePath(operation, path);
    const normalized = parsed.path;
    const at = atSplit(parsed);
    const dirFd = await this.parentFd(operation, at.parent);
    try {
      const result = await this.run(new Request(Kind.Unlinkat, dirFd, undefined, undefined, flags, 0, 0, at.name, ''));
      if (result < 0) throw this.fail(result, operation, { path: normalized });
    } finally {
      await this.closeQuietly(dirFd);
    }
  }

  /** See {@link Io.unlink}. */
  unlink(path: string): Promise<void> {
    return this.counted('unlink', () => this.unlinkPath('unlink', path, 0));
  }

  /** See {@link Io.rmdir}. */
  rmdir(path: string): Promise<void> {
    return this.counted('rmdir', () => this.unlinkPath('rmdir', path, AT_REMOVEDIR));
  }

  /** See {@link Io.mkdir} (mode 0o755). */
  mkdir(path: string): Promise<void> {
    return this.counted('mkdir', async () => {
      this.checkUsable('mkdir');
      const parsed = parsePath('mkdir', path);
      const normalized = parsed.path;
      const at = atSplit(parsed);
      const dirFd = await this.parentFd('mkdir', at.parent);
      try {
        const result = await this.run(new Request(Kind.Mkdirat, dirFd, undefined, undefined, DIR_MODE, 0, 0, at.name, ''));
        if (result < 0) throw this.fail(result, 'mkdir', { path: normalized });
      } finally {
        await this.closeQuietly(dirFd);
      }
    });
  }

  /** See {@link Io.readdir}. The directory is opened beneath the root; getdents64 runs on this thread. */
  readdir(path: string): Promise<string[]> {
    return this.counted('readdir', async () => {
      this.checkUsable('readdir');
      const parsed = parsePath('readdir', path);
      const normalized = parsed.path;
      const fd = await this.openBeneath('readdir', ROOT_FD, kernelPath(parsed), fsConstants.O_RDONLY | fsConstants.O_DIRECTORY, 0);
      let names: string[] | number;
      try {
        // Shut down while the directory was being opened: the ring is gone.
        names = this.destroyed ? RESULT_CLOSED : this.ring.readdir(fd);
      } finally {
        await this.closeQuietly(fd);
      }
      if (typeof names === 'number') throw this.fail(names, 'readdir', { path: normalized });
      return names.sort();
    });
  }

  /**
   * See {@link Io.allocAligned}: zeroed memory from posix_memalign (4096-byte aligned), freed when
   * the buffer is garbage-collected and no request uses it. The ring reads and writes it in place
   * (no bounce copy). Throws `ERR_INVALID_ARGUMENT`, or `ERR_LIMIT_EXCEEDED` past `IO_BYTES_MAX`.
   */
  allocAligned(lengthBytes: number): Uint8Array {
    checkLength('allocAligned', lengthBytes, IO_BYTES_MAX);
    return markAlignedMemory(this.binding.allocAligned(lengthBytes));
  }

  /**
   * See {@link Io.shutdown}. Requests still waiting for a slot reject with `ERR_CLOSED`; requests
   * in the kernel are cancelled (they settle done, or with `ERR_CLOSED`); every fd opened through
   * this Io is closed; the ring is freed. Later calls resolve with the first call's promise.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.shutdownOnce();
    return this.shutdownPromise;
  }

  private async shutdownOnce(): Promise<void> {
    // Reads gathered before the call are answered, or in the kernel, as they would have been.
    this.offerGathered(true);
    this.closing = true;
    const waiting = this.waiting.splice(this.waitingHead);
    this.waiting.length = 0;
    this.waitingHead = 0;
    for (const request of waiting) this.complete(request, RESULT_CLOSED);
    await this.whenIdle(true);
    const fds = [...this.openFds];
    this.openFds.clear();
    await Promise.all(fds.map((fd) => this.closeQuietly(fd)));
    // Operations that were in flight may have queued more since (a path stat's statx once its
    // open completed, the close of a directory fd in a `finally`). `destroy` drains the kernel
    // without calling back, so a request still in a slot would never settle: destroy only once
    // every slot is free, checked in the same synchronous run as the destroy.
    for (let idle = this.whenIdle(false); idle !== undefined; idle = this.whenIdle(false)) await idle;
    this.destroyed = true;
    this.ring.destroy();
  }

  /**
   * A promise resolved by the dispatch once every slot is free (after asking the kernel to cancel
   * what is in them, when `cancel`), or undefined when they are free now.
   */
  private whenIdle(cancel: boolean): Promise<void> | undefined {
    if (this.freeCount === this.slots.length) return undefined;
    const idle = new Promise<void>((resolve) => { this.idleResolve = resolve; });
    if (cancel) this.ring.cancelAll();
    return idle;
  }
}

/**
 * The request of a read or write whose arguments passed: only a snapshot of `buffer` goes on (no
 * caller code ran since the checks), which the addon reads or fills and the completion checks.
 */
function transferRequest(kind: Kind, fd: number, buffer: Uint8Array, offsetBytes: number, lengthBytes: number, settled: boolean): Request {
  const request = new Request(kind, fd, plainView(buffer, 0, lengthBytes), undefined, offsetBytes, lengthBytes, 0, '', '');
  request.settled = settled;
  return request;
}


/**
 * The host's own setImmediate, taken when this module loads: a test that installs fake timers
 * later must not be able to hold back a write that is already done.
 */
const hostSetImmediate = setImmediate;

/** What {@link UringIo.gatherRead} chains its flush to: a reaction, cheaper than queueMicrotask (see `bursts.ts`). */
const settledPromise = Promise.resolve();

/**
 * A read or write's rejection handler: the error made again here has the caller's async stack
 * (V8 follows a `then` reaction to whoever awaits its promise, as it follows an await), without
 * an async frame of our own on every operation.
 */
function rethrowAtCaller(err: unknown): never {
  throw withCallerStack(err);
}

/**
 * A completion error is created in the completion dispatch, where no caller frame exists. Made
 * again in a reaction or an async frame that the caller awaits, V8's async stack trace leads to
 * the caller. Argument errors were created at call time and already have it.
 */
function withCallerStack(err: unknown): unknown {
  if (!(err instanceof StorageError) || err.details['fromCompletion'] !== true) return err;
  const { fromCompletion: _ignored, ...details } = err.details;
  return new StorageError(err.code, err.message, details, { cause: err.cause });
}

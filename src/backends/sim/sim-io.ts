/*
 * SimIo: the Io contract on a simulated node's disk.
 *
 * Architecture: a call validates its arguments at once (with the shared checks, in the same order
 * as the other backends), resolves the fd, then becomes an `IoOp` event on the simulation's queue,
 * due after a latency drawn from the node's latency stream (zero when latency is off, so
 * completions then come back in submission order). The operation takes effect when its event
 * fires: namespace lookups, fault decisions, page-cache changes and the trace record all happen
 * then, so concurrent operations with different latencies take effect out of submission order,
 * as on a real device. Paths are the shared `parsePath`'s: a trailing `/` or last `.` is judged
 * by the shared `trailingError` table once the walk has found the entry, and an over-long
 * component fails when the walk reaches it (`Disk.lookup`), both as Linux orders them. Files stop
 * at `FILE_SIZE_MAX_BYTES` (ext4's 2^44 - 4096): `EFBIG`, or a short write, decided at submission
 * like `EBADF`.
 *
 * Memory safety: buffers are checked and snapshotted by the shared validation (intrinsic getters
 * only). A write copies the caller's bytes at the call (writev gathers them into one copy); a read
 * copies from the page cache into the caller's memory when it completes, after checking that the
 * buffer is still attached and covers its range (else `ERR_DETACHED_BUFFER`, nothing else done). Nothing keeps a caller's buffer after its operation settles: a settled `IoOp` is
 * cleared before it goes back to the per-Io pool it is reused from (ops a crash cancelled are
 * never reused: they may still sit in the event queue). In-flight ops form an intrusive list in
 * submission order, so submitting and completing allocate nothing but the caller's promise.
 *
 * Synchronous twin (`io.sync`, for `node.fs`'s `*Sync` calls): the same methods run the very
 * code of the asynchronous ones, but the operation completes before the call returns instead of
 * becoming an event, so no simulated time passes; the fault and latency draws, effects and trace
 * record are those of the asynchronous call. One exception, for speed: a read or write that no
 * fault rule can touch skips the operation object (`readDirect`/`writeDirect`, same checks, draws,
 * effect and record) and uses the caller's buffer without a snapshot, which is safe because it
 * finishes before any caller code can run and the page cache touches caller memory through
 * intrinsics only.
 *
 * Requirements: none beyond Node; no real I/O, timers or randomness. Works inside `sim.run` and
 * standalone (the scheduler pumps itself when no run is active).
 *
 * Fault model: see `faults.ts` for the injected faults and `disk.ts`/`crash.ts` for what a crash
 * keeps. Decisions are drawn when the operation completes (stall/limp episodes when it is
 * submitted; a power cut just before the operation would take effect), each kind from its own
 * stream, and every injected fault is a `fault` trace record. A namespace fault fires only on an
 * operation that would otherwise succeed, and changes nothing. Lost/phantom writes live in
 * `lost-writes.ts`, direct-I/O page invalidation in `direct-io.ts`, misdirected appends in
 * `misdirect.ts`.
 */
import { crc32c } from '@node-rs/crc32';
import { StorageError, type ErrorCode } from '../../interfaces/errors.js';
import type { Clock } from '../../interfaces/clock.js';
import { IO_OPERATIONS, type FsyncOptions, type Io, type IoFeatures, type IoMetrics, type IoOperation, type OpenFlags, type Stat } from '../../interfaces/io.js';
import type { AttributeChange, InodeStat, StatFullOptions, SyncCapableIo, SyncNamespaceIo } from '../../interfaces/namespace-io.js';
import { FILE_SIZE_MAX_BYTES, IO_BYTES_MAX } from '../../interfaces/limits.js';
import { BouncePool } from '../../common/bounce-pool.js';
import { CHUNK_BYTES } from './file-data.js';
import {
  checkAllocateRange, checkAttributeChange, checkBuffer, checkFd, checkSnapshotsUsable, detachedInFlight, isSnapshotUsable, snapshotBuffers,
  type BufferListSnapshot, checkFsyncOptions, checkLength, checkOffset, checkOpenFlags, checkRangeEnd,
  checkStatFullOptions, checkSymlinkTarget, checkUnsigned, normalizePath, parsePath,
  checkBufferInPlace, checkFileSize, lastNameTooLong, plainView, snapshotBuffer, renameTrailingError, trailingError, writableBytes, type EntryKind, type ParsedPath,
  type ResolvedOpenFlags,
} from '../../interfaces/validate.js';
import { MetricsRecorder } from '../../common/metrics.js';
import { SimEvent, type Scheduler } from './scheduler.js';
import type { Trace } from './trace.js';
import { SPACELESS_OPERATIONS, type FaultKind, type LatencyConfig, type MediaState, type NodeFaults } from './faults.js';
import type { Disk, FileInode, Inode, Lookup } from './disk.js';
import type { InflightWrite } from './crash.js';
import { misdirect } from './misdirect.js';
import { invalidatePages, markCacheAhead } from './direct-io.js';
import { landPhantoms, loseWrite, phantomWrite } from './lost-writes.js';
import type { Prng } from './prng.js';
import { posixViewOf } from './posix-view.js';
import { writeThenSync } from '../../common/write-then-sync.js';
import { isAlignedMemory, markAlignedMemory } from '../../common/aligned-memory.js';

/** Most open fds per SimIo; past it `open` fails with `EMFILE`. */
export const SIM_FD_COUNT_MAX = 65_536;
/** Most operations in flight per SimIo; past it calls fail with `ERR_LIMIT_EXCEEDED`. */
export const SIM_IN_FLIGHT_MAX = 1 << 20;


const TRACE_OP = 0;
const TRACE_FAULT = 1;

/** What a SimIo needs from its node (implemented by `SimNode`). */
export interface SimNodeContext {
  readonly index: number;
  readonly name: string;
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  readonly faults: NodeFaults;
  readonly media: MediaState;
  readonly latencyPrng: Prng;
  readonly latency: LatencyConfig;
  readonly sectorBytes: number;
  /** A 32-bit number derived from the seed, mixed into the bit chosen by at-rest corruption. */
  readonly seedSalt: number;
  /** Counts one injected fault (for `node.faultCounts()`). */
  countFault(kind: FaultKind): void;
  /** Cuts the node's power now (`powerCut`). */
  powerCut(): void;
}

interface Handle {
  readonly inode: Inode;
  readonly path: string;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly direct: boolean;
}

class IoOp extends SimEvent {
  handle: Handle | undefined = undefined;
  fd = -1;
  buffer: Uint8Array | undefined = undefined;
  buffers: readonly Uint8Array[] | undefined = undefined;
  /** The pooled copy a write took at the call (given back at completion). */
  copy: Uint8Array | undefined = undefined;
  /**
   * `buffer` is a disk page (`Disk.takeChunk`) holding a whole aligned page written: installed in
   * the cache at completion instead of copied, or given back to the disk if the write did not use it.
   */
  page = false;
  /** Each readv buffer's length at the call, to tell at completion whether it still covers it. */
  lengthsBytes: readonly number[] | undefined = undefined;
  offsetBytes = -1;
  lengthBytes = -1;
  path: string | undefined = undefined;
  path2: string | undefined = undefined;
  /** The parsed `path`/`path2` (trailing marks and an over-long component are kept for the walk). */
  parsed: ParsedPath | undefined = undefined;
  parsed2: ParsedPath | undefined = undefined;
  flags: ResolvedOpenFlags | undefined = undefined;
  /**
   * open: permission bits of a created file. stat: 1 for statFull, 2 for statFull without
   * following. setattr: 1 follows a link in the last component, 2 does not.
   */
  mode = 0;
  /** symlink: the target text. */
  text: string | undefined = undefined;
  /** Submitted through `io.posix`: `..` at the root stays there. */
  posix = false;
  attrs: AttributeChange | undefined = undefined;
  resolve: (value: never) => void = noop;
  reject: (err: unknown) => void = noop;
  /**
   * Links of the SimIo's in-flight list (submission order). An intrusive list instead of a Set:
   * a Set's add/delete churns its hash table on every operation, and this allocates nothing.
   */
  prev: IoOp | undefined = undefined;
  next: IoOp | undefined = undefined;
  constructor(readonly io: SimIo, public op: IoOperation, public whatCode: number) { super(); }
  fire(): void { this.io.complete(this); }

  /** Back to the state of a fresh op, so the SimIo can reuse it (it holds no caller data after). */
  reset(op: IoOperation, whatCode: number): void {
    this.op = op;
    this.whatCode = whatCode;
    this.handle = undefined;
    this.fd = -1;
    this.buffer = undefined;
    this.buffers = undefined;
    this.copy = undefined;
    this.lengthsBytes = undefined;
    this.offsetBytes = -1;
    this.lengthBytes = -1;
    this.path = undefined;
    this.path2 = undefined;
    this.parsed = undefined;
    this.parsed2 = undefined;
    this.flags = undefined;
    this.mode = 0;
    this.text = undefined;
    this.attrs = undefined;
    this.posix = false;
    this.resolve = noop;
    this.reject = noop;
    this.prev = undefined;
    this.next = undefined;
    this.timeMs = 0;
    this.seq = 0;
    this.cancelled = false;
  }
}

/** Bounds of the pooled write copies per SimIo (idle memory at most COPY_POOLED_BYTES_MAX). */
const COPY_CLASS_MIN_BYTES = 512;
const COPY_CLASS_MAX_BYTES = 1 << 20;
const COPY_BUFFERS_PER_CLASS_MAX = 64;
const COPY_POOLED_BYTES_MAX = 8 << 20;

/** Completed ops kept for reuse per SimIo; past it they go to the GC. */
const OP_POOL_MAX = 1024;

function noop(): void { /* placeholder until the promise executor runs */ }

/** The operation whose promise is being constructed; the executor runs synchronously. */
let executorTarget: IoOp | undefined;
function executor(resolve: (value: never) => void, reject: (err: unknown) => void): void {
  const o = executorTarget as IoOp;
  o.resolve = resolve;
  o.reject = reject;
  executorTarget = undefined;
}

function sys(code: ErrorCode, operation: string, details: Record<string, unknown>): StorageError {
  return StorageError.fromErrno(code, operation, details);
}

const enum_states = { open: 0, closing: 1, closed: 2, crashed: 3 } as const;

const STAT_FULL = 1;
const STAT_FULL_NOFOLLOW = 2;

/** `st_mode` type bits. */
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

export class SimIo implements Io, SyncCapableIo {
  readonly clock: Clock;
  readonly features: IoFeatures;
  private readonly recorder = new MetricsRecorder();
  private readonly fds: (Handle | undefined)[] = [];
  private fdCount = 0;
  /** In-flight ops in submission order: a doubly linked list through `IoOp.prev/next`. */
  private inflightHead: IoOp | undefined = undefined;
  private inflightTail: IoOp | undefined = undefined;
  private inflightSize = 0;
  /** Completed ops ready for reuse (never one a crash cancelled: it may still sit in the queue). */
  private readonly opPool: IoOp[] = [];
  /** Writes' copies taken at the call, reused (bounded: see the constants). */
  private readonly copies = new BouncePool({
    allocate: (lengthBytes) => new Uint8Array(lengthBytes),
    classMinBytes: COPY_CLASS_MIN_BYTES, classMaxBytes: COPY_CLASS_MAX_BYTES,
    buffersPerClassMax: COPY_BUFFERS_PER_CLASS_MAX, pooledBytesMax: COPY_POOLED_BYTES_MAX,
  });
  private state: number = enum_states.open;
  private shutdownPromise: Promise<void> | undefined;
  private onIdle: (() => void) | undefined;
  private operationsStarted = 0;
  private readonly whatCodes: Record<IoOperation, number>;
  private readonly latencyMinMs: Record<IoOperation, number>;
  private readonly latencyTailMs: Record<IoOperation, number>;
  private readonly latencyOn: boolean;
  private readonly faultCodes = new Map<FaultKind, number>();

  /** @internal Built by `SimNode`; use `sim.node(name).io`. */
  constructor(private readonly ctx: SimNodeContext, readonly disk: Disk) {
    this.clock = ctx.scheduler;
    this.features = { backend: 'sim', direct: true, tmpfile: true, directAlignmentBytes: ctx.sectorBytes };
    const whatCodes = {} as Record<IoOperation, number>;
    const minMs = {} as Record<IoOperation, number>;
    const tailMs = {} as Record<IoOperation, number>;
    let latencyOn = false;
    for (const op of IO_OPERATIONS) {
      whatCodes[op] = ctx.trace.code(op);
      const rule = ctx.latency.operations?.[op];
      minMs[op] = rule?.minMs ?? ctx.latency.minMs ?? 0;
      tailMs[op] = rule?.tailMs ?? ctx.latency.tailMs ?? 0;
      if (minMs[op] > 0 || tailMs[op] > 0) latencyOn = true;
    }
    this.whatCodes = whatCodes;
    this.latencyMinMs = minMs;
    this.latencyTailMs = tailMs;
    this.latencyOn = latencyOn;
  }

  get metrics(): IoMetrics {
    return this.recorder.snapshot();
  }

  /** Operations submitted and not yet settled. */
  get inFlightCount(): number {
    return this.inflightSize;
  }

  /** True once the node lost power under this Io. */
  get crashed(): boolean {
    return this.state === enum_states.crashed;
  }

  // ---- submission ------------------------------------------------------------------------------

  /** Counts the call and rejects it when the Io cannot take it; otherwise returns undefined. */
  private refuse(op: IoOperation): Promise<never> | undefined {
    this.recorder.start(op);
    this.operationsStarted++;
    if (this.state === enum_states.open) {
      if (this.inflightSize < SIM_IN_FLIGHT_MAX) return undefined;
      this.recorder.finish(op, false);
      return this.rejectWith(new StorageError('ERR_LIMIT_EXCEEDED', `${op}: too many operations in flight`, { operation: op, limit: SIM_IN_FLIGHT_MAX }));
    }
    this.recorder.finish(op, false);
    if (this.state === enum_states.crashed) {
      return this.rejectWith(new StorageError('ERR_CRASHED', `${op}: the simulated node lost power`, { operation: op, node: this.ctx.name }));
    }
    return this.rejectWith(new StorageError('ERR_CLOSED', `${op}: the Io is shut down`, { operation: op }));
  }

  /**
   * Throws what {@link refuse} rejects with, for a call whose argument getters (the only caller
   * code a call runs) have just run: `refuse` looked before them, and one may have shut the Io down
   * or cut the node's power. Submitted anyway, the operation would act on a closed Io or a crashed
   * disk.
   */
  private checkStillOpen(operation: string): void {
    if (this.state === enum_states.open) return;
    if (this.state === enum_states.crashed) {
      throw new StorageError('ERR_CRASHED', `${operation}: the simulated node lost power`, { operation, node: this.ctx.name });
    }
    throw new StorageError('ERR_CLOSED', `${operation}: the Io is shut down`, { operation });
  }

  private fail(op: IoOperation, err: unknown): Promise<never> {
    this.recorder.finish(op, false);
    return this.rejectWith(err);
  }

  /** A refused call: a rejected promise, or (inside a synchronous call) the error thrown. */
  private rejectWith(err: unknown): Promise<never> {
    if (this.syncCall) throw err;
    return Promise.reject(err);
  }

  // ---- synchronous calls -------------------------------------------------------------------------
  // A synchronous call runs the very code of its asynchronous twin (same checks, same fault
  // draws, including the latency and stall draws made at submission, same trace record) but
  // completes the operation at once instead of scheduling it: no simulated time passes.

  private syncCall = false;
  private syncFailed = false;
  private syncResult: unknown = undefined;
  private syncError: unknown = undefined;

  /** Enters a synchronous call (not re-entrant: a SimIo call never runs user code). */
  private beginSync(): void {
    if (this.syncCall) throw new StorageError('ERR_INTERNAL', 'a synchronous SimIo call was re-entered', {});
    this.syncCall = true;
    this.syncFailed = false;
  }

  /** Leaves it: returns what the operation resolved with, or throws what it failed with. */
  private endSync<T>(): T {
    this.syncCall = false;
    const result = this.syncResult;
    this.syncResult = undefined;
    if (this.syncFailed) {
      const error = this.syncError;
      this.syncError = undefined;
      this.syncFailed = false;
      throw error;
    }
    return result as T;
  }

  private runSync<T>(call: () => Promise<T>): T {
    this.beginSync();
    try {
      void call();
    } catch (err) {
      this.syncCall = false;
      throw err;
    }
    return this.endSync<T>();
  }

  // Bound once: a synchronous call allocates no closure for its outcome.
  private readonly syncResolve = (value: never): void => { this.syncResult = value; };
  private readonly syncReject = (err: unknown): void => { this.syncFailed = true; this.syncError = err; };

  private runNow(o: IoOp): void {
    this.delayFor(o);
    o.resolve = this.syncResolve;
    o.reject = this.syncReject;
    this.linkInflight(o);
    this.complete(o);
  }

  /** See {@link SyncCapableIo.sync}: the same operations, completed before they return. */
  readonly sync: SyncNamespaceIo = {
    open: (path, flags, mode) => this.runSync(() => this.open(path, flags, mode)),
    read: (fd, buffer, offsetBytes) => {
      if (this.directSyncAllowed('read')) return this.readDirect(fd, buffer, offsetBytes);
      // The two hot calls without a closure per call (4 KiB random I/O through fs.*Sync).
      this.beginSync();
      try {
        void this.read(fd, buffer, offsetBytes);
      } catch (err) {
        this.syncCall = false;
        throw err;
      }
      return this.endSync<number>();
    },
    write: (fd, buffer, offsetBytes) => {
      if (this.directSyncAllowed('write')) return this.writeDirect(fd, buffer, offsetBytes);
      this.beginSync();
      try {
        void this.write(fd, buffer, offsetBytes);
      } catch (err) {
        this.syncCall = false;
        throw err;
      }
      return this.endSync<number>();
    },
    readv: (fd, buffers, offsetBytes) => this.runSync(() => this.readv(fd, buffers, offsetBytes)),
    writev: (fd, buffers, offsetBytes) => this.runSync(() => this.writev(fd, buffers, offsetBytes)),
    fsync: (fd, options) => this.runSync(() => this.fsync(fd, options)),
    truncate: (fd, lengthBytes) => this.runSync(() => this.truncate(fd, lengthBytes)),
    allocate: (fd, offsetBytes, lengthBytes) => this.runSync(() => this.allocate(fd, offsetBytes, lengthBytes)),
    stat: (pathOrFd) => this.runSync(() => this.stat(pathOrFd)),
    statFull: (pathOrFd, options) => this.runSync(() => this.statFull(pathOrFd, options)),
    rename: (from, to) => this.runSync(() => this.rename(from, to)),
    unlink: (path) => this.runSync(() => this.unlink(path)),
    mkdir: (path) => this.runSync(() => this.mkdir(path)),
    rmdir: (path) => this.runSync(() => this.rmdir(path)),
    readdir: (path) => this.runSync(() => this.readdir(path)),
    close: (fd) => this.runSync(() => this.close(fd)),
    link: (existingPath, newPath) => this.runSync(() => this.link(existingPath, newPath)),
    symlink: (target, linkPath) => this.runSync(() => this.symlink(target, linkPath)),
    readlink: (path) => this.runSync(() => this.readlink(path)),
    setAttributes: (pathOrFd, change, options) => this.runSync(() => this.setAttributes(pathOrFd, change, options)),
  };

  // ---- synchronous read and write without an operation object ---------------------------------
  // The hot pair of node.fs's readSync/writeSync (4 KiB random I/O). When no fault rule can touch
  // the operation and no sector is damaged, the general path (an IoOp through submit, the
  // in-flight list and complete) draws nothing but the latency, so these do exactly what it does
  // in the same order (counts, checks, latency draw, effect, trace record) without the op, the
  // list or the settle callbacks. Anything else takes the general path.

  /** True when `op` may take the direct synchronous path (see above). */
  private directSyncAllowed(op: 'read' | 'write'): boolean {
    return this.state === enum_states.open && !this.syncCall && this.inflightSize < SIM_IN_FLIGHT_MAX &&
      this.ctx.media.count === 0 && this.ctx.faults.rulesFor(op) === undefined;
  }

  /** The latency draw `delayFor` makes for an operation no fault rule touches (its value is unused: no time passes). */
  private drawSyncLatency(op: 'read' | 'write'): void {
    if (this.latencyOn) this.ctx.latencyPrng.exponential(this.latencyTailMs[op]);
  }

  /** A failed direct call: the trace record and count of `complete`'s failure branch, then the error. */
  private directFailed(op: 'read' | 'write', err: unknown, fd: number, offsetBytes: number, lengthBytes: number, path: string): never {
    const code = err instanceof StorageError ? err.code : 'ERR_INTERNAL';
    this.ctx.trace.record(TRACE_OP, this.ctx.index, this.whatCodes[op], this.ctx.scheduler.now(), fd, offsetBytes, lengthBytes, -1, path, code, false);
    this.recorder.finish(op, false);
    this.settled();
    throw err;
  }

  private readDirect(fd: number, buffer: Uint8Array, offsetBytes: number): number {
    this.recorder.start('read');
    this.operationsStarted++;
    let lengthBytes: number;
    let handle: Handle;
    try {
      checkFd('read', fd);
      // No snapshot: the read ends before any caller code can run, and the page cache touches
      // the caller's buffer through intrinsics only (see FileData).
      lengthBytes = checkBufferInPlace('read', buffer);
      checkOffset('read', offsetBytes);
      handle = this.readableHandle('read', fd);
      if (handle.direct) this.checkDirect('read', handle, offsetBytes, snapshotBuffer('read', buffer));
    } catch (err) {
      this.recorder.finish('read', false);
      throw err;
    }
    this.drawSyncLatency('read');
    const data = (handle.inode as FileInode).cache;
    const wanted = Math.max(0, Math.min(lengthBytes, data.sizeBytes - offsetBytes));
    let count: number;
    try {
      count = data.read(lengthBytes === wanted ? buffer : plainView(buffer, 0, wanted), offsetBytes);
    } catch (err) {
      return this.directFailed('read', err, fd, offsetBytes, lengthBytes, handle.path);
    }
    this.ctx.trace.record(TRACE_OP, this.ctx.index, this.whatCodes.read, this.ctx.scheduler.now(), fd, offsetBytes, lengthBytes, count, handle.path, undefined, false);
    this.recorder.finish('read', true, count);
    this.settled();
    return count;
  }

  private writeDirect(fd: number, buffer: Uint8Array, offsetBytes: number): number {
    this.recorder.start('write');
    this.operationsStarted++;
    let handle: Handle;
    let askedBytes: number;
    let lengthBytes: number;
    try {
      checkFd('write', fd);
      // No snapshot: as in readDirect (the disk copies what it keeps, through intrinsics).
      askedBytes = checkBufferInPlace('write', buffer);
      checkOffset('write', offsetBytes);
      checkRangeEnd('write', offsetBytes, askedBytes);
      handle = this.writeHandle('write', fd, 'EBADF');
      // The error details are built only when the size limit is in reach.
      lengthBytes = offsetBytes + askedBytes < FILE_SIZE_MAX_BYTES ? askedBytes : writableBytes('write', offsetBytes, askedBytes, { fd, path: handle.path });
      if (handle.direct) this.checkDirect('write', handle, offsetBytes, snapshotBuffer('write', buffer));
    } catch (err) {
      this.recorder.finish('write', false);
      throw err;
    }
    this.drawSyncLatency('write');
    if (lengthBytes > 0) {
      // As `doWrite` without fault rules; the caller's view is the bytes at the call (see `write`).
      const file = handle.inode as FileInode;
      try {
        const growth = offsetBytes + lengthBytes - file.cache.sizeBytes;
        if (growth > 0) this.disk.reserve('write', handle.path, growth);
        if (handle.direct) invalidatePages(this.disk, file, offsetBytes, lengthBytes);
        this.disk.write(file, lengthBytes === askedBytes ? buffer : plainView(buffer, 0, lengthBytes), offsetBytes, true);
      } catch (err) {
        return this.directFailed('write', err, fd, offsetBytes, lengthBytes, handle.path);
      }
    }
    this.ctx.trace.record(TRACE_OP, this.ctx.index, this.whatCodes.write, this.ctx.scheduler.now(), fd, offsetBytes, lengthBytes, lengthBytes, handle.path, undefined, false);
    this.recorder.finish('write', true, lengthBytes);
    this.settled();
    return lengthBytes;
  }

  private newOp(op: IoOperation): IoOp {
    let o = this.opPool.pop();
    if (o === undefined) o = new IoOp(this, op, this.whatCodes[op]);
    else o.reset(op, this.whatCodes[op]);
    o.posix = this.posixCall;
    return o;
  }

  /** @internal True while `io.posix` forwards a call (read when the call creates its op). */
  posixCall = false;
  private posixView: SyncCapableIo | undefined;

  /**
   * This Io as a POSIX process sees the disk: the same files, fds and trace, but a symbolic link
   * whose `..` climbs above the root stays at the root (Linux on a whole disk) instead of being
   * `ERR_PATH_ESCAPE`. What `node.fs` runs on.
   */
  get posix(): SyncCapableIo {
    this.posixView ??= posixViewOf(this);
    return this.posixView;
  }

  private linkInflight(o: IoOp): void {
    const tail = this.inflightTail;
    o.prev = tail;
    o.next = undefined;
    if (tail === undefined) this.inflightHead = o;
    else tail.next = o;
    this.inflightTail = o;
    this.inflightSize++;
  }

  private unlinkInflight(o: IoOp): void {
    const prev = o.prev;
    const next = o.next;
    if (prev === undefined) this.inflightHead = next;
    else prev.next = next;
    if (next === undefined) this.inflightTail = prev;
    else next.prev = prev;
    o.prev = undefined;
    o.next = undefined;
    this.inflightSize--;
  }

  /** Returns a settled op to the pool, dropping every reference to caller data. */
  /**
   * A buffer of exactly `lengthBytes` for a write's copy, from the per-Io pool (the copy is
   * given back when the write completes: the disk copies what it keeps). Pooling keeps the
   * copy-at-the-call of the Io contract from allocating on every write.
   */
  private takeCopy(o: IoOp, lengthBytes: number): Uint8Array {
    const pooled = this.copies.acquire(lengthBytes);
    o.copy = pooled;
    return pooled.byteLength === lengthBytes ? pooled : pooled.subarray(0, lengthBytes);
  }

  private recycle(o: IoOp): void {
    if (o.copy !== undefined) {
      this.copies.release(o.copy);
      o.copy = undefined;
    }
    if (o.page) {
      // The write failed or did not land as one whole page: everything it did copied the page.
      this.disk.giveChunk(o.buffer as Uint8Array);
      o.page = false;
    }
    if (this.opPool.length >= OP_POOL_MAX) return;
    o.handle = undefined;
    o.buffer = undefined;
    o.buffers = undefined;
    o.lengthsBytes = undefined;
    o.path = undefined;
    o.path2 = undefined;
    o.parsed = undefined;
    o.parsed2 = undefined;
    o.flags = undefined;
    o.text = undefined;
    o.attrs = undefined;
    o.resolve = noop;
    o.reject = noop;
    this.opPool.push(o);
  }

  private submit<T>(o: IoOp): Promise<T> {
    if (this.syncCall) {
      this.runNow(o);
      return undefined as unknown as Promise<T>;
    }
    // One shared executor instead of a closure per operation (the hot path makes millions).
    executorTarget = o;
    const promise = new Promise<T>(executor);
    this.linkInflight(o);
    this.ctx.scheduler.schedule(o, this.delayFor(o));
    return promise;
  }

  private delayFor(o: IoOp): number {
    const ctx = this.ctx;
    const faults = ctx.faults;
    const now = ctx.scheduler.now();
    const rules = faults.rulesFor(o.op);
    if (rules !== undefined) {
      const path = o.handle?.path ?? o.path ?? '';
      const stall = faults.draw(rules, 'stall', o.op, path, this.operationsStarted, now);
      if (stall !== undefined) {
        const durationMs = stall.rule.durationMs ?? 100;
        faults.stallUntilMs = Math.max(faults.stallUntilMs, now + durationMs);
        this.traceFault('stall', o, -1, durationMs);
      }
      const slow = faults.draw(rules, 'slowDisk', o.op, path, this.operationsStarted, now);
      if (slow !== undefined) {
        const durationMs = slow.rule.durationMs ?? 100;
        faults.slowUntilMs = Math.max(faults.slowUntilMs, now + durationMs);
        faults.slowFactor = slow.rule.factor ?? 10;
        this.traceFault('slowDisk', o, -1, durationMs);
      }
    }
    let delay = 0;
    if (this.latencyOn) delay = this.latencyMinMs[o.op] + ctx.latencyPrng.exponential(this.latencyTailMs[o.op]);
    if (faults.slowUntilMs > now) delay = (delay > 0 ? delay : 0.01) * faults.slowFactor;
    if (faults.stallUntilMs > now) delay = Math.max(delay, faults.stallUntilMs - now);
    return delay;
  }

  private handleOf(operation: string, fd: number): Handle {
    const handle = this.fds[fd];
    if (handle === undefined) throw sys('EBADF', operation, { fd });
    return handle;
  }

  private checkDirect(operation: string, handle: Handle, offsetBytes: number, buffers: Uint8Array | readonly Uint8Array[]): void {
    const align = this.ctx.sectorBytes;
    let bad = offsetBytes % align !== 0;
    for (const b of buffers instanceof Uint8Array ? [buffers] : buffers) {
      if (bad) break;
      bad = b.byteLength % align !== 0 || b.byteOffset % align !== 0 || !isAlignedMemory(b.buffer);
    }
    if (bad) throw sys('EINVAL', operation, { path: handle.path, offsetBytes, alignmentBytes: align, reason: 'misaligned direct I/O' });
  }

  private emptyReadHandle(operation: string, fd: number): Handle {
    const handle = this.handleOf(operation, fd);
    if (!handle.readable) throw sys('EBADF', operation, { fd, path: handle.path });
    return handle;
  }

  /** `buffers`: snapshots (the direct-I/O alignment check reads their offsets and backing buffers). */
  private readHandle(operation: string, fd: number, offsetBytes: number, buffers: Uint8Array | readonly Uint8Array[]): Handle {
    const handle = this.readableHandle(operation, fd);
    if (handle.direct) this.checkDirect(operation, handle, offsetBytes, buffers);
    return handle;
  }

  private readableHandle(operation: string, fd: number): Handle {
    const handle = this.handleOf(operation, fd);
    if (handle.inode.kind === 'dir') throw sys('EISDIR', operation, { fd, path: handle.path });
    if (!handle.readable) throw sys('EBADF', operation, { fd, path: handle.path });
    return handle;
  }

  private writeHandle(operation: string, fd: number, code: ErrorCode): Handle {
    const handle = this.handleOf(operation, fd);
    if (!handle.writable || handle.inode.kind === 'dir') throw sys(code, operation, { fd, path: handle.path });
    return handle;
  }

  /** See {@link NamespaceIo.open}. */
  open(path: string, flags?: OpenFlags, mode?: number): Promise<number> {
    const refused = this.refuse('open');
    if (refused !== undefined) return refused;
    const o = this.newOp('open');
    try {
      o.parsed = parsePath('open', path);
      o.path = o.parsed.path;
      o.flags = checkOpenFlags('open', flags);
      this.checkStillOpen('open');
      o.mode = mode === undefined ? 0o644 : checkUnsigned('open', 'mode', mode, 0o7777);
    } catch (err) {
      return this.fail('open', err);
    }
    return this.submit<number>(o);
  }

  /** See {@link Io.read}. */
  read(fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number> {
    const refused = this.refuse('read');
    if (refused !== undefined) return refused;
    const o = this.newOp('read');
    let view: Uint8Array;
    try {
      checkFd('read', fd);
      view = checkBuffer('read', buffer);
      checkOffset('read', offsetBytes);
      o.handle = this.readHandle('read', fd, offsetBytes, view);
    } catch (err) {
      return this.fail('read', err);
    }
    o.fd = fd;
    o.buffer = view;
    o.offsetBytes = offsetBytes;
    o.lengthBytes = view.byteLength;
    return this.submit<number>(o);
  }

  /** See {@link Io.readv}. */
  readv(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): Promise<number> {
    const refused = this.refuse('read');
    if (refused !== undefined) return refused;
    const o = this.newOp('read');
    let snapshot: BufferListSnapshot;
    try {
      checkFd('readv', fd);
      snapshot = snapshotBuffers('readv', buffers);
      this.checkStillOpen('readv');
      o.lengthBytes = snapshot.totalBytes;
      checkOffset('readv', offsetBytes);
      // preadv of 0 bytes returns 0 once the fd is readable, before looking at the file (a
      // directory included, unlike pread's EISDIR).
      o.handle = o.lengthBytes === 0 ? this.emptyReadHandle('readv', fd) : this.readHandle('readv', fd, offsetBytes, snapshot.views);
    } catch (err) {
      return this.fail('read', err);
    }
    o.fd = fd;
    o.buffers = snapshot.views;
    o.lengthsBytes = snapshot.lengthsBytes;
    o.offsetBytes = offsetBytes;
    return this.submit<number>(o);
  }

  /** See {@link Io.write}. */
  write(fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number> {
    const refused = this.refuse('write');
    if (refused !== undefined) return refused;
    const o = this.newOp('write');
    let view: Uint8Array;
    try {
      checkFd('write', fd);
      view = checkBuffer('write', buffer);
      checkOffset('write', offsetBytes);
      checkRangeEnd('write', offsetBytes, view.byteLength);
      const handle = this.writeHandle('write', fd, 'EBADF');
      o.lengthBytes = writableBytes('write', offsetBytes, view.byteLength, { fd, path: handle.path });
      if (handle.direct) this.checkDirect('write', handle, offsetBytes, view);
      o.handle = handle;
    } catch (err) {
      return this.fail('write', err);
    }
    // The bytes are taken at the call (Io contract): later changes to the caller's memory, or
    // detaching it, cannot reach the write.
    // Only what the file size limit lets through (a write crossing it is short).
    const lengthBytes = o.lengthBytes;
    const bytes = lengthBytes === view.byteLength ? view : view.subarray(0, lengthBytes);
    if (this.syncCall) {
      // A synchronous call completes before it returns and runs no user code meanwhile: the
      // caller's view is the bytes as they were at the call, and the disk copies what it keeps
      // (a power cut inside the call copies the in-flight write too), so no copy of our own.
      o.buffer = bytes;
    } else if (lengthBytes === CHUNK_BYTES && offsetBytes % CHUNK_BYTES === 0 && !(o.handle as Handle).direct) {
      // A whole page (4 KiB random I/O): the copy taken at the call is a disk page, which the
      // completion installs in the page cache instead of copying it a second time.
      const page = this.disk.takeChunk();
      page.set(bytes);
      o.buffer = page;
      o.page = true;
    } else {
      const copy = this.takeCopy(o, lengthBytes);
      copy.set(bytes);
      o.buffer = copy;
    }
    o.fd = fd;
    o.offsetBytes = offsetBytes;
    return this.submit<number>(o);
  }

  /** See {@link Io.writev}. */
  writev(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): Promise<number> {
    const refused = this.refuse('write');
    if (refused !== undefined) return refused;
    const o = this.newOp('write');
    let snapshot: BufferListSnapshot;
    try {
      checkFd('writev', fd);
      snapshot = snapshotBuffers('writev', buffers);
      this.checkStillOpen('writev');
      o.lengthBytes = snapshot.totalBytes;
      checkOffset('writev', offsetBytes);
      checkRangeEnd('writev', offsetBytes, o.lengthBytes);
      const handle = this.writeHandle('writev', fd, 'EBADF');
      o.lengthBytes = writableBytes('writev', offsetBytes, o.lengthBytes, { fd, path: handle.path });
      if (handle.direct) this.checkDirect('writev', handle, offsetBytes, snapshot.views);
      o.handle = handle;
    } catch (err) {
      return this.fail('write', err);
    }
    // Gathered at the call, as write copies (Io contract); from here on it is one buffer.
    const joined = this.takeCopy(o, snapshot.totalBytes);
    let at = 0;
    for (const view of snapshot.views) {
      joined.set(view, at);
      at += view.byteLength;
    }
    o.fd = fd;
    o.buffer = joined;
    o.offsetBytes = offsetBytes;
    return this.submit<number>(o);
  }

  /** See {@link Io.writeDurable}: exactly {@link write}, then (after a whole write) {@link fsync}. */
  writeDurable(fd: number, buffer: Uint8Array, offsetBytes: number, options?: FsyncOptions): Promise<number> {
    return writeThenSync(this, fd, buffer, offsetBytes, options, () => this.state !== enum_states.open);
  }

  /** See {@link Io.fsync}. On a directory fd, makes its entries durable. */
  fsync(fd: number, options?: FsyncOptions): Promise<void> {
    const refused = this.refuse('fsync');
    if (refused !== undefined) return refused;
    const o = this.newOp('fsync');
    try {
      checkFd('fsync', fd);
      checkFsyncOptions('fsync', options);
      this.checkStillOpen('fsync');
      o.handle = this.handleOf('fsync', fd);
    } catch (err) {
      return this.fail('fsync', err);
    }
    o.fd = fd;
    return this.submit<void>(o);
  }

  /** See {@link Io.truncate}. `EINVAL` on an fd not open for writing (as Linux's ftruncate). */
  truncate(fd: number, lengthBytes: number): Promise<void> {
    const refused = this.refuse('truncate');
    if (refused !== undefined) return refused;
    const o = this.newOp('truncate');
    try {
      checkFd('truncate', fd);
      checkLength('truncate', lengthBytes);
      o.handle = this.writeHandle('truncate', fd, 'EINVAL');
      checkFileSize('truncate', lengthBytes, { fd, path: o.handle.path });
    } catch (err) {
      return this.fail('truncate', err);
    }
    o.fd = fd;
    o.lengthBytes = lengthBytes;
    return this.submit<void>(o);
  }

  /**
   * See {@link Io.allocate}. Reserves the space against the disk's capacity: writes inside the
   * allocated range never fail with `ENOSPC`. `lengthBytes` 0 is `ERR_INVALID_ARGUMENT`.
   */
  allocate(fd: number, offsetBytes: number, lengthBytes: number): Promise<void> {
    const refused = this.refuse('allocate');
    if (refused !== undefined) return refused;
    const o = this.newOp('allocate');
    try {
      checkFd('allocate', fd);
      checkAllocateRange('allocate', offsetBytes, lengthBytes);
      o.handle = this.writeHandle('allocate', fd, 'EBADF');
      checkFileSize('allocate', offsetBytes + lengthBytes, { fd, path: o.handle.path });
    } catch (err) {
      return this.fail('allocate', err);
    }
    o.fd = fd;
    o.offsetBytes = offsetBytes;
    o.lengthBytes = lengthBytes;
    return this.submit<void>(o);
  }

  /** See {@link Io.stat}. */
  stat(pathOrFd: string | number): Promise<Stat> {
    const refused = this.refuse('stat');
    if (refused !== undefined) return refused;
    const o = this.newOp('stat');
    try {
      if (typeof pathOrFd === 'number') {
        checkFd('stat', pathOrFd);
        o.handle = this.handleOf('stat', pathOrFd);
        o.fd = pathOrFd;
      } else {
        o.parsed = parsePath('stat', pathOrFd);
        o.path = o.parsed.path;
      }
    } catch (err) {
      return this.fail('stat', err);
    }
    return this.submit<Stat>(o);
  }

  /** See {@link NamespaceIo.statFull}. */
  statFull(pathOrFd: string | number, options?: StatFullOptions): Promise<InodeStat> {
    const refused = this.refuse('stat');
    if (refused !== undefined) return refused;
    const o = this.newOp('stat');
    try {
      o.mode = checkStatFullOptions('statFull', options) ? STAT_FULL : STAT_FULL_NOFOLLOW;
      this.checkStillOpen('statFull');
      if (typeof pathOrFd === 'number') {
        checkFd('statFull', pathOrFd);
        o.handle = this.handleOf('statFull', pathOrFd);
        o.fd = pathOrFd;
      } else {
        o.path = normalizePath('statFull', pathOrFd);
      }
    } catch (err) {
      return this.fail('stat', err);
    }
    return this.submit<InodeStat>(o);
  }

  /** See {@link NamespaceIo.link}. */
  link(existingPath: string, newPath: string): Promise<void> {
    const refused = this.refuse('link');
    if (refused !== undefined) return refused;
    const o = this.newOp('link');
    try {
      o.path = normalizePath('link', existingPath);
      o.path2 = normalizePath('link', newPath);
    } catch (err) {
      return this.fail('link', err);
    }
    return this.submit<void>(o);
  }

  /** See {@link NamespaceIo.symlink}. */
  symlink(target: string, linkPath: string): Promise<void> {
    const refused = this.refuse('symlink');
    if (refused !== undefined) return refused;
    const o = this.newOp('symlink');
    try {
      o.text = checkSymlinkTarget('symlink', target);
      o.path = normalizePath('symlink', linkPath);
    } catch (err) {
      return this.fail('symlink', err);
    }
    return this.submit<void>(o);
  }

  /** See {@link NamespaceIo.readlink}. */
  readlink(path: string): Promise<string> {
    const refused = this.refuse('readlink');
    if (refused !== undefined) return refused;
    const o = this.newOp('readlink');
    try {
      o.path = normalizePath('readlink', path);
    } catch (err) {
      return this.fail('readlink', err);
    }
    return this.submit<string>(o);
  }

  /** See {@link NamespaceIo.setAttributes}. */
  setAttributes(pathOrFd: string | number, change: AttributeChange, options?: StatFullOptions): Promise<void> {
    const refused = this.refuse('setattr');
    if (refused !== undefined) return refused;
    const o = this.newOp('setattr');
    try {
      if (typeof pathOrFd === 'number') {
        checkFd('setAttributes', pathOrFd);
        o.handle = this.handleOf('setAttributes', pathOrFd);
        o.fd = pathOrFd;
      } else {
        o.path = normalizePath('setAttributes', pathOrFd);
      }
      o.attrs = checkAttributeChange('setAttributes', change);
      o.mode = checkStatFullOptions('setAttributes', options) ? STAT_FULL : STAT_FULL_NOFOLLOW;
      this.checkStillOpen('setAttributes');
      // Looked up again: a getter of `change` or `options` may have closed the fd (then EBADF, as
      // fchmod on it would be), and the handle found before it must not be used.
      if (typeof pathOrFd === 'number') o.handle = this.handleOf('setAttributes', pathOrFd);
    } catch (err) {
      return this.fail('setattr', err);
    }
    return this.submit<void>(o);
  }

  private pathOp(op: 'rename' | 'unlink' | 'mkdir' | 'rmdir' | 'readdir', path: string, path2?: string): IoOp {
    const o = this.newOp(op);
    o.parsed = parsePath(op, path);
    o.path = o.parsed.path;
    if (op === 'rename') {
      o.parsed2 = parsePath(op, path2);
      o.path2 = o.parsed2.path;
    }
    return o;
  }

  private pathCall<T>(op: 'rename' | 'unlink' | 'mkdir' | 'rmdir' | 'readdir', path: string, path2?: string): Promise<T> {
    const refused = this.refuse(op);
    if (refused !== undefined) return refused;
    let o: IoOp;
    try {
      o = this.pathOp(op, path, path2);
    } catch (err) {
      return this.fail(op, err);
    }
    return this.submit<T>(o);
  }

  /** See {@link Io.rename}. Durable once both directories are fsynced (atomically: all or nothing). */
  rename(from: string, to: string): Promise<void> { return this.pathCall('rename', from, to); }
  /** See {@link Io.unlink}. */
  unlink(path: string): Promise<void> { return this.pathCall('unlink', path); }
  /** See {@link Io.mkdir}. */
  mkdir(path: string): Promise<void> { return this.pathCall('mkdir', path); }
  /** See {@link Io.rmdir}. */
  rmdir(path: string): Promise<void> { return this.pathCall('rmdir', path); }
  /** See {@link Io.readdir}. */
  readdir(path: string): Promise<string[]> { return this.pathCall('readdir', path); }

  /** See {@link Io.close}. The number is free at once; operations already using it complete. */
  close(fd: number): Promise<void> {
    const refused = this.refuse('close');
    if (refused !== undefined) return refused;
    const o = this.newOp('close');
    try {
      checkFd('close', fd);
      o.handle = this.handleOf('close', fd);
    } catch (err) {
      return this.fail('close', err);
    }
    this.releaseFd(fd, o.handle);
    o.fd = fd;
    return this.submit<void>(o);
  }

  private releaseFd(fd: number, handle: Handle): void {
    this.fds[fd] = undefined;
    this.fdCount--;
    if (handle.inode.kind === 'file') {
      handle.inode.openCount--;
      this.disk.release(handle.inode);
    }
  }

  /**
   * See {@link Io.allocAligned}: zeroed, and accepted as aligned by every SimIo's direct I/O (as is
   * memory from any backend's allocAligned: `common/aligned-memory.ts`).
   */
  allocAligned(lengthBytes: number): Uint8Array {
    checkLength('allocAligned', lengthBytes, IO_BYTES_MAX);
    return markAlignedMemory(new Uint8Array(lengthBytes));
  }

  /**
   * See {@link Io.shutdown}: new calls reject with `ERR_CLOSED`, operations in flight complete
   * (in simulated time), then every fd is closed. On a crashed node it resolves at once.
   */
  shutdown(): Promise<void> {
    if (this.shutdownPromise !== undefined) return this.shutdownPromise;
    if (this.state === enum_states.crashed) {
      this.shutdownPromise = Promise.resolve();
      return this.shutdownPromise;
    }
    this.state = enum_states.closing;
    this.shutdownPromise = (async () => {
      if (this.inflightSize > 0) await new Promise<void>((resolve) => { this.onIdle = resolve; });
      for (let fd = 0; fd < this.fds.length; fd++) {
        const handle = this.fds[fd];
        if (handle !== undefined) this.releaseFd(fd, handle);
      }
      if (this.state !== enum_states.crashed) this.state = enum_states.closed;
    })();
    return this.shutdownPromise;
  }

  // ---- crash -------------------------------------------------------------------------------------

  /** @internal The writes in flight now (a crash may keep any part of them). */
  inflightWrites(): InflightWrite[] {
    const out: InflightWrite[] = [];
    for (let o = this.inflightHead; o !== undefined; o = o.next) {
      if (o.op !== 'write' || o.handle === undefined || o.handle.inode.kind !== 'file') continue;
      const data = o.buffer !== undefined ? o.buffer.slice() : Buffer.concat(o.buffers ?? []);
      if (data.byteLength > 0) out.push({ file: o.handle.inode, offsetBytes: o.offsetBytes, data });
    }
    return out;
  }

  /** @internal Power loss: everything in flight and every later call rejects with `ERR_CRASHED`. */
  crash(): void {
    if (this.state === enum_states.crashed) return;
    this.state = enum_states.crashed;
    const pending: IoOp[] = [];
    for (let o = this.inflightHead; o !== undefined; o = o.next) pending.push(o);
    this.inflightHead = undefined;
    this.inflightTail = undefined;
    this.inflightSize = 0;
    for (const o of pending) {
      o.cancelled = true;
      this.recorder.finish(o.op, false);
      o.reject(new StorageError('ERR_CRASHED', `${o.op}: the simulated node lost power`, { operation: o.op, node: this.ctx.name }));
    }
    this.fds.length = 0;
    this.fdCount = 0;
    const wake = this.onIdle;
    this.onIdle = undefined;
    if (wake !== undefined) wake();
  }

  // ---- completion --------------------------------------------------------------------------------

  /** @internal Called by the event when the operation's time comes. */
  complete(o: IoOp): void {
    if (this.powerCutDue(o)) return;
    this.unlinkInflight(o);
    let result: unknown;
    let count = 0;
    this.disk.posixLinkResolution = o.posix;
    try {
      switch (o.op) {
        case 'read': count = this.doRead(o); result = count; break;
        case 'write': count = this.doWrite(o); result = count; break;
        case 'open': count = this.doOpen(o); result = count; break;
        case 'fsync': this.doFsync(o); break;
        case 'truncate': this.doTruncate(o); break;
        case 'allocate': this.doAllocate(o); break;
        case 'stat': result = o.mode === 0 ? this.doStat(o) : this.doStatFull(o); break;
        case 'link': this.doLink(o); break;
        case 'symlink': this.doSymlink(o); break;
        case 'readlink': result = this.doReadlink(o); break;
        case 'setattr': this.doSetattr(o); break;
        case 'rename': this.doRename(o); break;
        case 'unlink': this.doUnlink(o); break;
        case 'mkdir': this.doMkdir(o); break;
        case 'rmdir': this.doRmdir(o); break;
        case 'readdir': result = this.doReaddir(o); break;
        case 'close': break;
      }
    } catch (err) {
      this.disk.posixLinkResolution = false;
      const code = err instanceof StorageError ? err.code : 'ERR_INTERNAL';
      this.ctx.trace.record(TRACE_OP, this.ctx.index, o.whatCode, this.ctx.scheduler.now(), o.fd, o.offsetBytes, o.lengthBytes, -1,
        o.path ?? o.handle?.path, code, o.handle === undefined);
      this.recorder.finish(o.op, false);
      this.settled();
      const reject = o.reject;
      this.recycle(o);
      reject(err);
      return;
    } finally {
      this.disk.posixLinkResolution = false;
    }
    this.ctx.trace.record(TRACE_OP, this.ctx.index, o.whatCode, this.ctx.scheduler.now(), o.fd, o.offsetBytes, o.lengthBytes, count,
      o.path ?? o.handle?.path, undefined, o.handle === undefined);
    this.recorder.finish(o.op, true, count);
    this.settled();
    const resolve = o.resolve;
    this.recycle(o);
    resolve(result as never);
  }

  /** `powerCut`: draws for `o` as it would take effect; on a cut, the node crashes (rejecting `o`). */
  private powerCutDue(o: IoOp): boolean {
    const faults = this.ctx.faults;
    const rules = faults.rulesFor(o.op);
    if (rules === undefined || rules.powerCut === undefined) return false;
    if (faults.draw(rules, 'powerCut', o.op, o.handle?.path ?? o.path ?? '', this.operationsStarted, this.ctx.scheduler.now()) === undefined) return false;
    this.traceFault('powerCut', o, o.offsetBytes, -1);
    this.ctx.powerCut();
    return true;
  }

  /** `namespaceError`: throws the injected error when it fires for `op` on `path` (nothing changed yet). */
  private namespaceFault(o: IoOp, op: IoOperation, path: string): void {
    const faults = this.ctx.faults;
    const rules = faults.rulesFor(op);
    const rule = rules?.namespaceError;
    if (rules === undefined || rule === undefined) return;
    const spaceless = SPACELESS_OPERATIONS.includes(op);
    if (spaceless && !rule.errnos.includes('EIO')) return;
    if (faults.draw(rules, 'namespaceError', op, path, this.operationsStarted, this.ctx.scheduler.now()) === undefined) return;
    const errno = faults.errnoOf(rule, spaceless ? ['EIO'] : undefined);
    this.traceFault('namespaceError', o, -1, -1, errno);
    throw sys(errno, op, { path, injected: 'namespaceError' });
  }

  private settled(): void {
    if (this.inflightSize === 0 && this.onIdle !== undefined) {
      const wake = this.onIdle;
      this.onIdle = undefined;
      wake();
    }
  }

  private traceFault(kind: FaultKind, o: IoOp, offsetBytes: number, value: number, detail?: string): void {
    this.ctx.countFault(kind);
    let code = this.faultCodes.get(kind);
    if (code === undefined) {
      code = this.ctx.trace.code(kind);
      this.faultCodes.set(kind, code);
    }
    this.ctx.trace.record(TRACE_FAULT, this.ctx.index, code, this.ctx.scheduler.now(), o.fd, offsetBytes, o.lengthBytes, value,
      o.handle?.path ?? o.path, detail ?? o.op, true);
  }

  private doRead(o: IoOp): number {
    // Delivered at completion (Io contract): a buffer detached or shrunk in flight fails the read
    // and nothing else happens.
    if (o.buffer !== undefined) {
      if (!isSnapshotUsable(o.buffer, o.lengthBytes)) throw detachedInFlight('read');
    } else {
      checkSnapshotsUsable('readv', o.buffers as readonly Uint8Array[], o.lengthsBytes as readonly number[]);
    }
    const handle = o.handle as Handle;
    if (handle.inode.kind === 'dir') return 0; // a 0-byte readv (see readv)
    const file = handle.inode as FileInode;
    const data = file.cache;
    const offset = o.offsetBytes;
    const ctx = this.ctx;
    const sector = ctx.sectorBytes;
    let wanted = Math.max(0, Math.min(o.lengthBytes, data.sizeBytes - offset));
    const rules = ctx.faults.rulesFor('read');
    const now = ctx.scheduler.now();
    if (rules !== undefined) {
      const f = ctx.faults;
      if (f.draw(rules, 'readError', 'read', handle.path, this.operationsStarted, now) !== undefined) {
        this.traceFault('readError', o, offset, -1);
        throw sys('EIO', 'read', { fd: o.fd, path: handle.path, offsetBytes: offset, injected: 'readError' });
      }
      if (f.draw(rules, 'latentSectorError', 'read', handle.path, this.operationsStarted, now) !== undefined && wanted > 0) {
        const s = Math.floor(offset / sector) + f.detailStream('latentSectorError').below(Math.floor((offset + wanted - 1) / sector) - Math.floor(offset / sector) + 1);
        ctx.media.mark(ctx.media.latent, file.id, s);
        this.traceFault('latentSectorError', o, s * sector, s);
      }
      if (f.draw(rules, 'corruptAtRest', 'read', handle.path, this.operationsStarted, now) !== undefined && wanted > 0) {
        const s = Math.floor(offset / sector) + f.detailStream('corruptAtRest').below(Math.floor((offset + wanted - 1) / sector) - Math.floor(offset / sector) + 1);
        ctx.media.mark(ctx.media.rotten, file.id, s);
        this.traceFault('corruptAtRest', o, s * sector, s);
      }
      if (wanted >= 2 && f.draw(rules, 'shortRead', 'read', handle.path, this.operationsStarted, now) !== undefined) {
        const short = this.shortCount(handle, wanted, f.detailStream('shortRead'));
        if (short < wanted) {
          this.traceFault('shortRead', o, offset, short);
          wanted = short;
        }
      }
    }
    if (ctx.media.count > 0 && wanted > 0) this.checkLatent(o, file, offset, wanted);
    let count: number;
    if (o.buffer !== undefined) count = data.read(o.buffer.byteLength === wanted ? o.buffer : o.buffer.subarray(0, wanted), offset);
    else {
      count = 0;
      for (const b of o.buffers as readonly Uint8Array[]) {
        if (count >= wanted) break;
        const n = data.read(b.byteLength <= wanted - count ? b : b.subarray(0, wanted - count), offset + count);
        count += n;
        if (n < b.byteLength) break;
      }
    }
    if (count > 0) {
      if (rules !== undefined && rules.misdirectedRead !== undefined) this.misdirectRead(o, rules, file, offset, count);
      if (ctx.media.count > 0) this.applyRot(o, file, offset, count);
      if (rules !== undefined && ctx.faults.draw(rules, 'corruptRead', 'read', handle.path, this.operationsStarted, now) !== undefined) {
        const bit = ctx.faults.detailStream('corruptRead').below(count * 8);
        this.flipBit(o, bit);
        this.traceFault('corruptRead', o, offset + (bit >> 3), bit & 7);
      }
    }
    return count;
  }

  /** `misdirectedRead`: the `count` bytes read come from 1 to 8 sectors away instead (zeros past the end). */
  private misdirectRead(o: IoOp, rules: NonNullable<ReturnType<NodeFaults['rulesFor']>>, file: FileInode, offset: number, count: number): void {
    const faults = this.ctx.faults;
    if (faults.draw(rules, 'misdirectedRead', 'read', (o.handle as Handle).path, this.operationsStarted, this.ctx.scheduler.now()) === undefined) return;
    const prng = faults.detailStream('misdirectedRead');
    const shift = (1 + prng.below(8)) * this.ctx.sectorBytes;
    const target = offset >= shift && prng.below(2) === 0 ? offset - shift : offset + shift;
    const bytes = new Uint8Array(count);
    file.cache.read(bytes, target);
    if (o.buffer !== undefined) o.buffer.set(bytes);
    else {
      let at = 0;
      for (const b of o.buffers as readonly Uint8Array[]) {
        if (at >= count) break;
        const n = Math.min(b.byteLength, count - at);
        b.set(bytes.subarray(at, at + n));
        at += n;
      }
    }
    this.traceFault('misdirectedRead', o, offset, target);
  }

  private shortCount(handle: Handle, lengthBytes: number, prng: Prng): number {
    if (handle.direct) {
      const sectors = Math.floor(lengthBytes / this.ctx.sectorBytes);
      if (sectors < 2) return lengthBytes;
      return (1 + prng.below(sectors - 1)) * this.ctx.sectorBytes;
    }
    return 1 + prng.below(lengthBytes - 1);
  }

  private checkLatent(o: IoOp, file: FileInode, offset: number, count: number): void {
    const set = this.ctx.media.latent.get(file.id);
    if (set === undefined) return;
    const first = Math.floor(offset / this.ctx.sectorBytes);
    const last = Math.floor((offset + count - 1) / this.ctx.sectorBytes);
    // The lowest bad sector in the range; probing the range beats scanning a set that grows over
    // a long run, and the answer does not depend on the order the sectors went bad.
    let bad = -1;
    if (last - first < set.size) {
      for (let s = first; s <= last; s++) if (set.has(s)) { bad = s; break; }
    } else {
      for (const s of set) if (s >= first && s <= last && (bad < 0 || s < bad)) bad = s;
    }
    if (bad >= 0) {
      throw sys('EIO', 'read', { fd: o.fd, path: o.handle?.path, offsetBytes: offset, sector: bad, injected: 'latentSectorError' });
    }
  }

  /** At-rest corruption: the flipped bit depends only on the sector's bytes and the seed. */
  private applyRot(o: IoOp, file: FileInode, offset: number, count: number): void {
    const set = this.ctx.media.rotten.get(file.id);
    if (set === undefined) return;
    const sectorBytes = this.ctx.sectorBytes;
    const first = Math.floor(offset / sectorBytes);
    const last = Math.floor((offset + count - 1) / sectorBytes);
    // Sectors in ascending order (not the set's insertion order), so the flips are applied alike
    // whatever order the rot was found in.
    const sectors: number[] = [];
    if (set.size <= last - first) {
      for (const s of set) if (s >= first && s <= last) sectors.push(s);
      sectors.sort((a, b) => a - b);
    } else {
      for (let s = first; s <= last; s++) if (set.has(s)) sectors.push(s);
    }
    for (const s of sectors) {
      const content = new Uint8Array(sectorBytes);
      file.cache.read(content, s * sectorBytes);
      const h = (crc32c(content, this.ctx.seedSalt) >>> 0) % (sectorBytes * 8);
      const position = s * sectorBytes + (h >> 3);
      if (position >= offset && position < offset + count) this.flipBit(o, (position - offset) * 8 + (h & 7));
    }
  }

  private flipBit(o: IoOp, bit: number): void {
    let byte = bit >> 3;
    const mask = 1 << (bit & 7);
    if (o.buffer !== undefined) {
      o.buffer[byte] = (o.buffer[byte] as number) ^ mask;
      return;
    }
    for (const b of o.buffers as readonly Uint8Array[]) {
      if (byte < b.byteLength) { b[byte] = (b[byte] as number) ^ mask; return; }
      byte -= b.byteLength;
    }
  }

  private doWrite(o: IoOp): number {
    const handle = o.handle as Handle;
    const file = handle.inode as FileInode;
    const ctx = this.ctx;
    const sector = ctx.sectorBytes;
    let length = o.lengthBytes;
    if (length === 0) return 0;
    let offset = o.offsetBytes;
    const rules = ctx.faults.rulesFor('write');
    if (rules !== undefined) {
      const f = ctx.faults;
      const now = ctx.scheduler.now();
      if (f.draw(rules, 'writeError', 'write', handle.path, this.operationsStarted, now) !== undefined) {
        this.traceFault('writeError', o, offset, -1);
        throw sys('EIO', 'write', { fd: o.fd, path: handle.path, offsetBytes: offset, injected: 'writeError' });
      }
      if (length >= 2 && f.draw(rules, 'shortWrite', 'write', handle.path, this.operationsStarted, now) !== undefined) {
        const short = this.shortCount(handle, length, f.detailStream('shortWrite'));
        if (short < length) {
          this.traceFault('shortWrite', o, offset, short);
          length = short;
        }
      }
      if (f.draw(rules, 'misdirectedWrite', 'write', handle.path, this.operationsStarted, now) !== undefined) {
        const prng = f.detailStream('misdirectedWrite');
        const shift = (1 + prng.below(8)) * sector;
        const target = offset >= shift && prng.below(2) === 0 ? offset - shift : offset + shift;
        this.traceFault('misdirectedWrite', o, offset, target);
        offset = target;
      }
    }
    // The size grows as asked even when the data lands elsewhere (`misdirectedWrite`).
    const askedEnd = o.offsetBytes + length;
    const growth = Math.max(offset + length, askedEnd) - file.cache.sizeBytes;
    if (growth > 0) this.disk.reserve('write', handle.path, growth);
    if (offset !== o.offsetBytes) {
      misdirect(this.disk, file, o, offset, length, askedEnd);
      if (ctx.media.count > 0) ctx.media.clear(file.id, Math.floor(offset / sector), Math.floor((offset + length - 1) / sector));
      return length;
    }
    if (handle.direct) invalidatePages(this.disk, file, offset, length);
    if (rules !== undefined && rules.lostWrite !== undefined && this.lostWrite(o, rules, file, offset, length)) return length;
    if (o.page && length === CHUNK_BYTES) {
      // The page taken at the call becomes the cache's page (see `write`).
      this.disk.writePage(file, o.buffer as Uint8Array, offset);
      o.page = false;
    } else if (o.buffer !== undefined) {
      // The op's copy goes back to the pool at completion: the disk copies what it keeps.
      this.disk.write(file, length === o.buffer.byteLength ? o.buffer : o.buffer.subarray(0, length), offset, true);
    }
    if (ctx.media.count > 0) ctx.media.clear(file.id, Math.floor(offset / sector), Math.floor((offset + length - 1) / sector));
    return length;
  }

  /** `lostWrite`: when it fires, the write reaches the page cache only (lost) or lands later (phantom). */
  private lostWrite(o: IoOp, rules: NonNullable<ReturnType<NodeFaults['rulesFor']>>, file: FileInode, offset: number, length: number): boolean {
    const faults = this.ctx.faults;
    const fired = faults.draw(rules, 'lostWrite', 'write', (o.handle as Handle).path, this.operationsStarted, this.ctx.scheduler.now());
    if (fired === undefined) return false;
    const mode = fired.rule.mode ?? (faults.detailStream('lostWrite').below(2) === 0 ? 'lost' : 'phantom');
    // A write's bytes are one pooled copy taken at the call (writev gathers there too); it goes
    // back to the pool at completion: the cache and the phantom list copy what they keep.
    const bytes = (o.buffer as Uint8Array).subarray(0, length);
    if (mode === 'lost') loseWrite(this.disk, file, bytes, offset);
    else phantomWrite(this.disk, file, bytes, offset);
    this.traceFault('lostWrite', o, offset, length, mode);
    if (this.ctx.media.count > 0) this.ctx.media.clear(file.id, Math.floor(offset / this.ctx.sectorBytes), Math.floor((offset + length - 1) / this.ctx.sectorBytes));
    return true;
  }

  private doFsync(o: IoOp): void {
    const handle = o.handle as Handle;
    const inode = handle.inode;
    if (inode.kind === 'dir') {
      // Its own stream lane: file fsyncs keep the decisions existing seeds had.
      const rules = this.ctx.faults.rulesFor('fsync');
      const fired = rules === undefined ? undefined : this.ctx.faults.draw(rules, 'fsyncError', 'fsync', handle.path, this.operationsStarted, this.ctx.scheduler.now(), 'dir');
      if (fired !== undefined) {
        const errno = this.ctx.faults.errnoOf(fired, undefined, 'dir');
        this.traceFault('fsyncError', o, -1, -1, errno);
        throw sys(errno, 'fsync', { fd: o.fd, path: handle.path, injected: 'fsyncError' });
      }
      this.disk.syncDir(inode);
      return;
    }
    if (inode.kind === 'symlink') return;
    if (inode.pending.count > 0) {
      const rules = this.ctx.faults.rulesFor('fsync');
      if (rules !== undefined && this.ctx.faults.draw(rules, 'fsyncError', 'fsync', handle.path, this.operationsStarted, this.ctx.scheduler.now()) !== undefined) {
        const fired = rules.fsyncError as NonNullable<typeof rules.fsyncError>;
        const errno = this.ctx.faults.errnoOf(fired);
        this.traceFault('fsyncError', o, -1, inode.pendingBytes, errno === 'EIO' ? undefined : errno);
        this.disk.failFileSync(inode);
        markCacheAhead(inode);
        throw sys(errno, 'fsync', { fd: o.fd, path: handle.path, injected: 'fsyncError' });
      }
    }
    this.disk.syncFile(inode);
    landPhantoms(this.disk, inode);
  }

  private doTruncate(o: IoOp): void {
    const handle = o.handle as Handle;
    const file = handle.inode as FileInode;
    this.disk.reserve('truncate', handle.path, o.lengthBytes - file.cache.sizeBytes);
    this.disk.truncate(file, o.lengthBytes);
  }

  private doAllocate(o: IoOp): void {
    const handle = o.handle as Handle;
    const file = handle.inode as FileInode;
    const end = o.offsetBytes + o.lengthBytes;
    this.disk.reserve('allocate', handle.path, end - file.cache.sizeBytes);
    this.disk.grow(file, end);
  }

  private doStat(o: IoOp): Stat {
    let inode: Inode;
    if (o.handle !== undefined) inode = o.handle.inode;
    else {
      const path = o.path as string;
      const parsed = o.parsed as ParsedPath;
      const found = this.disk.resolve('stat', path, true, parsed.tooLongIndex).inode;
      this.checkTrailing('stat', parsed, found);
      if (found === undefined) throw sys('ENOENT', 'stat', { path });
      inode = found;
    }
    if (inode.kind === 'dir') return { sizeBytes: CHUNK_DIR_BYTES, isFile: false, isDirectory: true };
    if (inode.kind === 'symlink') return { sizeBytes: utf8Length(inode.target), isFile: false, isDirectory: false };
    return { sizeBytes: inode.cache.sizeBytes, isFile: true, isDirectory: false };
  }

  private inodeAt(o: IoOp, operation: string, follow: boolean): Inode {
    if (o.handle !== undefined) return o.handle.inode;
    const path = o.path as string;
    const found = this.disk.resolve(operation, path, follow).inode;
    if (found === undefined) throw sys('ENOENT', operation, { path });
    return found;
  }

  private doStatFull(o: IoOp): InodeStat {
    const inode = this.inodeAt(o, 'statFull', o.mode !== STAT_FULL_NOFOLLOW);
    const a = inode.attrs;
    let sizeBytes: number;
    let nlink: number;
    let type: number;
    if (inode.kind === 'dir') {
      sizeBytes = CHUNK_DIR_BYTES;
      nlink = 2 + inode.subdirCount;
      type = S_IFDIR;
    } else if (inode.kind === 'symlink') {
      sizeBytes = utf8Length(inode.target);
      nlink = inode.nlink;
      type = S_IFLNK;
    } else {
      sizeBytes = inode.cache.sizeBytes;
      nlink = inode.nlink;
      type = S_IFREG;
    }
    return {
      sizeBytes, isFile: inode.kind === 'file', isDirectory: inode.kind === 'dir', isSymbolicLink: inode.kind === 'symlink',
      // Like ext4, the root is inode 2; inode numbers are unique on the disk.
      ino: inode.id + 2, nlink, mode: type | a.mode, uid: a.uid, gid: a.gid,
      atimeMs: a.atimeMs, mtimeMs: a.mtimeMs, ctimeMs: a.ctimeMs, birthtimeMs: a.birthtimeMs,
      blocks: inode.kind === 'file' ? Math.ceil(sizeBytes / CHUNK_DIR_BYTES) * (CHUNK_DIR_BYTES / 512) : inode.kind === 'dir' ? CHUNK_DIR_BYTES / 512 : 0,
    };
  }

  private doLink(o: IoOp): void {
    const src = o.path as string;
    const dst = o.path2 as string;
    const details = { path: src, destination: dst };
    // Linux resolves the existing path completely before it looks at the new one.
    const from = this.disk.lookup('link', src);
    if (from.inode === undefined) throw sys('ENOENT', 'link', details);
    const to = this.disk.lookup('link', dst);
    // Linux creates the new name (EEXIST) before it asks whether the inode may be linked (EPERM).
    if (to.inode !== undefined) throw sys('EEXIST', 'link', details);
    if (from.inode.kind === 'dir') throw sys('EPERM', 'link', details);
    this.namespaceFault(o, 'link', dst);
    this.disk.link(to.parent, to.name, from.inode);
  }

  private doSymlink(o: IoOp): void {
    const path = o.path as string;
    const target = o.text as string;
    const look = this.disk.lookup('symlink', path);
    if (look.inode !== undefined) throw sys('EEXIST', 'symlink', { path, target });
    if (target === '') throw sys('ENOENT', 'symlink', { path, target });
    this.namespaceFault(o, 'symlink', path);
    this.disk.symlink(look.parent, look.name, target);
  }

  private doReadlink(o: IoOp): string {
    const path = o.path as string;
    const inode = this.disk.lookup('readlink', path).inode;
    if (inode === undefined) throw sys('ENOENT', 'readlink', { path });
    if (inode.kind !== 'symlink') throw sys('EINVAL', 'readlink', { path });
    return inode.target;
  }

  private doSetattr(o: IoOp): void {
    const inode = this.inodeAt(o, 'setAttributes', o.mode !== STAT_FULL_NOFOLLOW);
    const change = o.attrs as AttributeChange;
    const a = inode.attrs;
    if (change.mode !== undefined) a.mode = change.mode;
    if (change.uid !== undefined && change.uid !== -1) a.uid = change.uid;
    if (change.gid !== undefined && change.gid !== -1) a.gid = change.gid;
    if (change.atimeMs !== undefined) a.atimeMs = change.atimeMs;
    if (change.mtimeMs !== undefined) a.mtimeMs = change.mtimeMs;
    a.ctimeMs = this.ctx.scheduler.now();
  }

  private doOpen(o: IoOp): number {
    const path = o.path as string;
    const f = o.flags as ResolvedOpenFlags;
    const parsed = o.parsed as ParsedPath;
    if (f.create && parsed.trailingSlash) {
      // Linux refuses to create `name/` before it looks the name up: EISDIR once the parent walks.
      this.disk.lookup('open', path, parsed.tooLongIndex, false);
      throw sys('EISDIR', 'open', { path });
    }
    // O_CREAT|O_EXCL does not follow a link in the last component (even a dangling one is EEXIST);
    // a last `.` is entered by the walk, so a link there is followed whatever the flags.
    const look = this.disk.resolve('open', path, parsed.lastIsDot || !(f.create && f.exclusive), parsed.tooLongIndex);
    let inode = look.inode;
    // O_TMPFILE names a directory to create in: a last `.` or slash only repeats that.
    if (!f.tmpfile) this.checkTrailing('open', parsed, inode, f);
    if (f.tmpfile) {
      if (inode === undefined) throw sys('ENOENT', 'open', { path });
      if (inode.kind !== 'dir') throw sys('ENOTDIR', 'open', { path });
      this.checkFdRoom(path);
      this.namespaceFault(o, 'open', path);
      inode = this.disk.createFile(inode, '', o.mode);
      return this.addFd(inode, path, f);
    }
    if (inode === undefined) {
      if (!f.create) throw sys('ENOENT', 'open', { path });
      this.checkFdRoom(path);
      this.namespaceFault(o, 'open', path);
      inode = this.disk.createFile(look.parent, look.name, o.mode);
      return this.addFd(inode, path, f);
    }
    if (f.create && f.exclusive) throw sys('EEXIST', 'open', { path });
    if (inode.kind === 'dir') {
      if (f.write || f.create) throw sys('EISDIR', 'open', { path });
    } else if (f.directory) throw sys('ENOTDIR', 'open', { path });
    this.checkFdRoom(path);
    if (inode.kind === 'file' && f.truncate && inode.cache.sizeBytes > 0) this.disk.truncate(inode, 0);
    return this.addFd(inode, path, f);
  }

  private checkFdRoom(path: string): void {
    if (this.fdCount >= SIM_FD_COUNT_MAX) throw sys('EMFILE', 'open', { path, limit: SIM_FD_COUNT_MAX });
  }

  private addFd(inode: Inode, path: string, f: ResolvedOpenFlags): number {
    let fd = 0;
    while (fd < this.fds.length && this.fds[fd] !== undefined) fd++;
    this.fds[fd] = { inode, path, readable: f.read, writable: f.write, direct: f.direct };
    this.fdCount++;
    if (inode.kind === 'file') inode.openCount++;
    return fd;
  }

  /** Throws Linux's answer for a path ending in `/` or `.` (see `trailingError`), if it differs. */
  private checkTrailing(operation: 'open' | 'stat' | 'readdir' | 'unlink' | 'mkdir' | 'rmdir', parsed: ParsedPath, inode: Inode | undefined, f?: ResolvedOpenFlags): void {
    if (!parsed.lastIsDot && !parsed.trailingSlash) return;
    const code = trailingError(operation, parsed, entryKind(inode), f);
    if (code !== undefined) throw sys(code, operation, { path: parsed.path });
  }

  /**
   * Walks to the parent of a rename operand without looking its last name up. A path ending in
   * `.` names a directory that the walk enters (a symbolic link there is followed), so it must
   * exist and be one.
   */
  private renameParent(parsed: ParsedPath): Lookup {
    if (!parsed.lastIsDot) return this.disk.lookup('rename', parsed.path, parsed.tooLongIndex, false);
    const look = this.disk.resolve('rename', parsed.path, true, parsed.tooLongIndex);
    if (look.inode === undefined) throw sys('ENOENT', 'rename', { path: parsed.path });
    if (look.inode.kind !== 'dir') throw sys('ENOTDIR', 'rename', { path: parsed.path });
    return look;
  }

  private doRename(o: IoOp): void {
    const src = o.path as string;
    const dst = o.path2 as string;
    const fromParsed = o.parsed as ParsedPath;
    const toParsed = o.parsed2 as ParsedPath;
    const details = { path: src, destination: dst };
    // Linux resolves both parents before it looks at the entries: a bad destination parent is
    // ENOTDIR/ENOENT even when the source is missing. Then a last `.` is EBUSY, then the source's
    // name is looked up (ENAMETOOLONG, ENOENT), then the destination's.
    const from = this.renameParent(fromParsed);
    const to: Lookup = this.renameParent(toParsed);
    const busy = renameTrailingError(fromParsed, toParsed);
    if (busy !== undefined) throw sys(busy, 'rename', details);
    if (lastNameTooLong(fromParsed)) throw sys('ENAMETOOLONG', 'rename', details);
    if (from.inode === undefined) throw sys('ENOENT', 'rename', details);
    if (lastNameTooLong(toParsed)) throw sys('ENAMETOOLONG', 'rename', details);
    const notDirectory = renameTrailingError(fromParsed, toParsed, entryKind(from.inode));
    if (notDirectory !== undefined) throw sys(notDirectory, 'rename', details);
    if (src === dst) return;
    if (dst.startsWith(`${src}/`)) throw sys('EINVAL', 'rename', details);
    // Linux checks "the target is an ancestor of the source" before any type check.
    if (src.startsWith(`${dst}/`)) throw sys('ENOTEMPTY', 'rename', details);
    const s = from.inode;
    const d = to.inode;
    if (d !== undefined) {
      if (d === s) return;
      if (s.kind !== 'dir' && d.kind === 'dir') throw sys('EISDIR', 'rename', details);
      if (s.kind === 'dir' && d.kind !== 'dir') throw sys('ENOTDIR', 'rename', details);
      if (d.kind === 'dir' && d.entries.size > 0) throw sys('ENOTEMPTY', 'rename', details);
    }
    this.namespaceFault(o, 'rename', src);
    this.disk.rename(from, to, s);
  }

  private doUnlink(o: IoOp): void {
    const path = o.path as string;
    const parsed = o.parsed as ParsedPath;
    const look = this.disk.resolve('unlink', path, parsed.lastIsDot, parsed.tooLongIndex);
    this.checkTrailing('unlink', parsed, look.inode);
    if (look.inode === undefined) throw sys('ENOENT', 'unlink', { path });
    if (look.inode.kind === 'dir') throw sys('EISDIR', 'unlink', { path });
    this.namespaceFault(o, 'unlink', path);
    this.disk.unlink(look.parent, look.name, look.inode);
  }

  private doMkdir(o: IoOp): void {
    const path = o.path as string;
    const parsed = o.parsed as ParsedPath;
    const look = this.disk.resolve('mkdir', path, parsed.lastIsDot, parsed.tooLongIndex);
    this.checkTrailing('mkdir', parsed, look.inode);
    if (look.inode !== undefined) throw sys('EEXIST', 'mkdir', { path });
    this.namespaceFault(o, 'mkdir', path);
    this.disk.mkdir(look.parent, look.name);
  }

  private doRmdir(o: IoOp): void {
    const path = o.path as string;
    const parsed = o.parsed as ParsedPath;
    const look = this.disk.resolve('rmdir', path, parsed.lastIsDot, parsed.tooLongIndex);
    this.checkTrailing('rmdir', parsed, look.inode);
    if (look.inode === undefined) throw sys('ENOENT', 'rmdir', { path });
    if (look.inode.kind !== 'dir') throw sys('ENOTDIR', 'rmdir', { path });
    if (look.inode.entries.size > 0) throw sys('ENOTEMPTY', 'rmdir', { path });
    this.namespaceFault(o, 'rmdir', path);
    this.disk.rmdir(look.parent, look.name);
  }

  private doReaddir(o: IoOp): string[] {
    const path = o.path as string;
    const parsed = o.parsed as ParsedPath;
    const inode = this.disk.resolve('readdir', path, true, parsed.tooLongIndex).inode;
    this.checkTrailing('readdir', parsed, inode);
    if (inode === undefined) throw sys('ENOENT', 'readdir', { path });
    if (inode.kind !== 'dir') throw sys('ENOTDIR', 'readdir', { path });
    return [...inode.entries.keys()].sort();
  }
}

const utf8Encoder = new TextEncoder();
function utf8Length(text: string): number {
  return utf8Encoder.encode(text).byteLength;
}

/** What `trailingError` judges: a symbolic link not followed counts as a non-directory, as Linux's checks see it. */
function entryKind(inode: Inode | undefined): EntryKind {
  if (inode === undefined) return 'missing';
  return inode.kind === 'dir' ? 'directory' : 'file';
}

/** What `stat` reports as the size of a directory (like ext4's one block). */
const CHUNK_DIR_BYTES = 4096;


/**
 * The typed interface of the native addon (`native/`) and its loader.
 *
 * Architecture: the package ships a prebuilt addon (`prebuilds/<platform>-<arch>/*.napi.node`,
 * made by prebuildify at pack time); a build from source (`npx faultline build-native`, or
 * node-gyp in a clone) lands in `build/Release` and wins over the prebuild. The addon uses only
 * Node-API, so one prebuild per platform serves every Node.js line. The loader walks up from this
 * file to the package root (so it works from `src/` under tsx and from `dist/src/` once compiled),
 * lets node-gyp-build pick the file (the de-facto resolution rules shared with classic-level and
 * others, rather than a hand-written search), loads it once per thread, and remembers either the
 * binding or a diagnosis of why it could not load.
 * Nothing here throws: callers decide whether a missing addon is fatal (UringIo) or not
 * (`openIo({ backend: 'auto' })`, aligned allocation).
 *
 * Memory safety: see `native/addon.cc`. The kernel only touches addon-owned memory (bounce
 * buffers, reference-counted aligned allocations), so the JS side need not keep buffers alive for
 * the kernel's sake; it keeps them for `deliver`, which copies a read's bytes out at completion.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Why a native step failed: which step, and the errno it returned. */
export interface NativeFailure {
  readonly stage: string;
  readonly errno: number;
}

/** What `Ring.info()` reports: ring geometry, counters, and which opcodes the kernel offers. */
export interface NativeRingInfo {
  readonly open: boolean;
  readonly sqEntries: number;
  readonly cqEntries: number;
  readonly features: number;
  readonly sqpoll: boolean;
  /**
   * IORING_SETUP_DEFER_TASKRUN | SINGLE_ISSUER (Linux 6.1+, not with sqpoll): completions that
   * arrive outside a submission wait for this thread's next io_uring_enter, announced on an eventfd.
   */
  readonly deferTaskrun: boolean;
  /**
   * IORING_SETUP_TASKRUN_FLAG with deferTaskrun (x86 only): the kernel flags held-back
   * completions in the shared SQ flags, so a wake-up looks for them without a system call unless
   * some are there. Elsewhere, and on older kernels, each look is an io_uring_enter.
   */
  readonly taskrunFlag: boolean;
  /** Whether the event loop waits in this ring's io_uring_enter while it has requests in the kernel (`waitInRing`). */
  readonly waitInRing: boolean;
  /** waitInRing: waits in io_uring_enter so far (each also submitted what was queued). */
  readonly ringWaits: number;
  /** Those of {@link ringWaits} that ended with nothing completed: at their timeout (the loop's next timer was due) or on a signal. */
  readonly ringWaitsTimedOut: number;
  /** Those of {@link ringWaits} that ended because an fd of the event loop became ready (its epoll fd polled in the ring). */
  readonly ringWaitsLoopWoken: number;
  /**
   * Nanoseconds spent inside those waits' io_uring_enter calls (monotonic clock, around each call;
   * the submission each carries is inside it too). Time the event loop was idle that its own
   * utilization counts as busy (see `eventLoopUtilization`).
   */
  readonly ringWaitNanos: number;
  readonly singleMmap: boolean;
  /**
   * Wake-ups of the event loop for this ring so far: its poll saw the ring's eventfd (the ring fd
   * on rings without DEFER_TASKRUN) ready. Completions reaped right after a submission, or inside
   * a `waitInRing` wait, take none.
   */
  readonly wakeUps: number;
  /** io_uring_enter calls so far (submissions, waits, deferred-completion runs and overflow flushes together). */
  readonly enterCalls: number;
  /** The io_uring_enter calls among {@link enterCalls} that carried SQEs to the kernel. */
  readonly submitEnterCalls: number;
  readonly submittedSqes: number;
  readonly inKernel: number;
  /**
   * sqpoll rings only (0 otherwise): waits in which the JS thread polled the CQ for a completion
   * the polling kernel thread was about to post, instead of sleeping in the event loop (at most
   * 8 µs each), that saw one ...
   */
  readonly spinWaitsCompleted: number;
  /** ... and that saw none (each turns the waits off for the next 64 waits). */
  readonly spinWaitsExpired: number;
  readonly retries: number;
  readonly overflowFlushes: number;
  /** fds opened through the ring and not closed yet (closed by teardown if JS never does). */
  readonly ownedFds: number;
  /**
   * Reads answered on the spot from the page cache (preadv2 with RWF_NOWAIT) because nothing else
   * was queued or in flight: no submission, no completion round (see `read`'s `inline`).
   */
  readonly inlineReads: number;
  /** Inline attempts the page cache could not answer whole (they went to the ring). */
  readonly inlineMisses: number;
  /**
   * Whether a readBatch's reads answered at the call go to the kernel together, as RWF_NOWAIT
   * reads submitted by one io_uring_enter that waits for all of them inside the call, rather than
   * as one preadv2 each: on DEFER_TASKRUN rings (Linux 6.1+). Their counts are in
   * {@link inlineReads} and {@link inlineMisses} as for any read answered at the call.
   */
  readonly batchReadsOneEnter: boolean;
  /** The io_uring_enter calls those batches made (not in {@link enterCalls}: they are not the ring's requests). */
  readonly inlineBatchEnters: number;
  /**
   * Writes and writevs done by pwrite/pwritev on the JS thread because the caller opted in (UringIo
   * `inlineWrites`) and no request waited for a slot (see `write`'s `inline`).
   */
  readonly inlineWrites: number;
  /** Inline write attempts that went to the ring: an edge page not in the cache, a short write, an error. */
  readonly inlineWriteMisses: number;
  /** Inline writes that took over 200 µs; each sent the next 256 writes to the ring. */
  readonly inlineWritesSlow: number;
  /** Reads/writes that went through READ_FIXED/WRITE_FIXED (registered buffers). */
  readonly fixedTransfers: number;
  /** Number of registered buffers (0 without). */
  readonly registeredBuffers: number;
  /** Bounce memory the slots hold now (copies of caller buffers the ring does not own). */
  readonly bounceBytes: number;
  /** True when teardown could not drain the kernel in time and leaked the requests' memory instead. */
  readonly leakedAtTeardown: boolean;
  readonly ops: Readonly<Record<
    'read' | 'write' | 'readv' | 'writev' | 'fsync' | 'fallocate' | 'ftruncate' | 'openat2' | 'close' |
    'statx' | 'renameat' | 'unlinkat' | 'mkdirat' | 'asyncCancel', boolean>>;
}

/**
 * Result of a submitting method: `undefined` when the request went to the ring (its completion
 * record follows), or the result itself when it ran synchronously (the kernel lacks the opcode):
 * a count or 0 on success, a negated errno on failure. `statx` returns `[sizeBytes, mode]`.
 */
export type NativeResult = number | undefined;

/**
 * One io_uring instance (see `native/addon.cc`). `slot` is the request's index in the caller's
 * slot table, 0..queueDepth-1, and must be free. `dirFd` -1 means the root directory. Every
 * method checks its arguments (types, ranges, at most 1024 buffers) and throws a JS error before
 * it claims the slot or queues anything.
 */
export interface NativeRing {
  /**
   * Sets the ring up; `null` on success. `dispatcher(count)` is called with completion batches.
   * `bounceBytesMax` bounds the bounce memory of all slots together (default 256 MiB).
   */
  start(root: string, queueDepth: number, sqpoll: boolean, dispatcher: (count: number) => void, bounceBytesMax?: number): NativeFailure | null;
  /** The record buffer: `count` records of [slot, res, aux0, aux1] as float64 per dispatch. */
  completions(): ArrayBuffer;
  info(): NativeRingInfo;
  /**
   * `inline` true on a read (the caller has nothing else queued or in flight on this ring): it may
   * be answered at once from the page cache, its count returned as a synchronous result, or
   * RESULT_DONE_OVER_BUDGET when answered past the per-poll budget. On a
   * write (UringIo `inlineWrites`, and no request waits for a slot): it may be done at once by
   * pwrite on this thread, its count returned, or RESULT_DONE_OVER_BUDGET when done past the
   * per-poll budget. `writev`'s `inline` is the same for its buffers together (by pwritev).
   */
  read(slot: number, fd: number, buffer: Uint8Array, offsetBytes: number, inline?: boolean): NativeResult;
  write(slot: number, fd: number, buffer: Uint8Array, offsetBytes: number, inline?: boolean): NativeResult;
  /**
   * What `read(slot, fd, buffer, offsetBytes, true)` tries first, without a slot: the count when
   * the page cache answered the whole read now, RESULT_DONE_OVER_BUDGET when it did past the
   * per-poll budget, RESULT_NOT_AT_CALL when nothing was done (the read is then the ring's, through
   * `read`). Only for a read with nothing else queued or in flight on this ring. Same argument
   * checks and errors as `read`.
   */
  readAtCall(fd: number, buffer: Uint8Array, offsetBytes: number): number;
  /**
   * A batch's reads, in order, each tried at the call as `read(slot, plan[2i], views[i],
   * plan[2i + 1], true)` would, until the first the page cache does not answer whole (or the ring
   * is not idle, or the per-poll budget is spent): returns how many it answered, each with its
   * view's full length, or -1 minus that many when it stopped for the budget (the rest may be
   * offered again once the event loop has polled); the rest are the caller's. `plan`: (fd,
   * offset) pairs. At most 4096 entries.
   */
  readBatchAtCall(views: readonly Uint8Array[], plan: Float64Array, count: number): number;
  readv(slot: number, fd: number, buffers: readonly Uint8Array[], offsetBytes: number): NativeResult;
  writev(slot: number, fd: number, buffers: readonly Uint8Array[], offsetBytes: number, inline?: boolean): NativeResult;
  fsync(slot: number, fd: number, dataOnly: boolean): NativeResult;
  /**
   * A write linked to an fsync (IOSQE_IO_LINK), one submission. The completion's result is the
   * write's count when both succeeded, the write's result when it failed or was short (aux0 0),
   * else the fsync's error (aux0 1). -ENOSYS when the kernel lacks either opcode. `inline`: the
   * write may be done at the call (as `write`'s), and then only the fsync is queued.
   */
  writeSync(slot: number, fd: number, buffer: Uint8Array, offsetBytes: number, dataOnly: boolean, inline?: boolean): NativeResult;
  fallocate(slot: number, fd: number, offsetBytes: number, lengthBytes: number): NativeResult;
  ftruncate(slot: number, fd: number, lengthBytes: number): NativeResult;
  openat2(slot: number, dirFd: number, path: string, flags: number, mode: number, resolve: number): NativeResult;
  close(slot: number, fd: number): NativeResult;
  /** statx of the open `fd` itself, or with `path` of that path relative to `fd` (-1: the root). */
  statx(slot: number, fd: number, path?: string, flags?: number): NativeResult | [number, number];
  /**
   * For a completion record flagged in aux0: copies the read's bytes from the slot's bounce memory
   * into the same views it was submitted with (undefined: drop them). 1, copying nothing, when a
   * view no longer covers its range; 2 when the slot holds no delivery; else 0.
   */
  deliver(slot: number, views: Uint8Array | readonly Uint8Array[] | undefined): number;
  renameat(slot: number, fromDirFd: number, fromName: string, toDirFd: number, toName: string): NativeResult;
  unlinkat(slot: number, dirFd: number, name: string, flags: number): NativeResult;
  mkdirat(slot: number, dirFd: number, name: string, mode: number): NativeResult;
  /** readlinkat on the calling thread: the link's target, or a negated errno. */
  readlink(dirFd: number, path: string): string | number;
  /** getdents64 on the calling thread: the names (without `.`/`..`) or a negated errno. */
  readdir(fd: number): string[] | number;
  /** Asks the kernel to cancel everything in flight; completions (-ECANCELED or done) follow. */
  cancelAll(): void;
  /** Allocates and registers `count` aligned buffers of `lengthBytes`: the arena, or why not. */
  registerBuffers(count: number, lengthBytes: number): ArrayBuffer | NativeFailure;
  /**
   * For tests: the time past which a write done at the call counts as slow and sends the next 256
   * writes to the ring (default 200 µs; at most 60 s).
   */
  setInlineWriteSlowMicros(micros: number): void;
  /**
   * Turns waitInRing on or off; returns whether it is on (only on a DEFER_TASKRUN ring whose
   * kernel has IORING_FEAT_EXT_ARG and IORING_OP_POLL_ADD).
   */
  setWaitInRing(on: boolean): boolean;
  /** Cancels, waits for every request, frees the ring. Idempotent. */
  destroy(): void;
}

/** The addon's exports. On non-Linux builds only the allocator is present. */
export interface NativeBinding {
  /** False on the portable build (no io_uring on this OS). */
  readonly platformSupported: boolean;
  readonly alignmentBytes: number;
  allocAligned(lengthBytes: number): Uint8Array;
  readonly Ring?: new () => NativeRing;
  /** Tries a tiny io_uring_setup and an openat2; `{ stage: 'ok', errno: 0 }` when both work. */
  probe?(): NativeFailure;
  /**
   * openat2(dirFd, path, { flags | O_CLOEXEC, mode, resolve }) on the calling thread, retrying
   * EAGAIN/EINTR a bounded number of times: the fd, or a negated errno (`native/beneath.cc`).
   */
  openBeneath?(dirFd: number, path: string, flags: number, mode: number, resolve: number): number;
  /** The address of `view`'s first byte modulo `alignment` (a power of two). */
  addressModulo?(view: ArrayBufferView, alignment: number): number;
  /**
   * Nanoseconds one null system call (getppid) takes on this host: the least mean of a few short
   * rounds, measured once per process (`native/syscall_cost.cc`). UringIo's `coalesceReads` default.
   */
  syscallNanos?(): number;
  /** Nanoseconds every ring of the calling thread has spent waiting in io_uring_enter (waitInRing), closed ones included. */
  ringWaitNanosOfThread?(): number;
  /** Test aid: seccomp-blocks io_uring_setup in this process with `errno`. Irreversible. */
  restrictIoUringSetupForTesting?(errno: number): number;
}

/** Outcome of loading the addon. */
export type BindingLoad =
  | { readonly ok: true; readonly binding: NativeBinding; readonly path: string }
  | { readonly ok: false; readonly reason: string; readonly cause?: unknown };

const PACKAGE_NAME = 'faultline';
const ROOT_SEARCH_DEPTH_MAX = 8;

/** The directory of the package that contains this file (holding package.json named faultline). */
export function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < ROOT_SEARCH_DEPTH_MAX; depth += 1) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
        if (parsed.name === PACKAGE_NAME) return dir;
      } catch {
        // An unreadable manifest is not ours; keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/** How to build the addon from source; every load-failure diagnosis ends with it. */
export const BUILD_FROM_SOURCE_HINT = 'build it from source with `npx faultline build-native` (needs python3, make and a C++ compiler)';

/** The likely cause and fix of an addon load failure, from the loader's error message. */
export function explainLoadFailure(message: string): string {
  if (/No native build was found/i.test(message)) {
    return `faultline ships no prebuilt native addon for ${process.platform}-${process.arch} and none was built from source; ` +
      BUILD_FROM_SOURCE_HINT;
  }
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js/i.test(message)) {
    return `the addon was built for a different Node.js version (ABI mismatch); ${BUILD_FROM_SOURCE_HINT} with this Node.js`;
  }
  if (/invalid ELF header|wrong ELF class|not a mach-o|mach-o file, but is an incompatible architecture|Exec format error/i.test(message)) {
    return `the addon was built for another platform or CPU (copied node_modules?); ${BUILD_FROM_SOURCE_HINT} on this machine`;
  }
  if (/GLIBC|GLIBCXX|version `/i.test(message)) {
    return `the addon needs a newer C/C++ runtime than this system has; ${BUILD_FROM_SOURCE_HINT} on this machine`;
  }
  return `the addon failed to load; ${BUILD_FROM_SOURCE_HINT} and check its output`;
}

let cached: BindingLoad | undefined;

/**
 * Loads the addon once (per thread) and returns it, or why it is unavailable. Never throws.
 * Likely causes named in `reason`: not built (install scripts disabled, no compiler), a Node.js
 * ABI mismatch, a build for another platform.
 */
export function loadBinding(): BindingLoad {
  if (cached !== undefined) return cached;
  cached = loadOnce();
  return cached;
}

function loadOnce(): BindingLoad {
  const root = packageRoot();
  if (root === undefined) {
    return { ok: false, reason: 'cannot find the faultline package root to locate its native addon' };
  }
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
    path = nodeGypBuild.path(root);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: explainLoadFailure(message), cause: err };
  }
  try {
    const binding = require(path) as NativeBinding;
    return { ok: true, binding, path };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: explainLoadFailure(message), cause: err };
  }
}

/**
 * A zeroed allocator whose buffers are aligned to 4096 bytes (native posix_memalign), or
 * `undefined` when the addon is unavailable. For backends that want O_DIRECT-ready buffers.
 */
export function nativeAlignedAllocator(): ((lengthBytes: number) => Uint8Array) | undefined {
  const load = loadBinding();
  if (!load.ok) return undefined;
  const binding = load.binding;
  return (lengthBytes: number) => binding.allocAligned(lengthBytes);
}

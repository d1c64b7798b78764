/*
 * FsIo: the Io contract on node:fs, or on any fs-compatible module (a memfs Volume...).
 *
 * Architecture: every call validates its arguments with the shared checks, then issues the
 * callback form of the fs API (one libuv request per operation, no FileHandle objects: the
 * fastest node:fs path). Descriptors come from our own table (lowest free number), mapped to the
 * module's descriptors; an fs fd is closed only when the operations using it have settled, so an
 * fs-level number is never reused under an operation in flight. Errors go through `mapFsError`.
 *
 * Rooting (`resolver.ts`): paths are parsed by the shared `parsePath`, then resolved under
 * the contract's one rule (RESOLVE_BENEATH: links followed while they stay inside, absolute links
 * refused). On Linux with node:fs and the native addon the kernel resolves them: the parent (or
 * the whole path) is opened O_PATH with openat2 beneath an O_PATH fd of the root, and the
 * operation runs through node:fs on `/proc/self/fd/N/<name>`, so there is no window between check
 * and use, and relative paths up to PATH_MAX work whatever the root's length. Elsewhere (custom
 * fs modules, no addon, no /proc) a JS walk applies the same rule with one lstat per component;
 * it has a residual TOCTOU window (another process swapping a checked directory for a link out)
 * and absolute paths bound by PATH_MAX. rename/unlink/mkdir/rmdir act on the entry itself (never
 * followed), as in POSIX; a custom module that follows a symlink named as rename's source (memfs)
 * gets the link renamed by hand.
 *
 * O_DIRECT and O_TMPFILE (`capabilities.ts`): on Linux with the real node:fs, `direct` opens pass
 * O_DIRECT when the native addon loads (it provides the 4096-aligned zeroed buffers of
 * `allocAligned`; V8 cannot allocate aligned memory), and `tmpfile` opens the directory with
 * O_TMPFILE (defined locally: node does not export it). Alignment is the kernel's business: a
 * misaligned offset, length or buffer address fails with the kernel's own `EINVAL` (the kernel may
 * accept finer alignment than 4096, e.g. 512 on a 512-byte-sector disk; 4096 always works). A
 * filesystem without O_DIRECT (tmpfs before Linux 6.6, some FUSE and network filesystems) fails
 * the open with `EINVAL` (tmpfs since 6.6 accepts O_DIRECT without enforcing alignment), one
 * without O_TMPFILE with `EOPNOTSUPP`. With a custom fs module, off
 * Linux, without the addon, or when turned off by option, both are `ERR_UNSUPPORTED` with the
 * reason in `details.reason`.
 *
 * Memory safety: the fs module (libuv's thread pool, for node:fs) never sees a caller's memory.
 * Every transfer goes through a private bounce buffer from a bounded per-Io pool (plain memory,
 * or 4096-aligned memory from the addon for O_DIRECT fds; never Node's shared Buffer pool, never
 * exposed): a write copies the caller's bytes in at the call, a read copies out at completion
 * after checking that the caller's views are still attached and cover their range
 * (`ERR_DETACHED_BUFFER` otherwise). A caller that detaches, transfers, shrinks or frees its
 * buffer while a transfer waits in the pool's queue therefore cannot make the pool write into
 * freed memory. The cost is one copy of each transfer (and, for O_DIRECT, the caller's address is
 * checked through the addon to keep the kernel's `EINVAL` for misaligned buffers).
 *
 * Requirements: POSIX paths ('/' separators); Linux or macOS. O_DIRECTORY and O_NOFOLLOW are used
 * when the module defines them. No fallocate in node:fs: `allocate` grows the file with
 * ftruncate, so space is NOT reserved and a later write can still hit ENOSPC.
 *
 * Path rules (`parsePath`): a trailing `/` or last `.` is checked by `checkTrailing` with the
 * shared `trailingError` table (one extra lookup through the resolver, only for such paths), then
 * the operation runs on the canonical path; on a custom module a component past NAME_MAX is
 * looked for during the walk (`checkNameLength`), on node:fs the kernel reports it. File size:
 * `FILE_SIZE_MAX_BYTES` is enforced here too (EFBIG, short writes), so a file system with a larger
 * limit (tmpfs, XFS) answers as ext4 does; a custom module holds each file in one Buffer, so its
 * limit is half of `buffer.constants.MAX_LENGTH` (memfs doubles a Buffer as it grows), answered
 * with `EFBIG` as a file system with a smaller limit would. A 0-byte read asks for an fstat
 * (node answers 0 without the kernel, whose pread is `EISDIR` on a directory); a 0-byte readv is
 * 0 on any readable fd, as preadv.
 *
 * Fault model: none injected; whatever the disk and kernel report is passed through. With a custom
 * fs module (`emulateLinux`, on by default for one), namespace errors the module does not raise
 * the Linux way (rename over a directory, mkdir of an existing path, rmdir of a non-empty
 * directory...) are detected by an lstat beforehand; access-mode errors (EBADF/EISDIR/EINVAL for
 * reads, writes and truncates on the wrong kind of fd) are checked by the backend on every module.
 */
import * as nodeFs from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { StorageError, type ErrorCode } from '../../interfaces/errors.js';
import type { Clock } from '../../interfaces/clock.js';
import type { FsyncOptions, Io, IoFeatures, IoMetrics, IoOperation, OpenFlags, Stat } from '../../interfaces/io.js';
import { DIRECT_ALIGNMENT_BYTES, FILE_SIZE_MAX_BYTES, IO_BYTES_MAX } from '../../interfaces/limits.js';
import {
  checkAllocateRange, checkBuffer, checkFd, checkFsyncOptions, checkLength, checkOffset, checkOpenFlags,
  checkRangeEnd, checkSnapshotsUsable, checkUnsigned, copyInto, snapshotBuffers, type ResolvedOpenFlags,
  checkFileSize, lastNameTooLong, nameTooLongError, nameTooLongPrefix, parsePath, renameTrailingError,
  trailingError, truncateBuffers, writableBytes, type EntryKind, type ParsedPath, type TrailingOperation,
  checkRoot, snapshotOptions, checkOptionalBoolean, readCallerValue,
} from '../../interfaces/validate.js';
import { MetricsRecorder } from '../../common/metrics.js';
import { BouncePool } from '../../common/bounce-pool.js';
import { FdTable, type FdEntry } from './fd-table.js';
import type { FsLike, FsOpenConstants, FsStatsLike } from './fs-like.js';
import { mapFsError, osError } from './errors.js';
import { RealClock } from './real-clock.js';
import { SizeGate } from './size-gate.js';
import { KernelResolver, WalkResolver, kernelResolverSupport, type PathResolver, type ResolvedPath } from './resolver.js';
import { loadBinding } from '../../native/binding.js';
import { directOpenFlag, resolveFsCapabilities, tmpfileOpenFlags, type FsCapability, type FsIoCapabilities } from './capabilities.js';
import { writeThenSync } from '../../common/write-then-sync.js';
import { markAlignedMemory } from '../../common/aligned-memory.js';

/** Options of {@link FsIo}. */
export interface FsIoOptions {
  /** The root directory (must exist). Every Io path is relative to it. */
  readonly root: string;
  /** The fs module to use (default `node:fs`), e.g. a memfs `Volume`. */
  readonly fs?: FsLike;
  /** `features.backend`; default `'fs'` for node:fs and `'fs-custom'` for a custom module. */
  readonly backendName?: string;
  /**
   * Check namespace operations against Linux semantics with an lstat before calling the module,
   * for modules that do not raise Linux's errors themselves. Default: true for a custom `fs` and
   * off Linux, false for node:fs on Linux (the kernel already does it).
   */
  readonly emulateLinux?: boolean;
  /** Most descriptors open at once; one more open fails with `EMFILE`. Default 65536. */
  readonly fdCountMax?: number;
  /** Most operations in flight at once; one more fails with `ERR_LIMIT_EXCEEDED`. Default 65536. */
  readonly inFlightCountMax?: number;
  /**
   * O_DIRECT support (`features.direct`). Default: on wherever it is available (Linux, node:fs,
   * native addon loadable). `false` turns it off (direct opens are `ERR_UNSUPPORTED`, and
   * `allocAligned` returns ordinary buffers); `true` demands it: the constructor throws
   * `ERR_UNSUPPORTED` (reason in `details.reason`) where it is not available.
   */
  readonly direct?: boolean;
  /** O_TMPFILE support (`features.tmpfile`), with the same default and meaning of `true`/`false` as `direct`. */
  readonly tmpfile?: boolean;
  /**
   * Kernel-checked path resolution (openat2 RESOLVE_BENEATH through the native addon; see
   * `resolver.ts`). Default: on wherever available (Linux, node:fs, addon built, /proc mounted);
   * `false` uses the JS walk (with its documented race window); `true` demands it and the
   * constructor throws `ERR_UNSUPPORTED` (reason in `details.reason`) where it is unavailable.
   */
  readonly kernelResolution?: boolean;
}

const FS_IO_OPTION_NAMES = [
  'root', 'fs', 'backendName', 'emulateLinux', 'fdCountMax', 'inFlightCountMax', 'direct', 'tmpfile', 'kernelResolution',
] as const;

/** A buffer's address modulo the direct I/O alignment, from the addon; `undefined` without it. */
function nativeMisalignment(): ((view: Uint8Array) => number) | undefined {
  const load = loadBinding();
  const addressModulo = load.ok ? load.binding.addressModulo : undefined;
  if (!load.ok || addressModulo === undefined) return undefined;
  const binding = load.binding;
  return (view) => addressModulo.call(binding, view, DIRECT_ALIGNMENT_BYTES);
}

/**
 * The largest file FsIo lets a custom fs module hold: 2 GiB. Such modules (memfs) keep a file in one
 * Buffer and double it as it grows, so a write far past the end allocates the whole file in memory
 * (and past half of `buffer.constants.MAX_LENGTH` fails with a RangeError). FsIo answers `EFBIG`
 * first, as a file system with a smaller limit does. A fixed figure rather than one derived from
 * `MAX_LENGTH`, which grew from 4 GiB (Node 20) to 2^53 - 1 (Node 22+): the same code must give the
 * same answer on every supported Node line.
 */
export const FSIO_CUSTOM_FILE_SIZE_MAX_BYTES = Math.min(FILE_SIZE_MAX_BYTES, 2 ** 31);

const FILE_MODE = 0o644;
const DIRECTORY_MODE = 0o755;
const FD_COUNT_MAX_DEFAULT = 65_536;
const IN_FLIGHT_COUNT_MAX_DEFAULT = 65_536;

/**
 * Bounds of the idle bounce buffers each FsIo keeps (per pool: plain and, with direct I/O,
 * aligned). Transfers above the largest class get an exact buffer that is dropped afterwards.
 */
const BOUNCE_CLASS_MIN_BYTES = 4096;
const BOUNCE_CLASS_MAX_BYTES = 1 << 20;
const BOUNCE_BUFFERS_PER_CLASS_MAX = 32;
const BOUNCE_POOLED_BYTES_MAX = 16 << 20;
/** The bounce of a zero-byte transfer: no memory to protect, never handed out. */
const EMPTY_BOUNCE = new Uint8Array(0);

/** Linux's values, used by fs-compatible modules (memfs) that do not export `constants`. */
const LINUX_OPEN_CONSTANTS: FsOpenConstants = {
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 0o100, O_EXCL: 0o200, O_TRUNC: 0o1000,
  O_DIRECTORY: 0o200000, O_NOFOLLOW: 0o400000,
};

type Callback<T> = (err?: unknown, value?: T) => void;

/** The members of {@link FsLike} FsIo calls without looking first whether the module has them. */
const FS_MODULE_METHODS = [
  'open', 'close', 'read', 'write', 'fsync', 'fdatasync', 'ftruncate', 'fstat', 'stat', 'lstat', 'readlink', 'rename',
  'unlink', 'mkdir', 'rmdir', 'readdir', 'realpathSync', 'statSync',
] as const;
const FS_OPEN_CONSTANTS = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_CREAT', 'O_EXCL', 'O_TRUNC', 'O_DIRECTORY', 'O_NOFOLLOW'] as const;
const FS_OPEN_CONSTANTS_OPTIONAL: readonly string[] = ['O_DIRECTORY', 'O_NOFOLLOW'];

/**
 * A custom `fs` option has the shape FsIo needs: each method a function and, when it has
 * `constants`, each open flag a number (`O_DIRECTORY` and `O_NOFOLLOW` may be missing).
 * Otherwise `ERR_INVALID_ARGUMENT` naming the `fs` option (and the member) before the module is
 * used, instead of an `ERR_INTERNAL` from the first call that finds a member missing; a getter or
 * Proxy trap that throws is a bad argument too. Returns the flags read (each read once), or
 * undefined without `constants`. A shape check only: the module is the caller's code, trusted
 * once it has the shape (its calls go through `call`, which maps whatever they throw).
 */
function checkFsModule(fs: object): FsOpenConstants | undefined {
  const read = (from: object, name: string): unknown =>
    readCallerValue('FsIo', () => (from as Record<string, unknown>)[name], 'fs', 'fs module');
  const bad = (member: string, what: string): StorageError =>
    new StorageError('ERR_INVALID_ARGUMENT', `FsIo: options.fs.${member} must be ${what}`, { operation: 'FsIo', argument: 'fs', member });
  for (const name of FS_MODULE_METHODS) {
    if (typeof read(fs, name) !== 'function') throw bad(name, 'a function');
  }
  const constants = read(fs, 'constants');
  if (constants === undefined) return undefined;
  if (typeof constants !== 'object' || constants === null) throw bad('constants', 'an object of open flags');
  const flags: Record<string, number> = {};
  for (const name of FS_OPEN_CONSTANTS) {
    const value = read(constants, name);
    if (value === undefined && FS_OPEN_CONSTANTS_OPTIONAL.includes(name)) continue;
    if (typeof value !== 'number') throw bad(`constants.${name}`, 'a number');
    flags[name] = value;
  }
  return flags as unknown as FsOpenConstants;
}

/** Calls a callback-style function and settles with its value or a mapped error. */
function call<T>(operation: string, details: Record<string, unknown>, invoke: (cb: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      invoke((err, value) => {
        if (err) reject(mapFsError(err, operation, details));
        else resolve(value as T);
      });
    } catch (err) {
      // A synchronous throw means the module rejected an argument our checks let through.
      reject(mapFsError(err, operation, details));
    }
  });
}

/** A name from the module as a string (modules may hand back Buffers). */
function nameString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  return String(value);
}

function isCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof StorageError && err.code === code;
}

/** The Io contract over node:fs or an fs-compatible module. See the file header for the design. */
export class FsIo implements Io {
  readonly clock: Clock = new RealClock();
  readonly features: IoFeatures;

  private readonly fs: FsLike;
  /** Where paths are resolved: the kernel's when available, else the JS walk (see `resolver.ts`). */
  private readonly resolver: PathResolver;
  private readonly kernel: KernelResolver | undefined;
  private readonly walker: WalkResolver;
  /** How paths are resolved here, and why not by the kernel when they are not (tests, diagnostics). */
  readonly pathResolution: { readonly kind: 'kernel' | 'walk'; readonly reason?: string };
  private readonly c: Readonly<Record<keyof FsOpenConstants, number>>;
  private readonly emulate: boolean;
  /** A module other than node:fs was given. */
  private readonly custom: boolean;
  private readonly recorder = new MetricsRecorder();
  private readonly fds: FdTable;
  private readonly gate = new SizeGate();
  /** The largest file this Io lets the module hold (see the header). */
  private readonly fileSizeMaxBytes: number;
  private readonly inFlightCountMax: number;
  /** Why `direct`/`tmpfile` are off (for the `ERR_UNSUPPORTED` details); absent when on. */
  private readonly unsupportedReasons: Readonly<Partial<Record<keyof FsIoCapabilities, string>>>;
  /** The native 4096-aligned allocator when direct I/O is on. */
  private readonly alignedAllocator: ((lengthBytes: number) => Uint8Array) | undefined;
  private readonly directFlag: number;
  private readonly tmpfileFlags: number;
  /** Private bounce memory for every transfer (never exposed, not Node's shared Buffer pool). */
  private readonly pool: BouncePool;
  /** Aligned bounce memory for O_DIRECT descriptors (present when direct I/O is on). */
  private readonly alignedPool: BouncePool | undefined;
  /** A buffer's address modulo the page size, from the addon (present when direct I/O is on). */
  private readonly misalignmentOf: ((view: Uint8Array) => number) | undefined;
  private inFlightCount = 0;
  private onIdle: (() => void) | undefined;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private shutdownPromise: Promise<void> | undefined;

  /**
   * Opens an Io rooted at `options.root`. Throws `StorageError` synchronously when the root is
   * missing (`ENOENT`), not a directory (`ENOTDIR`), longer than PATH_MAX (`ENAMETOOLONG`), or an
   * option is malformed (`ERR_INVALID_ARGUMENT`: a root with a NUL, an `fs` module without a
   * method FsIo calls...).
   */
  constructor(callerOptions: FsIoOptions) {
    const rootMissing = (): StorageError => new StorageError('ERR_INVALID_ARGUMENT', 'FsIo: options.root must be a non-empty string', { argument: 'root' });
    if (typeof callerOptions !== 'object' || callerOptions === null) throw rootMissing();
    // Read once: the checks below and the backend see the same values, whatever getters return.
    const options = snapshotOptions('FsIo', callerOptions, FS_IO_OPTION_NAMES);
    if (typeof options.root !== 'string' || options.root === '') throw rootMissing();
    checkRoot('FsIo', options.root);
    if (options.fs !== undefined && (typeof options.fs !== 'object' || options.fs === null)) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'FsIo: options.fs must be an fs module object', { argument: 'fs' });
    }
    const moduleConstants = options.fs === undefined ? undefined : checkFsModule(options.fs);
    if (options.backendName !== undefined && (typeof options.backendName !== 'string' || options.backendName === '')) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'FsIo: options.backendName must be a non-empty string', { argument: 'backendName' });
    }
    const custom = options.fs !== undefined;
    this.custom = custom;
    this.fs = options.fs ?? (nodeFs as unknown as FsLike);
    const constants = custom ? moduleConstants ?? LINUX_OPEN_CONSTANTS : nodeFs.constants;
    this.c = {
      O_RDONLY: constants.O_RDONLY, O_WRONLY: constants.O_WRONLY, O_RDWR: constants.O_RDWR,
      O_CREAT: constants.O_CREAT, O_EXCL: constants.O_EXCL, O_TRUNC: constants.O_TRUNC,
      O_DIRECTORY: constants.O_DIRECTORY ?? 0, O_NOFOLLOW: constants.O_NOFOLLOW ?? 0,
    };
    // Off Linux the kernel's codes differ in places (macOS: unlink of a directory is EPERM).
    this.emulate = checkOptionalBoolean('FsIo', 'emulateLinux', options.emulateLinux) ?? (custom || process.platform !== 'linux');
    this.fileSizeMaxBytes = custom ? FSIO_CUSTOM_FILE_SIZE_MAX_BYTES : FILE_SIZE_MAX_BYTES;
    const fdCountMax = checkUnsigned('FsIo', 'fdCountMax', options.fdCountMax ?? FD_COUNT_MAX_DEFAULT, 0x7fff_ffff);
    this.inFlightCountMax = checkUnsigned('FsIo', 'inFlightCountMax', options.inFlightCountMax ?? IN_FLIGHT_COUNT_MAX_DEFAULT, 0x7fff_ffff);
    this.fds = new FdTable(fdCountMax);
    let rootReal: string;
    let rootStat: FsStatsLike;
    try {
      rootReal = nameString(this.fs.realpathSync(options.root));
      rootStat = this.fs.statSync(rootReal);
    } catch (err) {
      throw mapFsError(err, 'FsIo', { path: options.root });
    }
    if (!rootStat.isDirectory()) throw osError('ENOTDIR', 'FsIo', { path: options.root });
    const wantKernel = checkOptionalBoolean('FsIo', 'kernelResolution', options.kernelResolution);
    this.walker = new WalkResolver(this.fs, rootReal);
    let kernel: KernelResolver | undefined;
    let kernelReason: string | undefined;
    if (wantKernel === false) {
      kernelReason = 'turned off by the FsIo option kernelResolution: false';
    } else {
      const support = kernelResolverSupport(custom);
      const opened = 'reason' in support ? support.reason : KernelResolver.open(rootReal, support.openBeneath);
      if (typeof opened === 'string') kernelReason = opened;
      else kernel = opened;
      if (kernel === undefined && wantKernel === true) {
        throw new StorageError('ERR_UNSUPPORTED', 'FsIo: kernelResolution was demanded but is not available here', {
          argument: 'kernelResolution', reason: kernelReason,
        });
      }
    }
    this.kernel = kernel;
    this.resolver = kernel ?? this.walker;
    this.pathResolution = kernel !== undefined ? { kind: 'kernel' } : { kind: 'walk', reason: kernelReason ?? 'unavailable' };
    const wantDirect = checkOptionalBoolean('FsIo', 'direct', options.direct);
    const wantTmpfile = checkOptionalBoolean('FsIo', 'tmpfile', options.tmpfile);
    // `direct: false` skips loading the addon: nothing would use its allocator.
    const capabilities = resolveFsCapabilities(custom, wantDirect !== false);
    const reasons: Partial<Record<keyof FsIoCapabilities, string>> = {};
    const direct = decideCapability('direct', wantDirect, capabilities.direct, reasons);
    const tmpfile = decideCapability('tmpfile', wantTmpfile, capabilities.tmpfile, reasons);
    this.unsupportedReasons = reasons;
    this.alignedAllocator = direct ? capabilities.allocator.allocate : undefined;
    const poolBounds = {
      classMinBytes: BOUNCE_CLASS_MIN_BYTES, classMaxBytes: BOUNCE_CLASS_MAX_BYTES,
      buffersPerClassMax: BOUNCE_BUFFERS_PER_CLASS_MAX, pooledBytesMax: BOUNCE_POOLED_BYTES_MAX,
    };
    this.pool = new BouncePool({ allocate: (lengthBytes) => new Uint8Array(lengthBytes), ...poolBounds });
    const alignedAllocate = this.alignedAllocator;
    this.alignedPool = alignedAllocate === undefined ? undefined : new BouncePool({ allocate: alignedAllocate, ...poolBounds });
    this.misalignmentOf = direct ? nativeMisalignment() : undefined;
    this.directFlag = direct ? directOpenFlag() : 0;
    this.tmpfileFlags = tmpfile ? tmpfileOpenFlags() : 0;
    this.features = {
      backend: options.backendName ?? (custom ? 'fs-custom' : 'fs'),
      direct,
      tmpfile,
      directAlignmentBytes: DIRECT_ALIGNMENT_BYTES,
    };
  }

  get metrics(): IoMetrics {
    return this.recorder.snapshot();
  }

  // ---------------------------------------------------------------------------------------------
  // Operation bookkeeping

  /**
   * Runs one counted operation: rejects with `ERR_CLOSED` after shutdown, with
   * `ERR_LIMIT_EXCEEDED` past the in-flight bound, and otherwise settles with `body`.
   */
  private run<T>(op: IoOperation, body: () => Promise<T>): Promise<T> {
    this.recorder.start(op);
    if (this.state !== 'open') {
      this.recorder.finish(op, false);
      return Promise.reject(new StorageError('ERR_CLOSED', `${op}: the Io is shut down`, { operation: op }));
    }
    if (this.inFlightCount >= this.inFlightCountMax) {
      this.recorder.finish(op, false);
      return Promise.reject(new StorageError('ERR_LIMIT_EXCEEDED', `${op}: too many operations in flight`, {
        operation: op, limit: this.inFlightCountMax,
      }));
    }
    this.inFlightCount += 1;
    let promise: Promise<T>;
    try {
      promise = body();
    } catch (err) {
      promise = Promise.reject(err);
    }
    return promise.then(
      (value) => {
        this.settle();
        this.recorder.finish(op, true, typeof value === 'number' ? value : 0);
        return value;
      },
      (err: unknown) => {
        this.settle();
        this.recorder.finish(op, false);
        throw err;
      },
    );
  }

  private settle(): void {
    this.inFlightCount -= 1;
    if (this.inFlightCount === 0 && this.onIdle !== undefined) {
      const wake = this.onIdle;
      this.onIdle = undefined;
      wake();
    }
  }

  /**
   * `ERR_CLOSED` once shutdown has begun, for a call whose argument getters (the only caller code
   * a call runs) have just run: `run` checked the state before them, and one may have shut the Io
   * down.
   */
  private checkOpen(operation: string): void {
    if (this.state !== 'open') throw new StorageError('ERR_CLOSED', `${operation}: the Io is shut down`, { operation });
  }

  /** The open entry of `fd`, pinned until `release`; `EBADF` when it is not open. */
  private acquire(operation: string, fd: number): FdEntry {
    const entry = this.fds.get(fd);
    if (entry === undefined) throw osError('EBADF', operation, { fd });
    entry.pendingCount += 1;
    return entry;
  }

  private release(entry: FdEntry): void {
    entry.pendingCount -= 1;
    if (entry.pendingCount === 0 && entry.onDrained !== undefined) {
      const wake = entry.onDrained;
      entry.onDrained = undefined;
      wake();
    }
  }

  /** Runs `body` with `fd`'s entry pinned, so a concurrent close waits for it. */
  private async withFd<T>(operation: string, fd: number, body: (entry: FdEntry) => Promise<T>): Promise<T> {
    const entry = this.acquire(operation, fd);
    try {
      return await body(entry);
    } finally {
      this.release(entry);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Path resolution (see `resolver.ts`)

  /**
   * Runs `body` on `path`'s entry: the parent resolved beneath the root (a directory, else
   * `ENOTDIR`/`ENOENT`), the last component as it is. The root itself is handed over resolved.
   */
  private async withEntry<T>(operation: string, path: string, body: (resolved: ResolvedPath) => Promise<T>): Promise<T> {
    const resolved = path === '.' ? await this.resolver.full(operation, path, true) : await this.resolver.entry(operation, path);
    try {
      return await body(resolved);
    } finally {
      resolved.release();
    }
  }

  /** Runs `body` on `path` with every component followed beneath the root. */
  private async withFull<T>(operation: string, path: string, directory: boolean, body: (resolved: ResolvedPath) => Promise<T>): Promise<T> {
    const resolved = await this.resolver.full(operation, path, directory);
    try {
      return await body(resolved);
    } finally {
      resolved.release();
    }
  }

  /**
   * On a custom module (the kernel does it for node:fs), `ENAMETOOLONG` for a component past
   * NAME_MAX once the walk reaches it: the components before it must be directories first.
   */
  private async checkNameLength(operation: string, parsed: ParsedPath, lastLookedUp = true): Promise<void> {
    if (!this.emulate || (!lastLookedUp && lastNameTooLong(parsed))) return;
    const prefix = nameTooLongPrefix(parsed);
    if (prefix === undefined) return;
    await this.walkDirectory(operation, prefix);
    throw nameTooLongError(operation, parsed);
  }

  /** Walks into the directory `path` as the kernel's lookup would: `ENOENT`, `ENOTDIR` on the way. */
  private async walkDirectory(operation: string, path: string): Promise<void> {
    await this.withFull(operation, path, true, () => Promise.resolve());
  }

  /** Walks to the parent of `path` (a directory, else `ENOENT`/`ENOTDIR`), not looking at its last name. */
  private async walkParent(operation: string, path: string): Promise<void> {
    await this.withEntry(operation, path, () => Promise.resolve());
  }

  /** What `path` is: followed to its target (inside the root) when `follow`, the entry itself otherwise. */
  private async entryKind(operation: string, path: string, follow: boolean): Promise<EntryKind> {
    let st: FsStatsLike | undefined;
    if (follow) {
      st = await this.withFull(operation, path, false, (resolved) =>
        call<FsStatsLike>(operation, { path }, (cb) => this.fs.stat(resolved.path, cb))).catch((err: unknown) => {
        if (isCode(err, 'ENOENT')) return undefined;
        throw err;
      });
    } else {
      st = await this.withEntry(operation, path, (resolved) => resolved.magic
        ? call<FsStatsLike>(operation, { path }, (cb) => this.fs.stat(resolved.path, cb))
        : this.lstatOrUndefined(operation, path, resolved.path));
    }
    if (st === undefined) return 'missing';
    return st.isDirectory() ? 'directory' : 'file';
  }

  /**
   * Linux's answer for a path ending in `/` or `.` (shared `trailingError` table), checked before
   * the operation runs on the canonical path. A last `.` makes the walk enter the entry (symlinks
   * followed); a trailing slash is followed by the operations that follow a final symlink
   * (open, stat, readdir), while unlink judges the entry itself, as Linux's unlinkat does.
   */
  private async checkTrailing(operation: TrailingOperation, parsed: ParsedPath, f?: ResolvedOpenFlags): Promise<void> {
    if (!parsed.lastIsDot && !parsed.trailingSlash) return;
    if (!parsed.lastIsDot && (operation === 'mkdir' || operation === 'rmdir')) return;
    if (f?.tmpfile === true) return;
    if (operation === 'open' && f?.create === true && parsed.trailingSlash) {
      // Refused before the name is looked up: only the parent's walk can fail first.
      await this.walkParent(operation, parsed.path);
      throw osError('EISDIR', operation, { path: parsed.path });
    }
    const follow = parsed.lastIsDot || operation === 'open' || operation === 'stat' || operation === 'readdir';
    // The root is always there and a directory: `readdir('.')` and the like cost no lookup.
    const kind = parsed.path === '.' ? 'directory' : await this.entryKind(operation, parsed.path, follow);
    const code = trailingError(operation, parsed, kind, f);
    if (code !== undefined) throw osError(code, operation, { path: parsed.path });
  }

  private lstatOrUndefined(operation: string, path: string, absolute: string): Promise<FsStatsLike | undefined> {
    return call<FsStatsLike>(operation, { path }, (cb) => this.fs.lstat(absolute, cb)).catch((err: unknown) => {
      if (isCode(err, 'ENOENT')) return undefined;
      throw err;
    });
  }

  /** Linux's answer for `rmdir`/`rename` targets: true when a directory has entries. */
  private async isNonEmptyDirectory(operation: string, path: string, absolute: string): Promise<boolean> {
    const names = await call<readonly unknown[]>(operation, { path }, (cb) => this.fs.readdir(absolute, cb));
    return names.length > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Io

  /**
   * See {@link Io.open}. `direct` and `tmpfile` are `ERR_UNSUPPORTED` (reason in `details.reason`)
   * where `features.direct`/`features.tmpfile` are false. With `tmpfile`, `path` is the directory
   * to create the unnamed file in: it is resolved like any other path (a symlink to a directory
   * inside the root is followed; outside is `ERR_PATH_ESCAPE`), a file there is `ENOTDIR`, a
   * missing one `ENOENT`, and a filesystem without O_TMPFILE `EOPNOTSUPP`. With `direct`, a
   * filesystem that refuses O_DIRECT fails with `EINVAL`.
   */
  open(path: string, flags?: OpenFlags): Promise<number> {
    return this.run('open', async () => {
      const parsed = parsePath('open', path);
      const normalized = parsed.path;
      const f = checkOpenFlags('open', flags);
      // A flag getter may have shut the Io down; shutdown waits for this call, which would then
      // create the file and hand back an fd shutdown closes at once.
      this.checkOpen('open');
      if (f.direct && !this.features.direct) throw this.unsupported('direct', normalized);
      if (f.tmpfile && !this.features.tmpfile) throw this.unsupported('tmpfile', normalized);
      // `name/` with create is refused before the name is looked up.
      await this.checkNameLength('open', parsed, !(f.create && parsed.trailingSlash && !f.tmpfile));
      await this.checkTrailing('open', parsed, f);
      let osFd: number;
      let isDirectory = f.directory;
      if (f.tmpfile) {
        osFd = await this.openTmpfile(normalized, f);
      } else {
        osFd = await this.withEntry('open', normalized, async (resolved) => {
          if (this.emulate) isDirectory = await this.checkOpenLinux(normalized, resolved, f);
          return this.openFollowingInside(normalized, resolved, f);
        });
      }
      const entry: FdEntry = {
        osFd, path: normalized, readable: f.read, writable: f.write, direct: f.direct, isDirectory, pendingCount: 0, onDrained: undefined,
      };
      try {
        return this.fds.add(entry);
      } catch (err) {
        await call<void>('close', {}, (cb) => this.fs.close(osFd, cb)).catch(() => undefined);
        throw err;
      }
    });
  }

  private unsupported(flag: keyof FsIoCapabilities, path: string): StorageError {
    return new StorageError('ERR_UNSUPPORTED', `open: ${flag} is not available on this Io`, {
      operation: 'open', path, flag, reason: this.unsupportedReasons[flag] ?? 'unavailable',
    });
  }

  /**
   * Opens an unnamed file in the directory `path` (O_TMPFILE), resolved beneath the root. With the
   * walk resolver, O_NOFOLLOW refuses (ELOOP) a final component swapped for a symlink after the
   * walk; the kernel resolver hands over the directory itself.
   */
  private async openTmpfile(path: string, f: ResolvedOpenFlags): Promise<number> {
    const c = this.c;
    // O_TMPFILE needs write access; read-only is refused by checkOpenFlags before we get here.
    let bits = (f.read ? c.O_RDWR : c.O_WRONLY) | this.tmpfileFlags;
    if (f.direct) bits |= this.directFlag;
    return this.withFull('open', path, true, (resolved) =>
      call<number>('open', { path }, (cb) => this.fs.open(resolved.path, bits | (resolved.magic ? 0 : c.O_NOFOLLOW), FILE_MODE, cb)));
  }

  /** For modules that do not check: the errors Linux's open gives. Returns whether it is a directory. */
  private async checkOpenLinux(path: string, resolved: ResolvedPath, f: ResolvedOpenFlags): Promise<boolean> {
    let st = resolved.magic
      ? await call<FsStatsLike>('open', { path }, (cb) => this.fs.stat(resolved.path, cb))
      : await this.lstatOrUndefined('open', path, resolved.path);
    if (st?.isSymbolicLink() === true) {
      if (f.create && f.exclusive) throw osError('EEXIST', 'open', { path });
      st = await this.withFull('open', path, false, (full) =>
        call<FsStatsLike>('open', { path }, (cb) => this.fs.stat(full.path, cb))).catch((err: unknown) => {
        if (isCode(err, 'ENOENT') && f.create) return undefined;
        throw err;
      });
    }
    if (st === undefined) {
      if (!f.create) throw osError('ENOENT', 'open', { path });
      return false;
    }
    if (f.create && f.exclusive) throw osError('EEXIST', 'open', { path });
    if (st.isDirectory()) {
      if (f.write || f.create) throw osError('EISDIR', 'open', { path });
      return true;
    }
    if (f.directory) throw osError('ENOTDIR', 'open', { path });
    return false;
  }

  private openFlagBits(f: ResolvedOpenFlags): number {
    const c = this.c;
    let bits = f.read && f.write ? c.O_RDWR : f.write ? c.O_WRONLY : c.O_RDONLY;
    if (f.create) bits |= c.O_CREAT;
    if (f.exclusive) bits |= c.O_EXCL;
    if (f.truncate) bits |= c.O_TRUNC;
    if (f.directory) bits |= c.O_DIRECTORY;
    if (f.direct) bits |= this.directFlag;
    return bits;
  }

  /**
   * Opens the entry without following a final symlink; when it is one, follows it beneath the
   * root: the kernel resolver opens the whole path with openat2 (which also creates through a
   * dangling link inside the root, as Linux does), the walk resolver walks it and opens the
   * result.
   */
  private async openFollowingInside(path: string, resolved: ResolvedPath, f: ResolvedOpenFlags): Promise<number> {
    const bits = this.openFlagBits(f);
    const nofollow = this.c.O_NOFOLLOW;
    const openAt = (target: string, extra: number): Promise<number> =>
      call<number>('open', { path }, (cb) => this.fs.open(target, bits | extra, FILE_MODE, cb));
    if (resolved.magic) return openAt(resolved.path, 0);
    if (nofollow === 0) {
      // Without O_NOFOLLOW, look first (a wider TOCTOU window, documented in the header).
      const st = await this.lstatOrUndefined('open', path, resolved.path);
      if (st?.isSymbolicLink() !== true) return openAt(resolved.path, 0);
    } else {
      try {
        return await openAt(resolved.path, nofollow);
      } catch (err) {
        // A final symlink under O_NOFOLLOW is ELOOP on Linux and macOS (EMLINK, mapped to ENOSPC,
        // on FreeBSD), and ENOTDIR when O_DIRECTORY is also given.
        if (!isCode(err, 'ELOOP') && !isCode(err, 'ENOSPC') && !isCode(err, 'ENOTDIR')) throw err;
        const st = await this.lstatOrUndefined('open', path, resolved.path).catch(() => undefined);
        if (st?.isSymbolicLink() !== true) throw err;
      }
    }
    if (this.kernel !== undefined) return this.kernel.openFull('open', path, bits, FILE_MODE);
    if (f.create && f.exclusive) throw osError('EEXIST', 'open', { path });
    const target = await this.walker.walk('open', path, f.directory, f.create);
    return openAt(target.absolute, nofollow);
  }

  /** See {@link Io.read}. */
  read(fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number> {
    return this.run('read', () => {
      checkFd('read', fd);
      const view = checkBuffer('read', buffer);
      checkOffset('read', offsetBytes);
      const entry = this.readableEntry('read', fd);
      const lengthBytes = view.byteLength;
      if (lengthBytes === 0) return this.pinned(entry, this.emptyRead(fd, entry));
      return this.readBounced('read', fd, entry, [view], [lengthBytes], lengthBytes, offsetBytes);
    });
  }

  /** See {@link Io.readv}. One pread into a bounce buffer, scattered at completion (same bytes as preadv). */
  readv(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): Promise<number> {
    return this.run('read', () => {
      checkFd('readv', fd);
      const snapshot = snapshotBuffers('readv', buffers);
      this.checkOpen('readv');
      checkOffset('readv', offsetBytes);
      // preadv of 0 bytes is 0 on any fd open for reading, a directory's included.
      if (snapshot.totalBytes === 0) return this.withFd('readv', fd, (entry) => {
        if (!entry.readable) throw osError('EBADF', 'readv', { fd, path: entry.path });
        return Promise.resolve(0);
      });
      const entry = this.readableEntry('readv', fd);
      return this.readBounced('readv', fd, entry, snapshot.views, snapshot.lengthsBytes, snapshot.totalBytes, offsetBytes);
    });
  }

  /** See {@link Io.write}. The bytes are copied into a private bounce buffer at the call. */
  write(fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number> {
    return this.run('write', () => {
      checkFd('write', fd);
      const view = checkBuffer('write', buffer);
      checkOffset('write', offsetBytes);
      checkRangeEnd('write', offsetBytes, view.byteLength);
      const entry = this.writableEntry('write', fd, 'EBADF');
      return this.writeLimited('write', fd, entry, [view], view.byteLength, offsetBytes);
    });
  }

  /** See {@link Io.writev}. The buffers are gathered into one bounce buffer at the call (one pwrite). */
  writev(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): Promise<number> {
    return this.run('write', () => {
      checkFd('writev', fd);
      const snapshot = snapshotBuffers('writev', buffers);
      this.checkOpen('writev');
      checkOffset('writev', offsetBytes);
      checkRangeEnd('writev', offsetBytes, snapshot.totalBytes);
      const entry = this.writableEntry('writev', fd, 'EBADF');
      return this.writeLimited('writev', fd, entry, snapshot.views, snapshot.totalBytes, offsetBytes);
    });
  }

  /**
   * A write cut to the file size limit as Linux's generic_write_checks does (`EFBIG` at or past
   * it, short across it), then bounced. `views` are the validated snapshots.
   */
  private writeLimited(operation: string, fd: number, entry: FdEntry, views: readonly Uint8Array[], totalBytes: number, offsetBytes: number): Promise<number> {
    let lengthBytes: number;
    try {
      lengthBytes = writableBytes(operation, offsetBytes, totalBytes, { fd, path: entry.path }, this.fileSizeMaxBytes);
    } catch (err) {
      this.release(entry);
      throw err;
    }
    const list = lengthBytes === totalBytes ? views : truncateBuffers(views, lengthBytes);
    return this.writeBounced(operation, fd, entry, list, lengthBytes, offsetBytes);
  }

  /**
   * A 0-byte read: node returns 0 without asking the kernel, whose pread says `EISDIR` on a
   * directory (opened without `directory`, so the table does not know). One fstat, empty reads only.
   */
  private async emptyRead(fd: number, entry: FdEntry): Promise<number> {
    const st = await call<FsStatsLike>('read', { fd, path: entry.path }, (cb) => this.fs.fstat(entry.osFd, cb));
    if (st.isDirectory()) throw osError('EISDIR', 'read', { fd, path: entry.path });
    return 0;
  }

  /**
   * O_DIRECT demands aligned memory. The transfer runs on an aligned bounce buffer, so the
   * caller's own addresses (and, for vectors, each segment's length, which the kernel checks per
   * iovec) are checked here to keep the kernel's `EINVAL`.
   */
  private checkDirectViews(operation: string, entry: FdEntry, views: readonly Uint8Array[]): void {
    const misalignment = this.misalignmentOf;
    for (const view of views) {
      const bad = misalignment === undefined
        || misalignment(view) % DIRECT_ALIGNMENT_BYTES !== 0
        || (views.length > 1 && view.byteLength % DIRECT_ALIGNMENT_BYTES !== 0);
      if (bad) throw osError('EINVAL', operation, { path: entry.path, reason: 'misaligned direct I/O' });
    }
  }

  /** The bounce pool for `entry`: aligned memory for O_DIRECT descriptors. */
  private poolFor(entry: FdEntry): BouncePool {
    return entry.direct && this.alignedPool !== undefined ? this.alignedPool : this.pool;
  }

  /**
   * A read through a private bounce buffer: the fs module (libuv's thread pool for node:fs) only
   * ever sees memory this backend owns and never exposes, so nothing a caller does to its own
   * buffer can leave the pool thread writing into freed memory. At completion the caller's views
   * are checked (attached, covering their range) and the bytes copied out; otherwise
   * `ERR_DETACHED_BUFFER` and nothing is delivered.
   */
  private readBounced(
    operation: string, fd: number, entry: FdEntry, views: readonly Uint8Array[], lengthsBytes: readonly number[],
    totalBytes: number, offsetBytes: number,
  ): Promise<number> {
    const { pool, bounce } = this.bounceFor(operation, entry, views, totalBytes);
    return this.callPinned(operation, fd, entry, false, (cb) => this.fs.read(entry.osFd, bounce, 0, totalBytes, offsetBytes, cb))
      .then((count) => {
        checkSnapshotsUsable(operation, views, lengthsBytes);
        let at = 0;
        for (const view of views) {
          if (at >= count) break;
          const n = Math.min(view.byteLength, count - at);
          copyInto(view, bounce.subarray(at, at + n));
          at += n;
        }
        // Back to the pool only after a completion: the module is done with it. After an error
        // it is left to the GC, in case a module both threw and still holds it.
        if (bounce !== EMPTY_BOUNCE) pool.release(bounce);
        return count;
      });
  }

  /**
   * The private bounce memory of one transfer: aligned for an O_DIRECT descriptor, whose caller
   * views are checked first as the kernel would (the fd is released when they fail).
   */
  private bounceFor(operation: string, entry: FdEntry, views: readonly Uint8Array[], totalBytes: number): { pool: BouncePool; bounce: Uint8Array } {
    if (entry.direct) {
      try {
        this.checkDirectViews(operation, entry, views);
      } catch (err) {
        this.release(entry);
        throw err;
      }
    }
    const pool = this.poolFor(entry);
    return { pool, bounce: totalBytes === 0 ? EMPTY_BOUNCE : pool.acquire(totalBytes) };
  }

  /** A write through a private bounce buffer filled at the call (see {@link readBounced}). */
  private writeBounced(operation: string, fd: number, entry: FdEntry, views: readonly Uint8Array[], totalBytes: number, offsetBytes: number): Promise<number> {
    const { pool, bounce } = this.bounceFor(operation, entry, views, totalBytes);
    let at = 0;
    for (const view of views) {
      copyInto(bounce, view, at);
      at += view.byteLength;
    }
    const invoke = (cb: Callback<number>): void => this.fs.write(entry.osFd, bounce, 0, totalBytes, offsetBytes, cb);
    let started: Promise<number>;
    if (this.gate.open) {
      this.gate.enterSharedNow();
      started = this.callPinned(operation, fd, entry, true, invoke);
    } else {
      started = this.gate.enterShared().then(() => this.callPinned(operation, fd, entry, true, invoke));
    }
    return started.then((count) => {
      if (bounce !== EMPTY_BOUNCE) pool.release(bounce);
      return count;
    });
  }

  private readableEntry(operation: string, fd: number): FdEntry {
    const entry = this.acquire(operation, fd);
    if (entry.isDirectory) {
      this.release(entry);
      throw osError('EISDIR', operation, { fd, path: entry.path });
    }
    if (!entry.readable) {
      this.release(entry);
      throw osError('EBADF', operation, { fd, path: entry.path });
    }
    return entry;
  }

  private writableEntry(operation: string, fd: number, code: ErrorCode): FdEntry {
    const entry = this.acquire(operation, fd);
    if (!entry.writable || entry.isDirectory) {
      this.release(entry);
      throw osError(code, operation, { fd, path: entry.path });
    }
    return entry;
  }

  /**
   * The read/write hot path: one promise, and the entry (plus the size gate when `shared`) is
   * released inside the callback. Settles once even if the module both throws and calls back.
   */
  private callPinned(operation: string, fd: number, entry: FdEntry, shared: boolean, invoke: (cb: Callback<number>) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let settled = false;
      const done: Callback<number> = (err, value) => {
        if (settled) return;
        settled = true;
        if (shared) this.gate.leaveShared();
        this.release(entry);
        if (err) reject(mapFsError(err, operation, { fd, path: entry.path }));
        else resolve(value as number);
      };
      try {
        invoke(done);
      } catch (err) {
        done(err ?? new Error(`${operation}: the fs module threw`));
      }
    });
  }

  /** Releases `entry` once `promise` settles. */
  private pinned<T>(entry: FdEntry, promise: Promise<T>): Promise<T> {
    return promise.finally(() => this.release(entry));
  }

  /** Runs a size-changing `body` holding the allocate gate shared, then releases `entry`. */
  private gated<T>(entry: FdEntry, body: () => Promise<T>): Promise<T> {
    let started: Promise<T>;
    if (this.gate.open) {
      this.gate.enterSharedNow();
      started = body();
    } else {
      started = this.gate.enterShared().then(body);
    }
    return started.finally(() => {
      this.gate.leaveShared();
      this.release(entry);
    });
  }

  /** See {@link Io.writeDurable}: exactly {@link write}, then (after a whole write) {@link fsync}. */
  writeDurable(fd: number, buffer: Uint8Array, offsetBytes: number, options?: FsyncOptions): Promise<number> {
    return writeThenSync(this, fd, buffer, offsetBytes, options, () => this.state !== 'open');
  }

  /** See {@link Io.fsync}. Works on directory fds (makes their entries durable). */
  fsync(fd: number, options?: FsyncOptions): Promise<void> {
    return this.run('fsync', () => {
      checkFd('fsync', fd);
      const dataOnly = checkFsyncOptions('fsync', options);
      this.checkOpen('fsync');
      return this.withFd('fsync', fd, (entry) => call<void>('fsync', { fd, path: entry.path }, (cb) =>
        dataOnly ? this.fs.fdatasync(entry.osFd, cb) : this.fs.fsync(entry.osFd, cb)));
    });
  }

  /** See {@link Io.truncate}. `EINVAL` on an fd not open for writing (as Linux's ftruncate). */
  truncate(fd: number, lengthBytes: number): Promise<void> {
    return this.run('truncate', () => {
      checkFd('truncate', fd);
      checkLength('truncate', lengthBytes);
      const entry = this.writableEntry('truncate', fd, 'EINVAL');
      try {
        checkFileSize('truncate', lengthBytes, { fd, path: entry.path }, this.fileSizeMaxBytes);
      } catch (err) {
        this.release(entry);
        throw err;
      }
      return this.gated(entry, () => call<void>('truncate', { fd, path: entry.path }, (cb) =>
        this.fs.ftruncate(entry.osFd, lengthBytes, cb)));
    });
  }

  /**
   * See {@link Io.allocate}. Emulated: grows the file with ftruncate when it is shorter than the
   * range end. The space is not reserved on this backend (node:fs has no fallocate).
   * `lengthBytes` 0 is `ERR_INVALID_ARGUMENT`; a read-only fd is `EBADF` (as Linux's fallocate).
   */
  allocate(fd: number, offsetBytes: number, lengthBytes: number): Promise<void> {
    return this.run('allocate', () => {
      checkFd('allocate', fd);
      checkAllocateRange('allocate', offsetBytes, lengthBytes);
      const entry = this.writableEntry('allocate', fd, 'EBADF');
      const endBytes = offsetBytes + lengthBytes;
      try {
        checkFileSize('allocate', endBytes, { fd, path: entry.path }, this.fileSizeMaxBytes);
      } catch (err) {
        this.release(entry);
        throw err;
      }
      return this.pinned(entry, this.gate.exclusive(async () => {
        const st = await call<FsStatsLike>('allocate', { fd, path: entry.path }, (cb) => this.fs.fstat(entry.osFd, cb));
        if (Number(st.size) < endBytes) {
          await call<void>('allocate', { fd, path: entry.path }, (cb) => this.fs.ftruncate(entry.osFd, endBytes, cb));
        }
      }));
    });
  }

  /** See {@link Io.stat}. A path's final symlink is followed only when it stays inside the root. */
  stat(pathOrFd: string | number): Promise<Stat> {
    return this.run('stat', async () => {
      let st: FsStatsLike;
      if (typeof pathOrFd === 'number') {
        checkFd('stat', pathOrFd);
        st = await this.withFd('stat', pathOrFd, (entry) =>
          call<FsStatsLike>('stat', { fd: pathOrFd }, (cb) => this.fs.fstat(entry.osFd, cb)));
      } else {
        const parsed = parsePath('stat', pathOrFd);
        const normalized = parsed.path;
        await this.checkNameLength('stat', parsed);
        await this.checkTrailing('stat', parsed);
        st = await this.withEntry('stat', normalized, (resolved) =>
          call<FsStatsLike>('stat', { path: normalized }, (cb) => resolved.magic ? this.fs.stat(resolved.path, cb) : this.fs.lstat(resolved.path, cb)));
        if (st.isSymbolicLink()) {
          st = await this.withFull('stat', normalized, false, (resolved) =>
            call<FsStatsLike>('stat', { path: normalized }, (cb) => this.fs.stat(resolved.path, cb)));
        }
      }
      return { sizeBytes: Number(st.size), isFile: st.isFile(), isDirectory: st.isDirectory() };
    });
  }

  /** See {@link Io.rename}. Renaming the root, or a directory into itself, is refused. */
  rename(from: string, to: string): Promise<void> {
    return this.run('rename', async () => {
      const srcParsed = parsePath('rename', from);
      const dstParsed = parsePath('rename', to);
      const src = srcParsed.path;
      const dst = dstParsed.path;
      const details = { path: src, destination: dst };
      // Linux walks both parents, then looks up the source's last name, then the destination's.
      if (this.emulate || srcParsed.lastIsDot || dstParsed.lastIsDot) {
        // Both parents in order (entering a directory named with a last `.`), then EBUSY for one.
        for (const p of [srcParsed, dstParsed]) {
          await this.checkNameLength('rename', p, p.lastIsDot);
          if (p.lastIsDot) await this.walkDirectory('rename', p.path);
          else await this.walkParent('rename', p.path);
        }
        if (srcParsed.lastIsDot || dstParsed.lastIsDot) throw osError(renameTrailingError(srcParsed, dstParsed) ?? 'EBUSY', 'rename', details);
      }
      await this.withEntry('rename', src, (srcResolved) => this.withEntry('rename', dst, async (dstResolved) => {
        await this.checkRenameNames(srcParsed, dstParsed, srcResolved.path, details);
        await this.renameResolved(src, dst, srcResolved.path, dstResolved.path, details);
      }));
    });
  }

  /**
   * The last names in Linux's order, once both parents are walked: an over-long source name,
   * a missing source, an over-long destination name, then a trailing slash on a source that is
   * not a directory (`ENOTDIR`). On node:fs the kernel reports the lengths itself.
   */
  private async checkRenameNames(srcParsed: ParsedPath, dstParsed: ParsedPath, srcAbs: string, details: Record<string, unknown>): Promise<void> {
    if (this.emulate && lastNameTooLong(srcParsed)) throw nameTooLongError('rename', srcParsed);
    if (this.emulate && lastNameTooLong(dstParsed)) {
      if (await this.lstatOrUndefined('rename', srcParsed.path, srcAbs) === undefined) throw osError('ENOENT', 'rename', details);
      throw nameTooLongError('rename', dstParsed);
    }
    if (srcParsed.trailingSlash || dstParsed.trailingSlash) {
      const s = await this.lstatOrUndefined('rename', srcParsed.path, srcAbs);
      if (s === undefined) throw osError('ENOENT', 'rename', details);
      // The destination's name is looked up (ENAMETOOLONG) before the slash is judged.
      if (lastNameTooLong(dstParsed)) throw nameTooLongError('rename', dstParsed);
      const code = renameTrailingError(srcParsed, dstParsed, s.isDirectory() ? 'directory' : 'file');
      if (code !== undefined) throw osError(code, 'rename', details);
    }
  }

  private async renameResolved(src: string, dst: string, srcAbs: string, dstAbs: string, details: Record<string, unknown>): Promise<void> {
    // Custom modules may follow a symbolic link named as rename's source (memfs 4.x moves the
    // link's target, which can lie outside the root): rename the link itself by hand.
    const s = this.emulate || this.custom ? await this.lstatOrUndefined('rename', src, srcAbs) : undefined;
    if (this.emulate) {
      if (s === undefined) throw osError('ENOENT', 'rename', details);
      if (src === dst) return;
      // Linux's ancestor traps (do_renameat2): into itself is EINVAL, onto an ancestor ENOTEMPTY.
      if (dst.startsWith(`${src}/`)) throw osError('EINVAL', 'rename', details);
      if (src.startsWith(`${dst}/`)) throw osError('ENOTEMPTY', 'rename', details);
      const d = await this.lstatOrUndefined('rename', dst, dstAbs);
      if (d !== undefined) {
        if (!s.isDirectory() && d.isDirectory()) throw osError('EISDIR', 'rename', details);
        if (s.isDirectory() && !d.isDirectory()) throw osError('ENOTDIR', 'rename', details);
        if (d.isDirectory() && await this.isNonEmptyDirectory('rename', dst, dstAbs)) throw osError('ENOTEMPTY', 'rename', details);
      }
      if (this.custom && s.isSymbolicLink()) return this.renameLink(srcAbs, dstAbs, d !== undefined, details);
      if (this.custom && d !== undefined) return this.replaceByRemoving(srcAbs, dstAbs, d.isDirectory(), details);
    } else if (s?.isSymbolicLink() === true) {
      if (src === dst) return;
      const d = await this.lstatOrUndefined('rename', dst, dstAbs);
      if (d?.isDirectory() === true) throw osError('EISDIR', 'rename', details);
      return this.renameLink(srcAbs, dstAbs, d !== undefined, details);
    }
    await call<void>('rename', details, (cb) => this.fs.rename(srcAbs, dstAbs, cb));
  }

  /**
   * Renames the symbolic link at `srcAbs` itself on a custom module: read it, (remove the
   * target,) recreate it at `dstAbs`, remove the source, all with the module's sync calls in one
   * turn so nothing else on the event loop sees a step in between. A module without those calls
   * gets `ERR_UNSUPPORTED` rather than a rename that might move something from outside the root.
   */
  private renameLink(srcAbs: string, dstAbs: string, replace: boolean, details: Record<string, unknown>): void {
    const { readlinkSync, symlinkSync, unlinkSync } = this.fs;
    if (readlinkSync === undefined || symlinkSync === undefined || unlinkSync === undefined) {
      throw new StorageError('ERR_UNSUPPORTED', 'rename: this fs module cannot rename a symbolic link safely', {
        operation: 'rename', ...details, reason: 'the module lacks readlinkSync, symlinkSync or unlinkSync',
      });
    }
    try {
      const target = nameString(readlinkSync.call(this.fs, srcAbs));
      if (replace) unlinkSync.call(this.fs, dstAbs);
      symlinkSync.call(this.fs, target, dstAbs);
      unlinkSync.call(this.fs, srcAbs);
    } catch (err) {
      throw mapFsError(err, 'rename', details);
    }
  }

  /**
   * Rename over an existing target on a custom module: remove the target, then rename. memfs
   * (4.x) keeps a stale entry count when its rename replaces a name, so the parent directory can
   * never be removed afterwards (ENOTEMPTY). With the module's sync calls both steps run in one
   * turn, which keeps the replacement atomic for everything else on the event loop; without
   * them, another operation could observe the target missing in between.
   */
  private async replaceByRemoving(srcAbs: string, dstAbs: string, targetIsDirectory: boolean, details: Record<string, unknown>): Promise<void> {
    const { unlinkSync, rmdirSync, renameSync } = this.fs;
    if (unlinkSync !== undefined && rmdirSync !== undefined && renameSync !== undefined) {
      try {
        if (targetIsDirectory) rmdirSync.call(this.fs, dstAbs);
        else unlinkSync.call(this.fs, dstAbs);
        renameSync.call(this.fs, srcAbs, dstAbs);
      } catch (err) {
        throw mapFsError(err, 'rename', details);
      }
      return;
    }
    await call<void>('rename', details, (cb) => targetIsDirectory ? this.fs.rmdir(dstAbs, cb) : this.fs.unlink(dstAbs, cb));
    await call<void>('rename', details, (cb) => this.fs.rename(srcAbs, dstAbs, cb));
  }

  /** See {@link Io.unlink}. */
  unlink(path: string): Promise<void> {
    return this.run('unlink', async () => {
      const parsed = parsePath('unlink', path);
      const normalized = parsed.path;
      await this.checkNameLength('unlink', parsed);
      await this.checkTrailing('unlink', parsed);
      await this.withEntry('unlink', normalized, async ({ path: absolute }) => {
        if (this.emulate) {
          const st = await this.lstatOrUndefined('unlink', normalized, absolute);
          if (st === undefined) throw osError('ENOENT', 'unlink', { path: normalized });
          if (st.isDirectory()) throw osError('EISDIR', 'unlink', { path: normalized });
        }
        await call<void>('unlink', { path: normalized }, (cb) => this.fs.unlink(absolute, cb));
      });
    });
  }

  /** See {@link Io.mkdir}. */
  mkdir(path: string): Promise<void> {
    return this.run('mkdir', async () => {
      const parsed = parsePath('mkdir', path);
      const normalized = parsed.path;
      await this.checkNameLength('mkdir', parsed);
      await this.checkTrailing('mkdir', parsed);
      await this.withEntry('mkdir', normalized, async ({ path: absolute }) => {
        if (this.emulate) {
          const st = await this.lstatOrUndefined('mkdir', normalized, absolute);
          if (st !== undefined) throw osError('EEXIST', 'mkdir', { path: normalized });
        }
        await call<void>('mkdir', { path: normalized }, (cb) => this.fs.mkdir(absolute, DIRECTORY_MODE, cb));
      });
    });
  }

  /** See {@link Io.rmdir}. */
  rmdir(path: string): Promise<void> {
    return this.run('rmdir', async () => {
      const parsed = parsePath('rmdir', path);
      const normalized = parsed.path;
      await this.checkNameLength('rmdir', parsed);
      await this.checkTrailing('rmdir', parsed);
      await this.withEntry('rmdir', normalized, async ({ path: absolute }) => {
        if (this.emulate) {
          const st = await this.lstatOrUndefined('rmdir', normalized, absolute);
          if (st === undefined) throw osError('ENOENT', 'rmdir', { path: normalized });
          if (!st.isDirectory()) throw osError('ENOTDIR', 'rmdir', { path: normalized });
          if (await this.isNonEmptyDirectory('rmdir', normalized, absolute)) throw osError('ENOTEMPTY', 'rmdir', { path: normalized });
        }
        await call<void>('rmdir', { path: normalized }, (cb) => this.fs.rmdir(absolute, cb));
      });
    });
  }

  /** See {@link Io.readdir}. */
  readdir(path: string): Promise<string[]> {
    return this.run('readdir', async () => {
      const parsed = parsePath('readdir', path);
      const normalized = parsed.path;
      await this.checkNameLength('readdir', parsed);
      await this.checkTrailing('readdir', parsed);
      const names = await this.withFull('readdir', normalized, true, async ({ path: real }) => {
        if (this.emulate) {
          const st = await call<FsStatsLike>('readdir', { path: normalized }, (cb) => this.fs.stat(real, cb));
          if (!st.isDirectory()) throw osError('ENOTDIR', 'readdir', { path: normalized });
        }
        return call<readonly unknown[]>('readdir', { path: normalized }, (cb) => this.fs.readdir(real, cb));
      });
      return names.map(nameString).sort();
    });
  }

  /**
   * See {@link Io.close}. The number is free at once (new operations on it fail with `EBADF`);
   * the underlying descriptor is closed once operations already using it have settled.
   */
  close(fd: number): Promise<void> {
    return this.run('close', async () => {
      checkFd('close', fd);
      const entry = this.fds.remove(fd);
      if (entry === undefined) throw osError('EBADF', 'close', { fd });
      await this.closeEntry(entry);
    });
  }

  private async closeEntry(entry: FdEntry): Promise<void> {
    if (entry.pendingCount > 0) await new Promise<void>((resolve) => { entry.onDrained = resolve; });
    await call<void>('close', { path: entry.path }, (cb) => this.fs.close(entry.osFd, cb));
  }

  /**
   * See {@link Io.allocAligned}. With `features.direct`, zeroed memory from the native addon
   * aligned to 4096 bytes (freed when garbage-collected); otherwise an ordinary zeroed buffer.
   * Throws `ERR_INVALID_ARGUMENT` for a length that is not a non-negative integer and
   * `ERR_LIMIT_EXCEEDED` past `IO_BYTES_MAX`.
   */
  allocAligned(lengthBytes: number): Uint8Array {
    checkLength('allocAligned', lengthBytes, IO_BYTES_MAX);
    return this.alignedAllocator !== undefined ? markAlignedMemory(this.alignedAllocator(lengthBytes)) : new Uint8Array(lengthBytes);
  }

  /**
   * See {@link Io.shutdown}. New calls reject with `ERR_CLOSED` at once; operations in flight
   * complete normally; then every descriptor is closed. Errors from those closes are ignored: the
   * Io is gone either way and nothing more can be done with them.
   */
  shutdown(): Promise<void> {
    if (this.shutdownPromise !== undefined) return this.shutdownPromise;
    this.state = 'closing';
    this.shutdownPromise = (async () => {
      if (this.inFlightCount > 0) await new Promise<void>((resolve) => { this.onIdle = resolve; });
      const entries = this.fds.removeAll();
      await Promise.all(entries.map((entry) => this.closeEntry(entry).catch(() => undefined)));
      this.resolver.close();
      this.state = 'closed';
    })();
    return this.shutdownPromise;
  }
}


/**
 * Whether a capability is on: `want` false turns it off, true demands it (`ERR_UNSUPPORTED` with
 * the reason where it is unavailable), undefined takes it where available. Records why it is off.
 */
function decideCapability(
  name: keyof FsIoCapabilities, want: boolean | undefined, capability: FsCapability,
  reasons: Partial<Record<keyof FsIoCapabilities, string>>,
): boolean {
  if (want === false) {
    reasons[name] = `turned off by the FsIo option ${name}: false`;
    return false;
  }
  if (capability.supported) return true;
  const reason = capability.reason ?? 'unavailable';
  if (want === true) {
    throw new StorageError('ERR_UNSUPPORTED', `FsIo: ${name} was demanded but is not available here`, { argument: name, reason });
  }
  reasons[name] = reason;
  return false;
}


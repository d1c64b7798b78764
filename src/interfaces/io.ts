import type { Clock } from './clock.js';

/**
 * Flags of {@link Io.open}. Combinations are checked identically by every backend
 * (`checkOpenFlags`): `truncate` needs `write`, `exclusive` needs `create`, `directory` excludes
 * `write`, `create`, `truncate`, `direct` and `tmpfile`; `tmpfile` needs `write` and excludes
 * `create`/`exclusive`/`truncate`. A bad combination is `ERR_INVALID_ARGUMENT`.
 */
export interface OpenFlags {
  /** Open for reading. When neither `read` nor `write` is given, the file is opened read-only. */
  readonly read?: boolean;
  /** Open for writing. */
  readonly write?: boolean;
  /** Create the file when missing (mode 0o644). */
  readonly create?: boolean;
  /** With `create`: fail with `EEXIST` when the path exists (O_EXCL). */
  readonly exclusive?: boolean;
  /** With `write`: set the length to 0 on open (O_TRUNC). */
  readonly truncate?: boolean;
  /** The path must be a directory (O_DIRECTORY): `ENOTDIR` otherwise. Used to fsync directories. */
  readonly directory?: boolean;
  /**
   * O_DIRECT: bypass the page cache. Offsets, lengths and buffers must be aligned to
   * {@link IoFeatures.directAlignmentBytes}; use {@link Io.allocAligned} for buffers. A misaligned
   * transfer fails with `EINVAL`, exactly as Linux does. `ERR_UNSUPPORTED` where
   * {@link IoFeatures.direct} is false.
   */
  readonly direct?: boolean;
  /**
   * O_TMPFILE: `path` names a directory; the file is created there without a name, so nothing is
   * left behind after a crash. `ERR_UNSUPPORTED` where {@link IoFeatures.tmpfile} is false.
   */
  readonly tmpfile?: boolean;
}

/** What {@link Io.stat} reports. */
export interface Stat {
  /** Length of the file in bytes (for a directory: backend-specific, do not rely on it). */
  readonly sizeBytes: number;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}

/** Options of {@link Io.fsync}. */
export interface FsyncOptions {
  /** fdatasync: flush data and the metadata needed to read it (size), not timestamps. */
  readonly dataOnly?: boolean;
}

/** The operation kinds an Io counts and a fault can target. */
export const IO_OPERATIONS = [
  'open', 'close', 'read', 'write', 'fsync', 'truncate', 'allocate', 'stat',
  'rename', 'unlink', 'mkdir', 'rmdir', 'readdir',
  // NamespaceIo extensions (backends without them never count these).
  'link', 'symlink', 'readlink', 'setattr',
] as const;
export type IoOperation = (typeof IO_OPERATIONS)[number];

/** Counters kept by every backend. A snapshot: later operations do not change a returned object. */
export interface IoMetrics {
  /** Operations started, by kind (`readv` counts as `read`, `writev` as `write`). */
  readonly operations: Readonly<Record<IoOperation, number>>;
  /** Operations that settled with an error, by kind. */
  readonly errors: Readonly<Record<IoOperation, number>>;
  /** Bytes transferred by successful reads (what they returned, not what was asked). */
  readonly bytesRead: number;
  /** Bytes transferred by successful writes. */
  readonly bytesWritten: number;
  /** Operations started and not yet settled. */
  readonly inFlight: number;
  /** Highest value `inFlight` has reached. */
  readonly inFlightMax: number;
}

/** What a backend offers beyond the common core. */
export interface IoFeatures {
  /** Short name of the backend: `'fs'`, `'memfs'`, `'iouring'`, `'sim'`... */
  readonly backend: string;
  /** `open(..., { direct: true })` works. */
  readonly direct: boolean;
  /** `open(dir, { tmpfile: true })` works. */
  readonly tmpfile: boolean;
  /** Alignment demanded by `direct` I/O (offsets, lengths, buffer addresses). */
  readonly directAlignmentBytes: number;
}

/**
 * POSIX-like file operations inside one root directory. Every path is relative to the root and
 * checked by the shared validation: absolute paths and `..` components are refused with
 * `ERR_PATH_ESCAPE`. `'.'` names the root itself.
 *
 * Symbolic links follow one rule on every backend, the kernel's `RESOLVE_BENEATH`: a link is
 * followed while its target, resolved relative to the link's directory, stays inside the root
 * (`..` included); an absolute target is `ERR_PATH_ESCAPE` even when it names a place inside the
 * root, and so is any `..` that would climb above the root. Operations that act on an entry
 * itself (rename, unlink, rmdir, mkdir, and open's `exclusive` create) never follow its last
 * component: renaming a link moves the link, whatever it points to.
 *
 * Buffers (every backend, checked by the shared validation): a buffer is a real `Uint8Array`
 * (a `Buffer`, a subclass, a view of an `ArrayBuffer`, `SharedArrayBuffer`, resizable or growable
 * buffer, or WebAssembly memory); its range is read through the engine's own `byteLength`,
 * `byteOffset` and `buffer` getters, so a subclass or an own property overriding them changes
 * nothing. A `Proxy`, `Object.create(Uint8Array.prototype)`, other typed arrays, `DataView`s and
 * look-alike objects are `ERR_INVALID_ARGUMENT`. A buffer list is an array whose `length` is read
 * once and bounded (`IOV_COUNT_MAX`) before any element is read; each element is read exactly
 * once, by index (no iterator, `map`, `slice` or species); a getter or trap that throws is
 * `ERR_INVALID_ARGUMENT`. A buffer already detached, or out of bounds of its shrunk resizable
 * buffer, at the call (including one detached by a later element's getter) is
 * `ERR_DETACHED_BUFFER`.
 *
 * - A write or writev takes its bytes at the call. Detaching, transferring or shrinking a buffer
 *   after the call changes neither the outcome nor the bytes written: the call resolves as it
 *   would have, and those bytes reach the file. Writing into the same memory while the call is in
 *   flight leaves each written byte either old or new (which one is unspecified).
 * - A read or readv delivers at completion. If any of its buffers is by then detached or no longer
 *   covers its range (a resizable `ArrayBuffer` shrunk below it, WebAssembly memory grown), it
 *   rejects with `ERR_DETACHED_BUFFER`; the contents of its still-usable buffers are then
 *   unspecified, and nothing else changes. Completion may come before the call returns (UringIo
 *   answers a lone read from the page cache at once; `metrics.inFlight` then no longer counts it):
 *   such a read has its bytes already, and what happens to its buffers afterwards changes nothing.
 *   Bytes the caller writes into a buffer while its read is in flight may be kept or overwritten.
 *   No backend ever lets the kernel or a thread pool write into memory that JavaScript may have
 *   freed.
 *
 * Paths are read as Linux reads them (`parsePath`): `\`, `:` and drive-letter-like names are
 * ordinary characters; names are the UTF-8 bytes Node would send (a lone surrogate becomes
 * U+FFFD); a trailing `/` demands a directory (`open("x/", { write, create })` is `EISDIR`,
 * `stat("file/")` `ENOTDIR`); a last component `.` names the directory itself, which cannot be
 * created, removed or renamed (`rmdir("d/.")` `EINVAL`, `rename(x, "d/.")` `EBUSY`, `unlink("f/.")`
 * `ENOTDIR`); a path past PATH_MAX is `ENAMETOOLONG` at once, while a component past NAME_MAX is
 * `ENAMETOOLONG` only when the walk reaches it (a missing directory before it is `ENOENT`).
 *
 * Semantics are those of Linux on a local file system; the conformance suite pins them down. Every
 * method returns a promise; argument errors reject (they are never thrown synchronously) and leave
 * nothing changed. After {@link Io.shutdown} every call rejects with `ERR_CLOSED`; on a crashed
 * simulated node with `ERR_CRASHED`.
 *
 * Unspecified: the order in which concurrent operations on the same bytes take effect, and the
 * numeric values of file descriptors (they are small non-negative integers, unique among open
 * ones, and may be reused after close).
 */
export interface Io {
  /** Time for code running on this Io. Real time on real backends, simulated time in a simulation. */
  readonly clock: Clock;
  /** A snapshot of the counters. */
  readonly metrics: IoMetrics;
  /** What this backend offers. */
  readonly features: IoFeatures;

  /**
   * Opens `path` and resolves with a file descriptor once the file is open (and created, when
   * `create` made it; the creation is not durable until the parent directory is fsynced).
   * Errors: `ENOENT` (missing, no `create`; or a missing parent), `EEXIST` (`create` + `exclusive`
   * on an existing path), `EISDIR` (a directory opened for writing), `ENOTDIR` (`directory` on a
   * file, or a file used as a parent), `ERR_PATH_ESCAPE`, `ERR_INVALID_ARGUMENT` (bad flags).
   */
  open(path: string, flags?: OpenFlags): Promise<number>;

  /**
   * Reads into `buffer` from `offsetBytes` and resolves with the number of bytes read: fewer than
   * asked at end of file (a short read), 0 at or past it. The contents of `buffer` past the count
   * are unspecified. The bytes are delivered at completion, which may come before the call
   * returns: a buffer detached or shrunk below its range while the read is in flight makes it
   * reject with `ERR_DETACHED_BUFFER` (see {@link Io}).
   * Errors: `EBADF` (unknown fd, or not open for reading), `EISDIR`, `EIO`, `EINVAL` (misaligned
   * direct I/O), `ERR_INVALID_ARGUMENT`, `ERR_DETACHED_BUFFER`, `ERR_LIMIT_EXCEEDED`.
   */
  read(fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number>;

  /**
   * Writes `buffer` at `offsetBytes` and resolves with the number of bytes written, which may be
   * fewer than asked (a short write; callers loop). Writing past the end extends the file; the gap
   * reads as zeros. Resolving means the data is visible to reads, not that it is durable. The
   * bytes are taken at the call: what the caller does to `buffer` afterwards (detach, transfer,
   * shrink, overwrite) does not change what is written, except that bytes overwritten while the
   * write is in flight may land old or new (see {@link Io}). The write may complete before the
   * call returns (UringIo's opt-in `inlineWrites`; `metrics.inFlight` then no longer counts it).
   * A write starting at or past `FILE_SIZE_MAX_BYTES` is `EFBIG`; one crossing it is short, as on
   * ext4.
   * Errors: `EBADF` (unknown fd or read-only), `ENOSPC`, `EFBIG`, `EIO`, `EINVAL` (misaligned direct
   * I/O), `ERR_INVALID_ARGUMENT`, `ERR_DETACHED_BUFFER`, `ERR_LIMIT_EXCEEDED`.
   */
  write(fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number>;

  /**
   * Like {@link Io.read}, filling `buffers` in order as if they were one (preadv). At most
   * `IOV_COUNT_MAX` buffers. Resolves with the total count read. Buffers holding 0 bytes in all
   * resolve with 0 on any fd open for reading, a directory's included (preadv's answer; `read`
   * of 0 bytes on a directory is `EISDIR`, as pread answers).
   */
  readv(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): Promise<number>;

  /**
   * Like {@link Io.write}, writing `buffers` in order as if they were one (pwritev). At most
   * `IOV_COUNT_MAX` buffers. Resolves with the total count written, which may be short.
   */
  writev(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): Promise<number>;

  /**
   * Makes the file's data and size durable (and, without `dataOnly`, its other metadata). Does not
   * make the file's name durable: fsync the parent directory for that (open it with
   * `directory: true`). On a directory fd, makes its entries durable. After an `EIO` the data that
   * failed to reach the disk may be lost even though later reads return it, and a retried fsync may
   * succeed without saving it (Linux's behaviour): treat `EIO` from fsync as fatal for the file.
   */
  fsync(fd: number, options?: FsyncOptions): Promise<void>;

  /**
   * A write and a sync as one operation (a synced append): writes `buffer` at `offsetBytes`,
   * then, only if the whole buffer was written, makes the file durable as {@link Io.fsync} with
   * `options` does (`dataOnly`: fdatasync, the data and the size needed to read it back). Resolves
   * with the count written once those bytes are durable. On io_uring it is one submission (the
   * write linked to the sync with IOSQE_IO_LINK, one kernel round trip; where the backend does
   * writes at the call, as UringIo's opt-in `inlineWrites`, the write at the call and the sync
   * alone); elsewhere it is exactly {@link Io.write} followed by {@link Io.fsync} (the simulator
   * draws the same faults and records the same trace as for the two calls). Metrics count a
   * `write` and, when the sync ran, an `fsync`.
   *
   * Crash semantics: until it resolves, nothing is promised; after a crash the range may hold any
   * mix of old and new bytes, as for a write that was never synced. Once it resolves with the full
   * length, the bytes (and the size) survive a crash. A short write resolves with its count
   * without syncing anything (callers loop, and sync after the rest). A failed write rejects with
   * the write's error and the sync does not run. A failed sync rejects with the sync's error
   * (`details.stage === 'fsync'`) and carries fsync's meaning: after `EIO` the data may be lost
   * even though reads return it, and a retry may succeed without saving it; treat it as fatal for
   * the file. Argument errors (including a bad `options`) reject before anything is written.
   * Errors: those of {@link Io.write} and of {@link Io.fsync}.
   */
  writeDurable(fd: number, buffer: Uint8Array, offsetBytes: number, options?: FsyncOptions): Promise<number>;

  /**
   * Sets the file length (ftruncate): shrinking drops bytes, growing adds zeros. Needs `write`
   * (`EINVAL` otherwise). Past `FILE_SIZE_MAX_BYTES` it is `EFBIG`.
   */
  truncate(fd: number, lengthBytes: number): Promise<void>;

  /**
   * Reserves space for `[offsetBytes, offsetBytes + lengthBytes)` (fallocate mode 0): the file grows
   * to cover the range if shorter (new bytes read as zeros), and later writes into the range do not
   * fail with `ENOSPC`. `ENOSPC` if the space cannot be reserved, `EFBIG` if the range ends past
   * `FILE_SIZE_MAX_BYTES`. `lengthBytes` must be > 0.
   */
  allocate(fd: number, offsetBytes: number, lengthBytes: number): Promise<void>;

  /** Describes a path (following no symbolic link out of the root) or an open fd. */
  stat(pathOrFd: string | number): Promise<Stat>;

  /**
   * Renames `from` to `to`, atomically replacing `to` if it is a file. Not durable until the
   * directories involved are fsynced. Errors: `ENOENT`, `EISDIR` (file over directory), `ENOTDIR`,
   * `ENOTEMPTY` (directory over non-empty directory), `EBUSY` (either path ends in `.`, the root
   * `'.'` included), `EINVAL` (a directory into itself), `ERR_PATH_ESCAPE`.
   */
  rename(from: string, to: string): Promise<void>;

  /** Removes a file's name. Open fds keep working until closed. `EISDIR` on a directory. */
  unlink(path: string): Promise<void>;

  /** Creates a directory (mode 0o755). `EEXIST` if the path exists, `ENOENT` if the parent does not. */
  mkdir(path: string): Promise<void>;

  /** Removes an empty directory. `ENOTEMPTY`, `ENOTDIR`, `ENOENT`; a path ending in `.` (the root `'.'` too) is `EINVAL`. */
  rmdir(path: string): Promise<void>;

  /** The names in a directory, without `.` and `..`, sorted by UTF-16 code unit (`Array.prototype.sort`). */
  readdir(path: string): Promise<string[]>;

  /** Closes `fd`; later use of it is `EBADF` (unless the number is reused by a later open). */
  close(fd: number): Promise<void>;

  /**
   * A zeroed buffer of `lengthBytes` whose memory is aligned for `direct` I/O. On backends without
   * `direct` support it is an ordinary zeroed buffer. `lengthBytes` must be a non-negative integer.
   */
  allocAligned(lengthBytes: number): Uint8Array;

  /**
   * Shuts the whole Io down: new calls reject with `ERR_CLOSED`; operations already in flight
   * settle (complete or reject with `ERR_CLOSED`); every fd is closed; then resources are freed.
   * Calling it again resolves once the first call has finished.
   */
  shutdown(): Promise<void>;
}

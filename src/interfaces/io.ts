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
 * `ERR_PATH_ESCAPE`, and so is a symbolic link that resolves outside the root. `'.'` names the
 * root itself.
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
   * are unspecified. The buffer must not be touched by the caller while the read is in flight.
   * Errors: `EBADF` (unknown fd, or not open for reading), `EISDIR`, `EIO`, `EINVAL` (misaligned
   * direct I/O), `ERR_INVALID_ARGUMENT`, `ERR_DETACHED_BUFFER`, `ERR_LIMIT_EXCEEDED`.
   */
  read(fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number>;

  /**
   * Writes `buffer` at `offsetBytes` and resolves with the number of bytes written, which may be
   * fewer than asked (a short write; callers loop). Writing past the end extends the file; the gap
   * reads as zeros. Resolving means the data is visible to reads, not that it is durable. A write
   * starting at or past `FILE_SIZE_MAX_BYTES` is `EFBIG`; one crossing it is short, as on ext4.
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
